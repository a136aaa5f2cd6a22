"""Who waits at a site, in the order a doctor would sign, and the plan of a day's slots.

    waiting = submitted at the site, due (``due_on``) by the day looked at, not postponed past it
    order   = priority group (65 or over counts as group 9 at the latest), then older first, then earlier
              registration; a plan puts first, inside a group and after its people of 65 or over, those who
              asked for that very day
    plan    = the first ``slots`` of them, never before a dose's minimum interval (``earliest_on``), never the day
              they said they could not come; anyone with a "Có" / "Không rõ" history answer and no "đạt" from the
              doctor is listed apart ("cần bác sĩ khám kỹ"), for staff to include, never booked silently

Registering first does not mean being vaccinated first (domain §1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from bot.services.reference import priority, screening
from bot.services.values import states
from bot.services.values.dates import today
from models.tables import Appointment, Dose, Person, Registration, Site, table

APPOINTMENT, REGISTRATION, PERSON, SITE, DOSE = (
    table(Appointment), table(Registration), table(Person), table(Site), table(Dose))
PAGE = 10
OPEN = states.OPEN_APPOINTMENT


@dataclass(frozen=True, slots=True)
class LastDose:
    vaccine: str
    given_on: date


@dataclass(frozen=True, slots=True)
class Waiting:
    registration_id: int
    booking_code: str
    person_id: int
    full_name: str
    birth_date: date
    priority_group: int  # as registered
    id_number: str
    preferred_date: date
    preferred_session: str
    created_at: datetime
    attention: list[tuple[str, str]]  # (question, answer) the doctor should look at
    dose_number: int  # the dose due
    due_on: date | None
    decision: str | None
    decision_note: str | None
    declared: dict[str, Any] | None  # the earlier dose declared at registration, while not confirmed
    last_dose: LastDose | None = None

    @property
    def needs_doctor(self) -> bool:
        """A history answer to look at (:func:`screening.for_doctor`), and no "đạt" from the doctor yet."""
        return bool(screening.for_doctor(self.attention)) and self.decision != states.Decision.ELIGIBLE


def _elder_born_by(day: date) -> date:
    """The latest birth date of someone 65 or over on ``day``."""
    if day.month == 2 and day.day == 29:
        return date(day.year - priority.ELDER_AGE, 2, 28)
    return day.replace(year=day.year - priority.ELDER_AGE)


def group_rank(day: date) -> Any:
    """The group a person is served in on ``day``: their own, or the elders' group once 65 (domain §5)."""
    return case((and_(PERSON.c.priority_group > priority.ELDER_GROUP, PERSON.c.birth_date <= _elder_born_by(day)),
                 priority.ELDER_GROUP), else_=PERSON.c.priority_group)


def _order(day: date, preferring: date | None = None) -> tuple[Any, ...]:
    prefer: tuple[Any, ...] = ()
    if preferring is not None:  # inside a group: its elders, then who asked for this day, then the others
        prefer = (case((PERSON.c.birth_date <= _elder_born_by(day), 0), else_=1),
                  case((REGISTRATION.c.preferred_date == preferring, 0), else_=1))
    return (group_rank(day), *prefer, PERSON.c.birth_date, REGISTRATION.c.created_at, REGISTRATION.c.id)


def _query(site_id: int, by: date, session: str | None) -> Any:
    """The site's registrations waiting for a slot and due by the day ``by``."""
    query = (select(REGISTRATION.c.id, REGISTRATION.c.booking_code, PERSON.c.id.label("person_id"),
                    PERSON.c.full_name, PERSON.c.birth_date, PERSON.c.priority_group, PERSON.c.id_number,
                    REGISTRATION.c.preferred_date, REGISTRATION.c.preferred_session, REGISTRATION.c.created_at,
                    REGISTRATION.c.screening, REGISTRATION.c.dose_number, REGISTRATION.c.due_on,
                    REGISTRATION.c.decision, REGISTRATION.c.decision_note, REGISTRATION.c.previous_dose,
                    REGISTRATION.c.declared_dose_id)
             .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
             .where(REGISTRATION.c.site_id == site_id, REGISTRATION.c.status == states.Registration.SUBMITTED,
                    or_(REGISTRATION.c.due_on.is_(None), REGISTRATION.c.due_on <= by)))
    if session is not None and session != "allday":
        query = query.where(REGISTRATION.c.preferred_session.in_((session, "allday")))
    return query


def _waiting(row: Any) -> Waiting:
    declared = row.previous_dose if row.previous_dose and row.declared_dose_id is None else None
    return Waiting(row.id, row.booking_code, row.person_id, row.full_name, row.birth_date, row.priority_group,
                   row.id_number, row.preferred_date, row.preferred_session, row.created_at,
                   screening.attention(row.screening or {}), row.dose_number, row.due_on, row.decision,
                   row.decision_note, declared)


def with_last_doses(conn: Connection, found: list[Waiting]) -> list[Waiting]:
    """The same people, each with their latest dose (one query for the page)."""
    ids = [w.person_id for w in found]
    if not ids:
        return found
    latest: dict[int, LastDose] = {}
    for row in conn.execute(select(DOSE.c.person_id, DOSE.c.vaccine, DOSE.c.given_on)
                            .where(DOSE.c.person_id.in_(ids)).order_by(DOSE.c.given_on, DOSE.c.id)):
        latest[row.person_id] = LastDose(row.vaccine, row.given_on)
    return [replace(w, last_dose=latest[w.person_id]) if w.person_id in latest else w for w in found]


def waiting(conn: Connection, site_id: int, *, day: date | None = None, session: str | None = None,
            dose: int | None = None, page: int = 0, size: int = PAGE) -> tuple[list[Waiting], int]:
    """One page of the site's registrations waiting for a slot (due by ``day``, today if none; only those who
    asked for ``day`` when given; only dose ``dose`` when given), in allocation order, and how many there are."""
    by = day or today()
    query = _query(site_id, by, session)
    if day is not None:
        query = query.where(REGISTRATION.c.preferred_date == day)
    if dose is not None:
        query = query.where(REGISTRATION.c.dose_number == dose)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(*_order(by)).limit(size).offset(page * size))
    return with_last_doses(conn, [_waiting(r) for r in rows]), int(total)


def capacity_left(conn: Connection, site_id: int, day: date) -> int:
    """The day's capacity minus the slots already given (open or attended)."""
    capacity = conn.execute(select(SITE.c.daily_capacity).where(SITE.c.id == site_id)).scalar_one()
    given = conn.execute(select(func.count()).select_from(APPOINTMENT).where(
        APPOINTMENT.c.site_id == site_id, APPOINTMENT.c.day == day,
        APPOINTMENT.c.state.in_((*OPEN, states.Appointment.ATTENDED)))).scalar_one()
    return max(int(capacity) - int(given), 0)


@dataclass(frozen=True, slots=True)
class Plan:
    chosen: list[Waiting]  # booked when confirmed, in order
    apart: list[Waiting]  # ranked among the first ``slots`` but needing the doctor: booked only if included
    capacity_left: int
    asked: int


def plan(conn: Connection, site_id: int, day: date, slots: int, session: str = "allday") -> Plan:
    """Who would get the ``slots`` (never more than the day's capacity left), nothing booked yet."""
    left = capacity_left(conn, site_id, day)
    count = max(min(slots, left), 0)
    if count == 0:
        return Plan([], [], left, slots)
    declined = select(APPOINTMENT.c.id).where(
        APPOINTMENT.c.registration_id == REGISTRATION.c.id, APPOINTMENT.c.day == day,
        APPOINTMENT.c.state == states.Appointment.DECLINED)
    query = (_query(site_id, day, session)
             .where(~declined.exists(), or_(REGISTRATION.c.earliest_on.is_(None), REGISTRATION.c.earliest_on <= day))
             .order_by(*_order(day, preferring=day)))
    chosen: list[Waiting] = []
    apart: list[Waiting] = []
    # Read in chunks until the slots are filled by people who need no doctor's look first.
    offset, chunk = 0, max(count * 2, 50)
    while len(chosen) < count:
        rows = conn.execute(query.limit(chunk).offset(offset)).all()
        for row in rows:
            person = _waiting(row)
            if person.needs_doctor:
                if len(chosen) + len(apart) < count:  # ranked within the slots: shown, not booked
                    apart.append(person)
            elif len(chosen) < count:
                chosen.append(person)
        if len(rows) < chunk:
            break
        offset += chunk
    return Plan(chosen, apart, left, slots)


def attention_of(conn: Connection, registration_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The history answers the doctor should look at, by registration (a plan's people set apart say why)."""
    if not registration_ids:
        return {}
    rows = conn.execute(select(REGISTRATION.c.id, REGISTRATION.c.screening)
                        .where(REGISTRATION.c.id.in_(registration_ids)))
    return {row.id: screening.for_doctor(screening.attention(row.screening or {})) for row in rows}
