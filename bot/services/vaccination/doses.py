"""Recording a dose: store it, re-issue the person's credential, queue the new QR to every chat of the owner.

    dose ──course complete (the latest vaccine's count)──▶ registration done
         └─incomplete──▶ the registration waits again, for dose N+1: listed from the recommended interval
                         (``due_on``), never booked before the minimum (``earliest_on``); the person is told
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, insert, select, update

from bot.services.certificates import credentials
from bot.services.certificates.keys import SigningKey
from bot.services.messaging import outbox
from bot.services.reference import vaccines
from bot.services.registration import course
from bot.services.values import states
from bot.services.values.dates import today, utcnow
from bot.services.values.errors import Invalid
from models.tables import Appointment, Dose, Person, Registration, table

DOSE, PERSON, REGISTRATION, APPOINTMENT = table(Dose), table(Person), table(Registration), table(Appointment)


@dataclass(frozen=True, slots=True)
class Recorded:
    person_id: int
    dose_number: int
    credential: credentials.Issued
    pushes: int
    next_due: date | None = None  # the next dose of the course is due from this day (None: complete)


@dataclass(frozen=True, slots=True)
class Next:
    """What the course asks after the doses so far: dose ``number`` from ``due_on``, not before ``earliest_on``;
    None when it is complete."""

    number: int
    due_on: date
    earliest_on: date


def next_dose(conn: Connection, person_id: int) -> Next | None:
    """The course's next dose by the person's doses (the latest one's vaccine sets the count and the gaps)."""
    rows = conn.execute(select(DOSE.c.vaccine, DOSE.c.given_on).where(DOSE.c.person_id == person_id)
                        .order_by(DOSE.c.given_on, DOSE.c.id)).all()
    if not rows:
        return None
    latest = rows[-1]
    if len(rows) >= vaccines.series_doses(latest.vaccine):
        return None
    minimum, recommended = vaccines.due_after(latest.vaccine)
    return Next(len(rows) + 1, latest.given_on + timedelta(days=recommended),
                latest.given_on + timedelta(days=minimum))


class ShortInterval(Exception):
    """Sooner after the previous dose than the vaccine's minimum: recorded only once confirmed (the doctor
    decides), never refused."""

    def __init__(self, days: int, minimum: int, previous_vaccine: str) -> None:
        super().__init__(days)
        self.days, self.minimum, self.previous_vaccine = days, minimum, previous_vaccine


def short_interval(conn: Connection, person_id: int, given_on: date) -> ShortInterval | None:
    """The gap since the previous dose when it is shorter than that vaccine's minimum; refused (:class:`Invalid`):
    a dose already recorded that day."""
    earlier = conn.execute(
        select(DOSE.c.vaccine, DOSE.c.given_on).where(DOSE.c.person_id == person_id).order_by(DOSE.c.given_on)
    ).all()
    if any(d.given_on == given_on for d in earlier):
        raise Invalid("dose.duplicate", date=given_on.strftime("%d/%m/%Y"))
    before = [d for d in earlier if d.given_on < given_on]
    if not before:
        return None
    last = before[-1]
    minimum = vaccines.VACCINES[last.vaccine].min_interval_days if last.vaccine in vaccines.VACCINES else None
    days = (given_on - last.given_on).days
    return ShortInterval(days, minimum, last.vaccine) if minimum is not None and 0 <= days < minimum else None


def record(
    conn: Connection, key: SigningKey, *, booking_code: str, vaccine: str, lot: str, given_on: date,
    source: str = "cli", recorded_by: str | None = None, confirmed_interval: bool = False, site_id: int | None = None,
) -> Recorded:
    """Store a dose of the registration's person, re-issue their credential, queue the new QR.

    Refused (:class:`Invalid`): a cancelled booking, an unknown vaccine, a date in the future or before the birth
    date, the same dose twice (a dose already recorded that day). A gap shorter than the previous vaccine's minimum
    raises :class:`ShortInterval` unless ``confirmed_interval``."""
    code = vaccines.find(vaccine)
    if code is None:
        raise Invalid("dose.unknown_vaccine", vaccine=vaccine)
    if given_on > today():
        raise Invalid("date.in_future")
    row = conn.execute(
        select(REGISTRATION.c.id, REGISTRATION.c.person_id, REGISTRATION.c.site_id, PERSON.c.owner_account_id,
               PERSON.c.birth_date, REGISTRATION.c.status)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .where(REGISTRATION.c.booking_code == booking_code)
    ).first()
    if row is None:
        raise Invalid("dose.no_such_booking")
    if row.status == states.Registration.CANCELLED:  # a cancelled booking answers no dose: they register again
        raise Invalid("dose.cancelled_booking")
    if row.status == states.Registration.REFERRED:  # the doctor sent them elsewhere: that site registers them
        raise Invalid("dose.referred_booking")
    if given_on < row.birth_date:
        raise Invalid("dose.before_birth")
    short = short_interval(conn, row.person_id, given_on)  # refuses the same day twice, confirmed or not
    if short is not None and not confirmed_interval:
        raise short
    # Where it was given: the recording staff's site (``site_id``), else the registration's.
    number = add(conn, person_id=row.person_id, registration_id=row.id, site_id=site_id or row.site_id, vaccine=code,
                 lot=lot, given_on=given_on, source=source, recorded_by=recorded_by)
    issued = credentials.issue(conn, row.person_id, key)
    following = next_dose(conn, row.person_id)
    pushes = push_new_qr(conn, row.owner_account_id, row.person_id, issued, vaccine=code, number=number,
                         given_on=given_on, next_due=following)
    return Recorded(row.person_id, number, issued, pushes, following.due_on if following else None)


def add(conn: Connection, *, person_id: int, registration_id: int | None, site_id: int | None, vaccine: str,
        lot: str, given_on: date, source: str, recorded_by: str | None, attended: bool = True) -> int:
    """Store a dose (checked by the caller) and move on the registration it answers (done, or waiting for the next
    dose); returns its number in the person's course (doses are numbered by date, so a site's late record of an
    earlier dose, or a confirmed declared one, fits in). ``attended``: given now, at the appointment (a declared
    dose was given elsewhere, before)."""
    conn.execute(insert(DOSE).values(
        person_id=person_id, registration_id=registration_id, dose_number=0, vaccine=vaccine, lot=lot[:40],
        given_on=given_on, site_id=site_id, source=source, recorded_by=recorded_by, created_at=utcnow()))
    number = course.renumber(conn, person_id)[given_on]
    if registration_id is not None:
        following = next_dose(conn, person_id)
        still_open = (REGISTRATION.c.id == registration_id, REGISTRATION.c.status.in_(states.OPEN_REGISTRATION))
        if following is None:
            conn.execute(update(REGISTRATION).where(*still_open).values(
                status=states.Registration.DONE, open_key=None, due_on=None, earliest_on=None, decision=None,
                decision_note=None, decision_place=None))
        else:  # the course goes on at the same site: the registration waits for the next dose
            next_step = {"dose_number": following.number, "due_on": following.due_on, "due_told_on": None,
                         "earliest_on": following.earliest_on}
            if attended:  # given now: the doctor's decision was for this dose, the next one is screened anew
                next_step |= {"status": states.Registration.SUBMITTED, "decision": None, "decision_note": None,
                           "decision_place": None, "decided_at": None}
            conn.execute(update(REGISTRATION).where(*still_open).values(**next_step))
        if attended:
            appointments_done(conn, registration_id)
    return number


def appointments_done(conn: Connection, registration_id: int) -> None:
    """A dose given: the registration's open appointment is kept, as attended, and its slot counted as used."""
    conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.registration_id == registration_id,
                                           APPOINTMENT.c.open_key.is_not(None))
                 .values(state=states.Appointment.ATTENDED, open_key=None))


def push_new_qr(conn: Connection, owner_account_id: int, person_id: int, issued: credentials.Issued, *,
                vaccine: str, number: int, given_on: date, next_due: Next | None = None) -> int:
    """Queue the new QR to every chat of the owner's account (with the next dose's due day, when the course goes
    on); returns how many."""
    payload: dict[str, object] = {"person_id": person_id, "credential_id": issued.id, "vaccine": vaccine,
                                  "dose_number": number, "given_on": given_on.isoformat()}
    if next_due is not None:
        payload |= {"next_number": next_due.number, "next_due": next_due.due_on.isoformat()}
    return outbox.enqueue_for_account(conn, owner_account_id, kind="dose_qr", payload=payload)
