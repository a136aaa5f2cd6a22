"""Finding people for staff: by phone, ID number, booking code, or full name with birth date.

A search is scoped by the role (:mod:`bot.services.access.scope`): staff see the people their site has an open
registration, an open appointment or a dose of; an admin everyone. What was
searched for is never logged; the audit records how ("phone", "id", "booking", "name+birth").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from bot.services.access import scope as scope_rule
from bot.services.access.staff import Role
from bot.services.reference import screening
from bot.services.values import states
from bot.services.values.dates import parse_dmy
from bot.services.values.documents import guess_id_type
from bot.services.values.errors import Invalid
from bot.services.values.phones import parse_mobile
from bot.services.values.text import fold, identifier
from models.tables import Credential, Dose, Person, Registration, Site, table

PERSON, REGISTRATION, DOSE, SITE, CREDENTIAL = (
    table(Person), table(Registration), table(Dose), table(Site), table(Credential),
)
PAGE = 5
BOOKING_DIGITS = 16


@dataclass(frozen=True, slots=True)
class Query:
    how: str  # phone / id / booking / name+birth
    value: Any


def parse_query(text: str) -> Query:
    """What a staff member typed after /tra, understood by its shape."""
    text = " ".join(text.split())
    if not text:
        raise Invalid("staff.lookup_help")
    compact = identifier(text)
    if compact.isdigit() and len(compact) == BOOKING_DIGITS:
        return Query("booking", compact)
    if compact.isdigit() and len(compact) in (9, 12):
        return Query("id", compact)
    if guess_id_type(text) == "passport":
        return Query("id", compact)
    if re.fullmatch(r"\+?[\d .\-]{9,16}", text):
        return Query("phone", parse_mobile(text))
    words = text.split()
    if len(words) >= 2:
        try:
            born = parse_dmy(words[-1])
        except Invalid:
            born = None
        if born is not None:
            return Query("name+birth", (fold(" ".join(words[:-1])), born))
    raise Invalid("staff.lookup_help")


@dataclass(frozen=True, slots=True)
class RegistrationLine:
    booking_code: str
    status: str
    site_name: str | None
    preferred_date: date
    attention: list[tuple[str, str]]  # (question, "yes" / "unknown"): what the doctor must look at
    site_id: int | None = None
    registration_id: int = 0
    dose_number: int = 1  # the dose due, while open
    due_on: date | None = None
    decision: str | None = None
    decision_note: str | None = None
    decision_place: str | None = None
    declared: dict[str, Any] | None = None  # the declared earlier dose, while not confirmed


@dataclass(frozen=True, slots=True)
class DoseLine:
    number: int
    vaccine: str
    lot: str
    given_on: date
    site_name: str | None


@dataclass
class Found:
    person_id: int
    full_name: str
    birth_date: date
    sex: str
    id_type: str
    id_number: str
    phone: str
    level: str = "none"
    dose_count: int = 0
    registrations: list[RegistrationLine] = field(default_factory=list)
    doses: list[DoseLine] = field(default_factory=list)


def _matches(query: Query) -> ColumnElement[bool]:
    if query.how == "phone":
        return PERSON.c.phone == str(query.value)
    if query.how == "id":
        return PERSON.c.id_number == str(query.value)
    if query.how == "booking":
        return PERSON.c.id.in_(select(REGISTRATION.c.person_id).where(REGISTRATION.c.booking_code == query.value))
    name_key, born = query.value
    return and_(PERSON.c.name_key == name_key, PERSON.c.birth_date == born)


def search(conn: Connection, role: Role, query: Query, *, page: int = 0) -> tuple[list[Found], int]:
    """One page of the people matching ``query`` that ``role`` may see, and how many there are in all (a record
    merged into another is not one of them: the other is)."""
    return _found(conn, role, [_matches(query)], page=page)


def people(conn: Connection, role: Role, person_ids: list[int]) -> list[Found]:
    """These people, as a look-up shows them, as far as ``role`` may see them."""
    return _found(conn, role, [PERSON.c.id.in_(person_ids)], page=0)[0]


def _found(conn: Connection, role: Role, where: list[ColumnElement[bool]], *, page: int) -> tuple[list[Found], int]:
    where = [*where, PERSON.c.merged_into.is_(None)]
    scope = scope_rule.clause(role)
    if scope is not None:
        where.append(scope)
    total = int(conn.execute(select(func.count()).select_from(PERSON).where(*where)).scalar_one())
    rows = conn.execute(
        select(PERSON.c.id, PERSON.c.full_name, PERSON.c.birth_date, PERSON.c.sex, PERSON.c.id_type,
               PERSON.c.id_number, PERSON.c.phone)
        .where(*where).order_by(PERSON.c.full_name, PERSON.c.id).limit(PAGE).offset(page * PAGE)
    ).all()
    found = [Found(r.id, r.full_name, r.birth_date, r.sex, r.id_type, r.id_number, r.phone) for r in rows]
    for person in found:
        _fill(conn, person)
    return found, total


def _fill(conn: Connection, person: Found) -> None:
    person.registrations.extend(registrations_of(conn, person.person_id))
    for d in conn.execute(
        select(DOSE.c.dose_number, DOSE.c.vaccine, DOSE.c.lot, DOSE.c.given_on, SITE.c.name)
        .outerjoin(SITE, SITE.c.id == DOSE.c.site_id)
        .where(DOSE.c.person_id == person.person_id).order_by(DOSE.c.given_on)
    ):
        person.doses.append(DoseLine(d.dose_number, d.vaccine, d.lot, d.given_on, d.name))
    current = conn.execute(
        select(CREDENTIAL.c.level, CREDENTIAL.c.dose_count)
        .where(CREDENTIAL.c.person_id == person.person_id, CREDENTIAL.c.superseded_at.is_(None))
    ).first()
    if current is not None:
        person.level, person.dose_count = current.level, current.dose_count


def registrations_of(conn: Connection, person_id: int) -> list[RegistrationLine]:
    """The person's registrations, newest first, with their course, decision and declared dose."""
    found = []
    for r in conn.execute(
        select(REGISTRATION.c.booking_code, REGISTRATION.c.status, SITE.c.name, REGISTRATION.c.preferred_date,
               REGISTRATION.c.screening, REGISTRATION.c.site_id, REGISTRATION.c.id, REGISTRATION.c.dose_number,
               REGISTRATION.c.due_on, REGISTRATION.c.decision, REGISTRATION.c.decision_note,
               REGISTRATION.c.decision_place, REGISTRATION.c.previous_dose, REGISTRATION.c.declared_dose_id)
        .outerjoin(SITE, SITE.c.id == REGISTRATION.c.site_id)
        .where(REGISTRATION.c.person_id == person_id).order_by(REGISTRATION.c.id.desc())
    ):
        declared = r.previous_dose if r.previous_dose and r.declared_dose_id is None else None
        found.append(RegistrationLine(
            r.booking_code, r.status, r.name, r.preferred_date, screening.attention(r.screening or {}), r.site_id,
            r.id, r.dose_number, r.due_on, r.decision, r.decision_note, r.decision_place, declared))
    return found


@dataclass(frozen=True, slots=True)
class Target:
    """The registration a dose (or a decision) is recorded against, and whether the role may record it."""

    booking_code: str
    person_id: int
    full_name: str
    site_id: int | None
    registration_id: int = 0


def dose_target(conn: Connection, text: str) -> Target | None:
    """A booking code, or an ID number (its open registration, else its latest)."""
    compact = identifier(text)
    query = select(REGISTRATION.c.booking_code, REGISTRATION.c.person_id, PERSON.c.full_name, REGISTRATION.c.site_id,
                   REGISTRATION.c.id)
    query = query.join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
    if compact.isdigit() and len(compact) == BOOKING_DIGITS:
        row = conn.execute(query.where(REGISTRATION.c.booking_code == compact)).first()
    else:
        row = conn.execute(
            query.where(PERSON.c.id_number == compact)
            .order_by(REGISTRATION.c.open_key.is_(None), REGISTRATION.c.status == states.Registration.CANCELLED,
                      REGISTRATION.c.id.desc())
        ).first()
    return None if row is None else Target(row.booking_code, row.person_id, row.full_name, row.site_id, row.id)


def registration_target(conn: Connection, registration_id: int) -> Target | None:
    """The registration behind a button beside a person (a list's, a look-up's)."""
    row = conn.execute(select(REGISTRATION.c.booking_code, REGISTRATION.c.person_id, PERSON.c.full_name,
                              REGISTRATION.c.site_id, REGISTRATION.c.id)
                       .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
                       .where(REGISTRATION.c.id == registration_id)).first()
    return None if row is None else Target(row.booking_code, row.person_id, row.full_name, row.site_id, row.id)
