"""Whom a site's staff may see and act on: one rule, checked in the transaction that acts.

A person is in a site's scope while they have an open registration there (waiting or scheduled), an open
appointment there, or a dose recorded there. A cancelled registration, or one moved to another site, takes
them out; an admin's scope is everyone. The same rule serves ``/tra``, ``/tiem``, ``/nhap`` and the lists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, exists, or_, select

from bot.services.access.staff import ADMIN, Role
from bot.services.values import states
from models.tables import Appointment, Dose, Person, Registration, table

PERSON, REGISTRATION, APPOINTMENT, DOSE = table(Person), table(Registration), table(Appointment), table(Dose)
OPEN_REGISTRATION = states.OPEN_REGISTRATION
OPEN_APPOINTMENT = states.OPEN_APPOINTMENT


def clause(role: Role, person_id: ColumnElement[int] = PERSON.c.id) -> ColumnElement[bool] | None:
    """The rule as a condition on ``person_id`` (None: everyone, for an admin; nobody for a role without site)."""
    if role.role == ADMIN:
        return None
    site = role.site_id if role.site_id is not None else -1
    return or_(
        exists(select(REGISTRATION.c.id).where(
            REGISTRATION.c.person_id == person_id, REGISTRATION.c.site_id == site,
            REGISTRATION.c.status.in_(OPEN_REGISTRATION))),
        exists(select(APPOINTMENT.c.id).join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id).where(
            REGISTRATION.c.person_id == person_id, APPOINTMENT.c.site_id == site,
            APPOINTMENT.c.state.in_(OPEN_APPOINTMENT))),
        exists(select(DOSE.c.id).where(DOSE.c.person_id == person_id, DOSE.c.site_id == site)),
    )


def covers(conn: Connection, role: Role, person_id: int) -> bool:
    """Whether ``role`` may see and act on this person now."""
    rule = clause(role, PERSON.c.id)
    if rule is None:
        return True
    return conn.execute(select(PERSON.c.id).where(PERSON.c.id == person_id, rule)).first() is not None


def covered(conn: Connection, role: Role, person_ids: set[int]) -> set[int]:
    """Which of these people ``role`` may act on (one statement for a chunk of an import)."""
    rule = clause(role, PERSON.c.id)
    if rule is None or not person_ids:
        return set(person_ids)
    return {int(r[0]) for r in conn.execute(select(PERSON.c.id).where(PERSON.c.id.in_(sorted(person_ids)), rule))}
