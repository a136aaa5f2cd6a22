"""Registrations: one open registration per person (same ID number), whoever registers them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services import screening
from bot.services.dates import utcnow
from bot.services.text import fold
from models.tables import Person, Registration, Site, table

PERSON = table(Person)
REGISTRATION = table(Registration)
SITE = table(Site)
OPEN_STATUSES = ("submitted", "scheduled")
CONSENT_VERSION = "2021-07-v1"


@dataclass(frozen=True, slots=True)
class PersonDetails:
    relation: str
    full_name: str
    birth_date: date
    sex: str
    id_type: str
    id_number: str
    phone: str
    insurance_number: str | None
    occupation: str
    workplace: str | None
    priority_group: int
    province_code: int
    ward_code: int
    address: str | None


@dataclass(frozen=True, slots=True)
class Request:
    site_id: int | None
    preferred_date: date
    preferred_session: str
    dose_number: int
    previous_dose: dict[str, Any] | None
    screening: dict[str, str]


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


class AlreadyRegistered(Exception):
    def __init__(self, existing: Existing) -> None:
        super().__init__("already registered")
        self.existing = existing


def open_key(id_type: str, id_number: str) -> str:
    return f"{id_type}:{id_number}"


def find_open(conn: Connection, id_type: str, id_number: str, asker_account_id: int) -> Existing | None:
    row = conn.execute(
        select(
            REGISTRATION.c.preferred_date, REGISTRATION.c.status, REGISTRATION.c.booking_code,
            SITE.c.name.label("site_name"), PERSON.c.owner_account_id,
        )
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .outerjoin(SITE, SITE.c.id == REGISTRATION.c.site_id)
        .where(REGISTRATION.c.open_key == open_key(id_type, id_number))
    ).first()
    if row is None:
        return None
    own = row.owner_account_id == asker_account_id
    return Existing(row.site_name, row.preferred_date, row.status, own, row.booking_code if own else None)


def _new_booking_code() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def submit(conn: Connection, account_id: int, person: PersonDetails, request: Request) -> tuple[str, int]:
    """Store the person (updating an earlier entry of the same account) and an open registration."""
    existing = find_open(conn, person.id_type, person.id_number, account_id)
    if existing is not None:
        raise AlreadyRegistered(existing)
    now = utcnow()
    values = {
        "relation": person.relation, "full_name": person.full_name, "name_key": fold(person.full_name),
        "birth_date": person.birth_date, "sex": person.sex, "phone": person.phone,
        "insurance_number": person.insurance_number, "occupation": person.occupation,
        "workplace": person.workplace, "priority_group": person.priority_group,
        "province_code": person.province_code, "ward_code": person.ward_code, "address": person.address,
        "updated_at": now,
    }
    person_id = conn.execute(
        update(PERSON)
        .where(
            PERSON.c.owner_account_id == account_id,
            PERSON.c.id_type == person.id_type,
            PERSON.c.id_number == person.id_number,
        )
        .values(**values)
        .returning(PERSON.c.id)
    ).scalar()
    if person_id is None:
        person_id = conn.execute(
            insert(PERSON)
            .values(owner_account_id=account_id, id_type=person.id_type, id_number=person.id_number,
                    created_at=now, **values)
            .returning(PERSON.c.id)
        ).scalar_one()
    for _ in range(5):
        code = _new_booking_code()
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(REGISTRATION).values(
                        person_id=person_id, booking_code=code,
                        open_key=open_key(person.id_type, person.id_number), site_id=request.site_id,
                        province_code=person.province_code, preferred_date=request.preferred_date,
                        preferred_session=request.preferred_session, dose_number=request.dose_number,
                        previous_dose=request.previous_dose, status="submitted",
                        screening=request.screening,
                        screening_flags=",".join(screening.flags(request.screening)),
                        consent_at=now, consent_version=CONSENT_VERSION, created_at=now,
                    )
                )
            return code, int(person_id)
        except IntegrityError as exc:
            again = find_open(conn, person.id_type, person.id_number, account_id)
            if again is not None:  # someone registered the same person a moment ago
                raise AlreadyRegistered(again) from exc
    raise RuntimeError("could not allocate a unique booking code")


def for_account(conn: Connection, account_id: int) -> list[RegistrationView]:
    rows = conn.execute(
        select(
            REGISTRATION.c.booking_code, PERSON.c.full_name, PERSON.c.relation, REGISTRATION.c.status,
            SITE.c.name.label("site_name"), REGISTRATION.c.preferred_date, REGISTRATION.c.preferred_session,
            REGISTRATION.c.screening_flags,
        )
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .outerjoin(SITE, SITE.c.id == REGISTRATION.c.site_id)
        .where(PERSON.c.owner_account_id == account_id)
        .order_by(REGISTRATION.c.id.desc())
    )
    return [
        RegistrationView(
            r.booking_code, r.full_name, r.relation, r.status, r.site_name, r.preferred_date,
            r.preferred_session, [f for f in r.screening_flags.split(",") if f],
        )
        for r in rows
    ]


def cancel(conn: Connection, account_id: int, booking_code: str) -> bool:
    """Cancel one of the account's open registrations; False when there is no such open registration."""
    person_ids = select(PERSON.c.id).where(PERSON.c.owner_account_id == account_id)
    done = conn.execute(
        update(REGISTRATION)
        .where(
            REGISTRATION.c.booking_code == booking_code,
            REGISTRATION.c.person_id.in_(person_ids),
            REGISTRATION.c.status.in_(OPEN_STATUSES),
        )
        .values(status="cancelled", open_key=None, cancelled_at=utcnow())
    ).rowcount
    return bool(done)
