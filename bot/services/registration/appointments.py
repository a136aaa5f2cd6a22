"""Slots a site gives to waiting registrations, the people's answers, and the evening-before reminder.

    waiting (:mod:`.waiting`: the order and the plan) ──▶ book ──▶ a notice to every chat
    notice ──"Tôi sẽ đến"──▶ confirmed        ──"Không đến được"──▶ declined: the slot is free again, the
                                                                   registration waits again, the site is told
    18:00 the evening before ──▶ one reminder per open appointment
    the day over, no dose ──▶ missed ("vắng"): the registration waits again in its place; the person told once

Registering first does not mean being vaccinated first (domain §1): the order is the priority group's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.access import audit
from bot.services.access.staff import Role
from bot.services.messaging import outbox
from bot.services.registration.waiting import capacity_left, group_rank
from bot.services.values import payloads, states
from bot.services.values.dates import now, to_local, today, utcnow
from bot.services.values.text import is_number
from models.tables import Appointment, Person, Registration, Site, table

APPOINTMENT, REGISTRATION, PERSON, SITE = table(Appointment), table(Registration), table(Person), table(Site)
SESSIONS = ("morning", "afternoon", "allday")
OPEN = states.OPEN_APPOINTMENT
REMIND_AT = time(18, 0)  # local time, the evening before
PREFIX = payloads.APPOINTMENT.prefix  # the answer buttons' payloads: "appt:yes:<id>" / "appt:no:<id>"


def answer_payload(appointment_id: int, *, coming: bool) -> str:
    return payloads.APPOINTMENT.make(f"{'yes' if coming else 'no'}:{appointment_id}")


def read_payload(payload: str) -> tuple[int, bool] | None:
    """(appointment id, coming) from an answer button's payload, or None."""
    answer, _, number = (payloads.APPOINTMENT.value(payload) or "").partition(":")
    if answer not in ("yes", "no") or not is_number(number):
        return None
    return int(number), answer == "yes"


@dataclass(frozen=True, slots=True)
class Booked:
    appointments: int
    people: int  # whose chats were told (a notice per chat of each owner's account)
    skipped: int  # no longer waiting (booked by someone else, cancelled) or beyond capacity


def book(conn: Connection, role: Role, site_id: int, day: date, session: str, registration_ids: list[int]) -> Booked:
    """Give the slots of a confirmed plan, in its order. The site's row is locked (PostgreSQL) so two staff allocating
    at once cannot exceed the capacity; a registration no longer waiting (booked meanwhile, cancelled, postponed,
    before its minimum interval) is skipped. Set-based: 500 slots are a handful of statements."""
    conn.execute(select(SITE.c.id).where(SITE.c.id == site_id).with_for_update())
    left = capacity_left(conn, site_id, day)
    found = {row.id: row for row in conn.execute(
        select(REGISTRATION.c.id, PERSON.c.owner_account_id, PERSON.c.id.label("person_id"))
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .where(REGISTRATION.c.id.in_(registration_ids), REGISTRATION.c.status == states.Registration.SUBMITTED,
               REGISTRATION.c.site_id == site_id,  # never before the dose's minimum interval, nor a postponement
               or_(REGISTRATION.c.earliest_on.is_(None), REGISTRATION.c.earliest_on <= day)))}
    taken = [found[number] for number in dict.fromkeys(registration_ids) if number in found][:left]
    if not taken:
        return Booked(0, 0, len(registration_ids))
    stamp = utcnow()
    try:
        with conn.begin_nested():  # one booked meanwhile by another process (its open key): one by one instead
            created = conn.execute(insert(APPOINTMENT).returning(APPOINTMENT.c.id, APPOINTMENT.c.registration_id,
                                                                 sort_by_parameter_order=True), [
                {"registration_id": r.id, "site_id": site_id, "day": day, "session": session,
                 "state": states.Appointment.BOOKED, "open_key": r.id, "created_by": role.account_id,
                 "created_at": stamp} for r in taken]).all()
    except IntegrityError:
        created = [row for r in taken if (row := _book_one(conn, role, site_id, day, session, r.id)) is not None]
    booked = {row.registration_id: row.id for row in created}
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.id.in_(list(booked)))
                 .values(status=states.Registration.SCHEDULED))
    people = [r for r in taken if r.id in booked]
    audit.record_many(conn, role, "allocate", [(r.person_id, f"appointment {day.isoformat()} {session}")
                                               for r in people])
    reached = outbox.enqueue_many(conn, [(r.owner_account_id, "appointment", {"appointment_id": booked[r.id]})
                                         for r in people])
    return Booked(len(booked), sum(1 for r in people if r.owner_account_id in reached),
                  len(registration_ids) - len(booked))


def _book_one(conn: Connection, role: Role, site_id: int, day: date, session: str, registration_id: int) -> Any:
    try:
        with conn.begin_nested():
            return conn.execute(insert(APPOINTMENT).values(
                registration_id=registration_id, site_id=site_id, day=day, session=session,
                state=states.Appointment.BOOKED, open_key=registration_id, created_by=role.account_id,
                created_at=utcnow()).returning(APPOINTMENT.c.id, APPOINTMENT.c.registration_id)).first()
    except IntegrityError:
        return None


@dataclass(frozen=True, slots=True)
class Notice:
    """What a person is told of their appointment."""

    appointment_id: int
    full_name: str
    booking_code: str
    site_name: str
    site_address: str
    day: date
    session: str
    state: str


def notice(conn: Connection, appointment_id: int) -> Notice | None:
    row = conn.execute(
        select(APPOINTMENT.c.id, PERSON.c.full_name, REGISTRATION.c.booking_code, SITE.c.name, SITE.c.address,
               APPOINTMENT.c.day, APPOINTMENT.c.session, APPOINTMENT.c.state)
        .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .join(SITE, SITE.c.id == APPOINTMENT.c.site_id)
        .where(APPOINTMENT.c.id == appointment_id)).first()
    return Notice(*row) if row is not None else None


def for_account(conn: Connection, account_id: int, *, upcoming_only: bool = True) -> list[Notice]:
    """The appointments of the account's people, soonest first (only open, not past, by default)."""
    query = (select(APPOINTMENT.c.id, PERSON.c.full_name, REGISTRATION.c.booking_code, SITE.c.name, SITE.c.address,
                    APPOINTMENT.c.day, APPOINTMENT.c.session, APPOINTMENT.c.state)
             .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
             .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
             .join(SITE, SITE.c.id == APPOINTMENT.c.site_id)
             .where(PERSON.c.owner_account_id == account_id))
    if upcoming_only:
        query = query.where(APPOINTMENT.c.state.in_(OPEN), APPOINTMENT.c.day >= today())
    return [Notice(*r) for r in conn.execute(query.order_by(APPOINTMENT.c.day, APPOINTMENT.c.id))]


def answer(conn: Connection, account_id: int, appointment_id: int, *, coming: bool) -> Notice | None:
    """The person's answer to one of their own open appointments (None: not theirs, or no longer open).
    "Không đến được" frees the slot, puts the registration back in the waiting list and tells the site."""
    mine = {n.appointment_id: n for n in for_account(conn, account_id)}
    found = mine.get(appointment_id)
    if found is None:
        return None
    if coming:
        conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.id == appointment_id)
                     .values(state=states.Appointment.CONFIRMED, answered_at=utcnow()))
        audit.record(conn, None, "confirmed", how=f"appointment {found.day.isoformat()}",
                     actor_account_id=account_id)
        return found
    row = conn.execute(select(APPOINTMENT.c.registration_id, APPOINTMENT.c.site_id, PERSON.c.id.label("person_id"))
                       .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
                       .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
                       .where(APPOINTMENT.c.id == appointment_id)).one()
    conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.id == appointment_id)
                 .values(state=states.Appointment.DECLINED, open_key=None, answered_at=utcnow()))
    conn.execute(update(REGISTRATION)
                 .where(REGISTRATION.c.id == row.registration_id,
                        REGISTRATION.c.status == states.Registration.SCHEDULED)
                 .values(status=states.Registration.SUBMITTED))
    audit.record(conn, None, "declined", person_id=row.person_id, how=f"appointment {found.day.isoformat()}",
                 actor_account_id=account_id)
    outbox.tell_site(conn, row.site_id, "appointment.declined_staff", name=found.full_name, code=found.booking_code,
                     date=found.day.strftime("%d/%m/%Y"))
    return found


def remind_due(conn: Connection) -> int:
    """From 18:00 (Vietnam) the evening before: one reminder per open appointment of tomorrow, never twice."""
    local = to_local(now().replace(tzinfo=None))
    if local.time() < REMIND_AT:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    due = conn.execute(
        select(APPOINTMENT.c.id, PERSON.c.owner_account_id)
        .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .where(APPOINTMENT.c.day == tomorrow, APPOINTMENT.c.state.in_(OPEN), APPOINTMENT.c.reminded_at.is_(None))
        .with_for_update(of=APPOINTMENT, skip_locked=True)).all()
    for row in due:
        conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.id == row.id).values(reminded_at=utcnow()))
        outbox.enqueue_for_account(conn, row.owner_account_id, kind="appointment",
                                   payload={"appointment_id": row.id, "reminder": True})
    return len(due)


def day_list(conn: Connection, site_id: int, day: date | None) -> list[dict[str, Any]]:
    """The site's registrations (waiting, or with an appointment on ``day``), for the XLSX export."""
    booked = and_(APPOINTMENT.c.registration_id == REGISTRATION.c.id, APPOINTMENT.c.state.in_((*OPEN, "attended")))
    query = (select(REGISTRATION.c.booking_code, PERSON.c.full_name, PERSON.c.birth_date, PERSON.c.sex,
                    PERSON.c.phone, PERSON.c.priority_group, PERSON.c.workplace, REGISTRATION.c.preferred_date,
                    REGISTRATION.c.preferred_session, REGISTRATION.c.status, REGISTRATION.c.screening,
                    REGISTRATION.c.created_at, APPOINTMENT.c.day, APPOINTMENT.c.session, APPOINTMENT.c.state)
             .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
             .outerjoin(APPOINTMENT, booked)
             .where(REGISTRATION.c.site_id == site_id,
                    REGISTRATION.c.status.in_((*states.OPEN_REGISTRATION, states.Registration.DONE))))
    if day is not None:
        query = query.where(or_(APPOINTMENT.c.day == day,
                                and_(APPOINTMENT.c.id.is_(None), REGISTRATION.c.preferred_date == day)))
    rows = conn.execute(query.order_by(group_rank(today()), PERSON.c.birth_date, REGISTRATION.c.created_at,
                                       REGISTRATION.c.id))
    return [dict(r._mapping) for r in rows]


def people_of(conn: Connection, booking_codes: list[str]) -> list[int]:
    """The people behind these registrations (for the audit log of an export)."""
    if not booking_codes:
        return []
    return list(conn.execute(select(REGISTRATION.c.person_id).where(
        REGISTRATION.c.booking_code.in_(booking_codes))).scalars())


# ---- no-shows ("vắng") ------------------------------------------------------------------------------------------


def _miss(conn: Connection, rows: list[Any]) -> None:
    """The appointments missed: their slots are gone with their day, the registrations wait again in their place
    (the order is the group's, not the booking's), and each person is told once. Set-based: a sweep's batch is a
    few statements, so the replies waiting for the database are not held up by it."""
    if not rows:
        return
    conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.id.in_([r.id for r in rows]))
                 .values(state=states.Appointment.MISSED, open_key=None))
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.id.in_([r.registration_id for r in rows]),
                                            REGISTRATION.c.status == states.Registration.SCHEDULED)
                 .values(status=states.Registration.SUBMITTED))
    outbox.tell_accounts(conn, [(r.owner_account_id, "appointment.missed_citizen",
                                 {"name": r.full_name, "date": r.day.strftime("%d/%m/%Y")}) for r in rows])


def _open_before(day: date) -> Any:
    return (select(APPOINTMENT.c.id, APPOINTMENT.c.registration_id, APPOINTMENT.c.day, PERSON.c.owner_account_id,
                   PERSON.c.full_name, PERSON.c.id.label("person_id"))
            .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
            .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
            .where(APPOINTMENT.c.day < day, APPOINTMENT.c.state.in_(OPEN)))


SWEEP_BATCH = 200  # rows a sweep's transaction takes: short, so that replies interleave


def sweep_missed(conn: Connection, *, batch: int = SWEEP_BATCH) -> int:
    """Once a day is over (Vietnam time), its appointments still open are missed; one batch per call (the
    scheduler calls again while there are more), locked rows skipped so two processes share the work."""
    due = conn.execute(_open_before(today()).order_by(APPOINTMENT.c.id).limit(batch)
                       .with_for_update(of=APPOINTMENT, skip_locked=True)).all()
    _miss(conn, list(due))
    audit.record_many(conn, None, "missed", [(r.person_id, f"appointment {r.day.isoformat()}") for r in due])
    return len(due)


def mark_missed(conn: Connection, role: Role, registration_id: int) -> date | None:
    """Staff mark a no-show by hand (the person will not come today): the registration's open appointment of today
    or before; None when it has none."""
    found = conn.execute(_open_before(today() + timedelta(days=1))
                         .where(APPOINTMENT.c.registration_id == registration_id)).first()
    if found is None:
        return None
    _miss(conn, [found])
    audit.record(conn, role, "missed", person_id=found.person_id, how=f"appointment {found.day.isoformat()}")
    return found.day  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Missed:
    booking_code: str
    full_name: str
    birth_date: date
    phone: str
    session: str
    person_id: int


def missed_on(conn: Connection, site_id: int, day: date) -> list[Missed]:
    """A day's no-shows at the site, in the list's order."""
    rows = conn.execute(
        select(REGISTRATION.c.booking_code, PERSON.c.full_name, PERSON.c.birth_date, PERSON.c.phone,
               APPOINTMENT.c.session, PERSON.c.id)
        .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .where(APPOINTMENT.c.site_id == site_id, APPOINTMENT.c.day == day,
               APPOINTMENT.c.state == states.Appointment.MISSED)
        .order_by(group_rank(day), PERSON.c.birth_date, REGISTRATION.c.id))
    return [Missed(*r) for r in rows]


def day_sheet(conn: Connection, site_id: int, day: date) -> list[dict[str, Any]]:
    """The people booked at the site on ``day`` (open, attended or missed), in the list's order."""
    query = (select(REGISTRATION.c.booking_code, PERSON.c.full_name, PERSON.c.birth_date, PERSON.c.sex,
                    PERSON.c.id_number, PERSON.c.priority_group, REGISTRATION.c.dose_number,
                    REGISTRATION.c.screening, APPOINTMENT.c.session)
             .join(REGISTRATION, REGISTRATION.c.id == APPOINTMENT.c.registration_id)
             .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
             .where(APPOINTMENT.c.site_id == site_id, APPOINTMENT.c.day == day,
                    APPOINTMENT.c.state.in_((*OPEN, states.Appointment.ATTENDED, states.Appointment.MISSED)))
             .order_by(APPOINTMENT.c.session, group_rank(day), PERSON.c.birth_date, REGISTRATION.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]
