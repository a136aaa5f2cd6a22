"""Registrations: one open registration per person (same ID number), whoever registers them."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.reference import screening
from bot.services.values import states
from bot.services.values.dates import age_on, json_ready, today, utcnow
from bot.services.values.text import fold
from models.db import first, savepoint, stored_date
from models.tables import Appointment, Dose, Person, Registration, Site, table

PERSON_TABLE = table(Person)
REGISTRATION_TABLE = table(Registration)
SITE = table(Site)
APPOINTMENT = table(Appointment)
DOSE = table(Dose)
OPEN_STATUSES = states.OPEN_REGISTRATION
CONSENT_VERSION = "2026-12-v2"


def consent_version(*, guardian: bool, commitment: bool) -> str:
    """Which text was agreed to: signed by a parent or guardian ("g"), with the 14-day commitment ("c")."""
    return CONSENT_VERSION + "-" + ("g" if guardian else "s") + ("c" if commitment else "n")


# Where a form's answers are stored (a field's ``store``): the person's record and this registration take
# each answer into the column of the field's name; the earlier dose and the history answers are kept whole.
PERSON, REGISTRATION, PREVIOUS_DOSE, SCREENING = "person", "registration", "previous_dose", "screening"
_MANAGED = {"id", "owner_account_id", "name_key", "credential_id", "created_at", "updated_at"}
COLUMNS: dict[str, frozenset[str] | None] = {
    PERSON: frozenset(c.name for c in PERSON_TABLE.columns if c.name not in _MANAGED),
    REGISTRATION: frozenset({"site_id", "preferred_date", "preferred_session", "dose_number"}),
    PREVIOUS_DOSE: None,  # JSON: any field
    SCREENING: None,
}
Records = Mapping[str, Mapping[str, Any]]


def check_store(store: str, name: str) -> None:
    """At start-up: a declared field must have a place to be stored."""
    if store not in COLUMNS:
        raise ValueError(f"field {name!r} is stored in unknown record {store!r}")
    columns = COLUMNS[store]
    if columns is not None and name not in columns:
        raise ValueError(f"field {name!r} has no column in {store!r}")


@dataclass(frozen=True, slots=True)
class Existing:
    """What may be said of someone else's open registration: where and when, nothing personal."""

    site_name: str | None
    preferred_date: date
    status: str
    same_account: bool
    booking_code: str | None  # only when it is the asker's own


@dataclass(frozen=True, slots=True)
class RegistrationView:
    booking_code: str
    full_name: str
    relation: str
    status: str
    site_name: str | None
    preferred_date: date
    preferred_session: str
    flags: list[str]
    dose_number: int = 1  # the dose due, while open
    due_on: date | None = None
    decision: str | None = None
    decision_note: str | None = None
    decision_place: str | None = None
    amendable: bool = False  # "Sửa đăng ký" is offered (waiting, no decision, no dose)


class AlreadyRegistered(Exception):
    def __init__(self, existing: Existing, key: str = "") -> None:
        super().__init__("already registered")
        self.existing = existing
        self.open_key = key  # the document ("cccd:0010…"), to claim it


def open_key(id_type: str, id_number: str) -> str:
    return f"{id_type}:{id_number}"


# Built once (a registration's statements have many columns: building them costs more than running them).
_FIND_OPEN = (  # raw (models.db.rows): asked on every registration, before and after the form
    "SELECT r.preferred_date, r.status, r.booking_code, s.name, p.owner_account_id FROM registration r "
    "JOIN person p ON p.id = r.person_id LEFT JOIN site s ON s.id = r.site_id WHERE r.open_key = ?"
)
_UPDATE_PERSON = (
    update(PERSON_TABLE)
    .where(PERSON_TABLE.c.owner_account_id == bindparam("p_account"), PERSON_TABLE.c.id_type == bindparam("p_type"),
           PERSON_TABLE.c.id_number == bindparam("p_number"))
    .returning(PERSON_TABLE.c.id)
)
_INSERT_PERSON = insert(PERSON_TABLE).returning(PERSON_TABLE.c.id)
_INSERT_REGISTRATION = insert(REGISTRATION_TABLE)


@dataclass(frozen=True, slots=True)
class Household:
    """Where the account's own person lives (or, failing that, the person it registered last): a relative
    registered next most often lives there too."""

    full_name: str
    province_code: int
    ward_code: int
    address: str | None


def household(conn: Connection, account_id: int) -> Household | None:
    row = conn.execute(
        select(PERSON_TABLE.c.full_name, PERSON_TABLE.c.province_code, PERSON_TABLE.c.ward_code,
               PERSON_TABLE.c.address)
        .where(PERSON_TABLE.c.owner_account_id == account_id)
        .order_by((PERSON_TABLE.c.relation == "self").desc(), PERSON_TABLE.c.updated_at.desc(),
                  PERSON_TABLE.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Household(row.full_name, row.province_code, row.ward_code, row.address)


def find_open(conn: Connection, id_type: str, id_number: str, asker_account_id: int) -> Existing | None:
    row = first(conn, _FIND_OPEN, open_key(id_type, id_number))
    if row is None:
        return None
    preferred_date, status, booking_code, site_name, owner = row
    own = owner == asker_account_id
    return Existing(site_name, stored_date(preferred_date), status, own, booking_code if own else None)


def _new_booking_code() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def submit(
    conn: Connection, account_id: int, records: Records, *, consent: str = CONSENT_VERSION,
) -> tuple[str, int]:
    """Store the person (updating an earlier entry of the same account) and an open registration.

    ``records`` holds the form's answers by where they are stored (``PERSON``, ``REGISTRATION`` …), typed."""
    person = {"relation": "self", **records[PERSON]}
    id_type, id_number = str(person.pop("id_type")), str(person.pop("id_number"))
    existing = find_open(conn, id_type, id_number, account_id)
    if existing is not None:
        raise AlreadyRegistered(existing, open_key(id_type, id_number))
    answers = {k: str(v) for k, v in records.get(SCREENING, {}).items() if v is not None}
    # Question 10 (aged 65 or over) is answered from the birth date, on today's date in Vietnam.
    answers["q10"] = screening.YES if age_on(person["birth_date"], today()) >= screening.SENIOR_AGE else screening.NO
    previous = json_ready(records.get(PREVIOUS_DOSE, {})) or None
    now = utcnow()
    values = {**person, "name_key": fold(str(person["full_name"])), "updated_at": now}
    person_id = conn.execute(
        _UPDATE_PERSON, {"p_account": account_id, "p_type": id_type, "p_number": id_number, **values}
    ).scalar()
    if person_id is None:
        person_id = conn.execute(_INSERT_PERSON, {"owner_account_id": account_id, "id_type": id_type,
                                                  "id_number": id_number, "created_at": now, **values}).scalar_one()
    for _ in range(5):
        code = _new_booking_code()
        try:
            with savepoint(conn, "sskdt_registration"):  # travels with the insert (begin_nested: two more trips)
                conn.execute(_INSERT_REGISTRATION, {
                    "person_id": person_id, "booking_code": code, "open_key": open_key(id_type, id_number),
                    "province_code": person["province_code"], "previous_dose": previous,
                    "status": states.Registration.SUBMITTED,
                    "screening": answers, "screening_flags": ",".join(screening.flags(answers)),
                    "consent_at": now, "consent_version": consent, "created_at": now, **records[REGISTRATION],
                })
            return code, int(person_id)
        except IntegrityError as exc:
            again = find_open(conn, id_type, id_number, account_id)
            if again is not None:  # someone registered the same person a moment ago
                raise AlreadyRegistered(again, open_key(id_type, id_number)) from exc
    raise RuntimeError("could not allocate a unique booking code")


def for_account(conn: Connection, account_id: int) -> list[RegistrationView]:
    rows = conn.execute(
        select(
            REGISTRATION_TABLE.c.booking_code, PERSON_TABLE.c.full_name, PERSON_TABLE.c.relation,
            REGISTRATION_TABLE.c.status,
            SITE.c.name.label("site_name"), REGISTRATION_TABLE.c.preferred_date, REGISTRATION_TABLE.c.preferred_session,
            REGISTRATION_TABLE.c.screening_flags, REGISTRATION_TABLE.c.dose_number, REGISTRATION_TABLE.c.due_on,
            REGISTRATION_TABLE.c.decision, REGISTRATION_TABLE.c.decision_note, REGISTRATION_TABLE.c.decision_place,
            _amendable().label("amendable"),
        )
        .join(PERSON_TABLE, PERSON_TABLE.c.id == REGISTRATION_TABLE.c.person_id)
        .outerjoin(SITE, SITE.c.id == REGISTRATION_TABLE.c.site_id)
        .where(PERSON_TABLE.c.owner_account_id == account_id)
        .order_by(REGISTRATION_TABLE.c.id.desc())
    )
    return [
        RegistrationView(
            r.booking_code, r.full_name, r.relation, r.status, r.site_name, r.preferred_date,
            r.preferred_session, [f for f in r.screening_flags.split(",") if f], r.dose_number, r.due_on,
            r.decision, r.decision_note, r.decision_place, bool(r.amendable),
        )
        for r in rows
    ]


def cancel(conn: Connection, account_id: int, booking_code: str) -> bool:
    """Cancel one of the account's open registrations; False when there is no such open registration."""
    person_ids = select(PERSON_TABLE.c.id).where(PERSON_TABLE.c.owner_account_id == account_id)
    done = conn.execute(
        update(REGISTRATION_TABLE)
        .where(
            REGISTRATION_TABLE.c.booking_code == booking_code,
            REGISTRATION_TABLE.c.person_id.in_(person_ids),
            REGISTRATION_TABLE.c.status.in_(OPEN_STATUSES),
        )
        .values(status=states.Registration.CANCELLED, open_key=None, cancelled_at=utcnow())
    ).rowcount
    if done:  # its appointment, if any, frees its slot
        registration_id = select(REGISTRATION_TABLE.c.id).where(REGISTRATION_TABLE.c.booking_code == booking_code)
        conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.registration_id.in_(registration_id),
                                               APPOINTMENT.c.open_key.is_not(None))
                     .values(state=states.Appointment.CANCELLED, open_key=None))
    return bool(done)


# Changes after sending ------------------------------------------------------------------------------------
# A registration the site has not yet screened or scheduled ("submitted") may still be corrected by its
# account: the person's name, ID document, phone, priority group and ward, the site and the preferred date.
AMENDABLE_STATUS = states.Registration.SUBMITTED


def _amendable() -> Any:
    """Waiting, before the site's doctor decided anything and before any dose: once a dose is recorded (the course
    goes on at the same registration) or the doctor has seen the person, the name and the papers are the site's
    to correct, never the account's."""
    dosed = select(DOSE.c.id).where(DOSE.c.person_id == REGISTRATION_TABLE.c.person_id).exists()
    return and_(REGISTRATION_TABLE.c.status == AMENDABLE_STATUS, REGISTRATION_TABLE.c.decision.is_(None), ~dosed)

AMENDABLE_PERSON = (  # the sex as a corrected CCCD says
    "full_name", "id_type", "id_number", "sex", "phone", "priority_group", "ward_code",
)
AMENDABLE_REGISTRATION = ("site_id", "preferred_date")


def amendable(conn: Connection, account_id: int, booking_code: str) -> dict[str, Any] | None:
    """The current values of one of the account's amendable registrations (with what their checks need:
    birth date, sex, province and ward), or None."""
    row = conn.execute(
        select(
            PERSON_TABLE.c.full_name, PERSON_TABLE.c.id_type, PERSON_TABLE.c.id_number, PERSON_TABLE.c.phone,
            PERSON_TABLE.c.birth_date, PERSON_TABLE.c.sex, PERSON_TABLE.c.province_code, PERSON_TABLE.c.ward_code,
            PERSON_TABLE.c.priority_group, REGISTRATION_TABLE.c.site_id, REGISTRATION_TABLE.c.preferred_date,
        )
        .join(PERSON_TABLE, PERSON_TABLE.c.id == REGISTRATION_TABLE.c.person_id)
        .where(
            REGISTRATION_TABLE.c.booking_code == booking_code,
            PERSON_TABLE.c.owner_account_id == account_id,
            _amendable(),
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)


def amend(conn: Connection, account_id: int, booking_code: str, changes: Mapping[str, Any]) -> int | None:
    """Apply ``changes`` (amendable fields only) to one of the account's amendable registrations; return the
    person's id (whose credential is then re-issued), None when it is no longer amendable.

    Raises :class:`AlreadyRegistered` when a changed ID number has an open registration elsewhere."""
    current = amendable(conn, account_id, booking_code)
    if current is None:
        return None
    person = {k: v for k, v in changes.items() if k in AMENDABLE_PERSON}
    registration = {k: v for k, v in changes.items() if k in AMENDABLE_REGISTRATION}
    id_type = str(person.get("id_type", current["id_type"]))
    id_number = str(person.get("id_number", current["id_number"]))
    moved = (id_type, id_number) != (current["id_type"], current["id_number"])
    if moved:
        existing = find_open(conn, id_type, id_number, account_id)
        if existing is not None and existing.booking_code != booking_code:
            raise AlreadyRegistered(existing)
        registration["open_key"] = open_key(id_type, id_number)
    if "full_name" in person:
        person["name_key"] = fold(str(person["full_name"]))
    person_id = conn.execute(
        select(REGISTRATION_TABLE.c.person_id).where(REGISTRATION_TABLE.c.booking_code == booking_code)
    ).scalar_one()
    try:
        with conn.begin_nested():
            if person:
                conn.execute(update(PERSON_TABLE).where(PERSON_TABLE.c.id == person_id)
                             .values(**person, updated_at=utcnow()))
            if registration:
                conn.execute(update(REGISTRATION_TABLE)
                             .where(REGISTRATION_TABLE.c.booking_code == booking_code).values(**registration))
    except IntegrityError as exc:  # the same document is another open registration, or another person of theirs
        existing = find_open(conn, id_type, id_number, account_id)
        if existing is not None:
            raise AlreadyRegistered(existing) from exc
        raise DocumentInUse from exc
    return int(person_id)


class DocumentInUse(Exception):
    """The account already registered another person with that ID document."""
