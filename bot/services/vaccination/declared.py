"""An earlier dose the citizen declared at registration ("Mũi đã tiêm trước đây"), confirmed by staff from the
vaccination card: it becomes a dose like any other (numbered by date, counted in the course, the QR re-issued
and pushed). What the citizen declared stays as they declared it; the dose holds what the card shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from bot.services.access import audit
from bot.services.access.staff import Role
from bot.services.certificates import credentials
from bot.services.certificates.keys import SigningKey
from bot.services.reference import vaccines
from bot.services.vaccination import doses
from bot.services.values import states
from bot.services.values.dates import today
from bot.services.values.errors import Invalid
from models.tables import Dose, Person, Registration, table

DOSE, PERSON, REGISTRATION = table(Dose), table(Person), table(Registration)


@dataclass(frozen=True, slots=True)
class Declared:
    """What the citizen declared (vaccine code, day, lot and place as typed; any may be missing)."""

    vaccine: str | None
    given_on: date | None
    lot: str | None
    place: str | None


def read(previous: dict[str, Any] | None) -> Declared | None:
    """The declared dose of a registration's ``previous_dose`` (stored at registration, dates as ISO text)."""
    if not previous:
        return None
    raw_date = previous.get("prev_date")
    try:
        given_on = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    except ValueError:
        given_on = None
    vaccine = previous.get("prev_vaccine")
    return Declared(vaccine if isinstance(vaccine, str) else None, given_on,
                    str(previous.get("prev_lot") or "") or None, str(previous.get("prev_site") or "") or None)


@dataclass(frozen=True, slots=True)
class Pending:
    registration_id: int
    person_id: int
    owner_account_id: int
    birth_date: date
    declared: Declared


def pending(conn: Connection, registration_id: int) -> Pending | None:
    """The registration's declared dose while it is not confirmed (None: none declared, or confirmed)."""
    row = conn.execute(select(REGISTRATION.c.previous_dose, REGISTRATION.c.declared_dose_id, PERSON.c.id,
                              PERSON.c.owner_account_id, PERSON.c.birth_date, REGISTRATION.c.status)
                       .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
                       .where(REGISTRATION.c.id == registration_id)).first()
    if row is None or row.declared_dose_id is not None or row.status == states.Registration.CANCELLED:
        return None
    found = read(row.previous_dose)
    return Pending(registration_id, row.id, row.owner_account_id, row.birth_date, found) if found else None


def awaiting(conn: Connection, person_id: int) -> int:
    """How many doses this person declared that no site has confirmed yet (the QR does not show them)."""
    return len(conn.execute(select(REGISTRATION.c.id).where(
        REGISTRATION.c.person_id == person_id, REGISTRATION.c.previous_dose.is_not(None),
        REGISTRATION.c.declared_dose_id.is_(None), REGISTRATION.c.status != states.Registration.CANCELLED)).all())


def confirm(conn: Connection, key: SigningKey, role: Role, registration_id: int, *, vaccine: str, given_on: date,
            lot: str = "") -> int:
    """Make the declared dose a dose, as the card shows it; returns its number in the course. Refused
    (:class:`Invalid`): nothing declared (or already confirmed), an unknown vaccine, a date in the future or before
    the birth date, a dose already recorded that day."""
    found = pending(conn, registration_id)
    if found is None:
        raise Invalid("declared.none")
    code = vaccines.find(vaccine)
    if code is None:
        raise Invalid("dose.unknown_vaccine", vaccine=vaccine)
    if given_on > today():
        raise Invalid("date.in_future")
    if given_on < found.birth_date:
        raise Invalid("dose.before_birth")
    same_day = select(DOSE.c.id).where(DOSE.c.person_id == found.person_id, DOSE.c.given_on == given_on)
    if conn.execute(same_day).first() is not None:
        raise Invalid("dose.duplicate", date=given_on.strftime("%d/%m/%Y"))
    # Given elsewhere, before: no site of ours, no appointment attended.
    number = doses.add(conn, person_id=found.person_id, registration_id=registration_id, site_id=None,
                       vaccine=code, lot=lot, given_on=given_on, source="declared",
                       recorded_by=str(role.account_id), attended=False)
    dose_id = conn.execute(same_day).scalar_one()
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id)
                 .values(declared_dose_id=dose_id))
    audit.record(conn, role, "declared", person_id=found.person_id, how=f"dose {number} confirmed")
    issued = credentials.issue(conn, found.person_id, key)
    doses.push_new_qr(conn, found.owner_account_id, found.person_id, issued, vaccine=code, number=number,
                      given_on=given_on, next_due=doses.next_dose(conn, found.person_id))
    return number
