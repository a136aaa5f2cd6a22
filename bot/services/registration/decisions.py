"""The doctor's decision at the screening table, and the day a waiting person is due again.

    /sangloc ── đạt ──▶ the dose may be given (``/tiem`` asks nothing more of the history)
             ├─ hoãn <day> [lý do] ──▶ off the lists and plans until that day, the appointment freed; told
             └─ chuyển <nơi> [lý do] ──▶ the registration closed here (referred); told where to go
    the due day (next dose, or a postponement's end) ──▶ back on the list; told once

The service records what the doctor decided; it never decides eligibility itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, case, or_, select, update

from bot.services.access import audit
from bot.services.access.staff import Role
from bot.services.messaging import outbox
from bot.services.registration.appointments import SWEEP_BATCH
from bot.services.values import states
from bot.services.values.dates import dmy, today, utcnow
from bot.services.values.errors import Invalid
from models.tables import Appointment, Person, Registration, table

APPOINTMENT, REGISTRATION, PERSON = table(Appointment), table(Registration), table(Person)
NOTE_CHARS = 200
Decision = states.Decision


@dataclass(frozen=True, slots=True)
class Subject:
    """The registration a decision is about."""

    registration_id: int
    person_id: int
    owner_account_id: int
    full_name: str
    status: str
    dose_number: int


def subject(conn: Connection, registration_id: int) -> Subject | None:
    row = conn.execute(select(REGISTRATION.c.id, PERSON.c.id, PERSON.c.owner_account_id, PERSON.c.full_name,
                              REGISTRATION.c.status, REGISTRATION.c.dose_number)
                       .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
                       .where(REGISTRATION.c.id == registration_id)).first()
    return Subject(*row) if row is not None else None


def _free_appointment(conn: Connection, registration_id: int) -> None:
    conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.registration_id == registration_id,
                                           APPOINTMENT.c.open_key.is_not(None))
                 .values(state=states.Appointment.CANCELLED, open_key=None))


def decide(conn: Connection, role: Role, registration_id: int, decision: Decision, *, until: date | None = None,
           reason: str | None = None, place: str | None = None) -> Subject:
    """Record the doctor's decision for the dose due; refused (:class:`Invalid`) on a registration no longer
    open, or a postponement not to a later day. The reason and the place are kept exactly as typed."""
    found = subject(conn, registration_id)
    if found is None or found.status not in states.OPEN_REGISTRATION:
        raise Invalid("screen.not_open")
    reason = (reason or "").strip()[:NOTE_CHARS] or None
    place = (place or "").strip()[:NOTE_CHARS] or None
    values: dict[str, object] = {"decision": decision, "decision_note": reason, "decision_place": place,
                                 "decided_at": utcnow()}
    how = str(decision)
    if decision == Decision.POSTPONED:
        if until is None or until <= today():
            raise Invalid("screen.until_past")
        # Never earlier than the course already said (a postponement shorter than the dose's interval).
        values |= {"status": states.Registration.SUBMITTED, "due_told_on": None,
                   "due_on": case((REGISTRATION.c.due_on > until, REGISTRATION.c.due_on), else_=until),
                   "earliest_on": case((REGISTRATION.c.earliest_on > until, REGISTRATION.c.earliest_on), else_=until)}
        how += f" until {until.isoformat()}"
        _free_appointment(conn, registration_id)
    elif decision == Decision.REFERRED:
        if place is None:
            raise Invalid("screen.place_missing")
        values |= {"status": states.Registration.REFERRED, "open_key": None}
        _free_appointment(conn, registration_id)
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id).values(**values))
    audit.record(conn, role, "screen", person_id=found.person_id, how=how)  # never the reason: a health fact
    if decision == Decision.POSTPONED and until is not None:
        outbox.tell_account(conn, found.owner_account_id,
                            "screen.postponed_citizen" if reason else "screen.postponed_citizen_plain",
                            name=found.full_name, date=dmy(until), reason=reason or "")
    elif decision == Decision.REFERRED:
        outbox.tell_account(conn, found.owner_account_id,
                            "screen.referred_citizen" if reason else "screen.referred_citizen_plain",
                            name=found.full_name, place=place or "", reason=reason or "")
    return found


def sweep_due(conn: Connection, *, batch: int = SWEEP_BATCH) -> int:
    """Tell the people whose day has come (the next dose due, or a postponement over) that they are back on the
    site's list: once per due day; one batch per call, locked rows skipped; set-based, as the no-show sweep."""
    now = today()
    due = conn.execute(
        select(REGISTRATION.c.id, REGISTRATION.c.dose_number, REGISTRATION.c.decision, REGISTRATION.c.due_on,
               PERSON.c.owner_account_id, PERSON.c.full_name)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .where(REGISTRATION.c.status == states.Registration.SUBMITTED, REGISTRATION.c.due_on <= now,
               or_(REGISTRATION.c.due_told_on.is_(None), REGISTRATION.c.due_told_on < REGISTRATION.c.due_on))
        .order_by(REGISTRATION.c.id).limit(batch)
        .with_for_update(of=REGISTRATION, skip_locked=True)).all()
    if due:
        conn.execute(update(REGISTRATION).where(REGISTRATION.c.id.in_([r.id for r in due])).values(due_told_on=now))
        outbox.tell_accounts(conn, [
            (r.owner_account_id, "screen.back_on_list" if r.decision == Decision.POSTPONED else "screen.dose_due",
             {"name": r.full_name, "number": r.dose_number, "date": dmy(r.due_on)}) for r in due])
    return len(due)
