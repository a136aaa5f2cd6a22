"""Correcting a recorded dose (issue 27): its vaccine, lot or date, the person it belongs to, or removing it.

    a dose ──edit──▶ the same person, the dose as it should have been
           ├─move──▶ the right person (found in the caller's scope)
           └─remove (with a reason)──▶ gone
    then, for each person whose doses changed: doses renumbered by date, the registration the dose answered
    reopened or moved on (the course says which), the credential re-issued (the earlier one superseded: a
    checkpoint says "không còn hiệu lực"), the new QR pushed to every chat of the account, and the citizen told
    in plain words what was corrected. The audit keeps the before and the after.

Who may: staff of the site that recorded the dose (for a declared dose, the registration's site), or an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, select, update

from bot.services.access import audit
from bot.services.access.staff import Role
from bot.services.certificates import credentials
from bot.services.certificates.keys import SigningKey
from bot.services.messaging import outbox
from bot.services.reference import vaccines
from bot.services.registration import course
from bot.services.registration.registrations import open_key
from bot.services.vaccination import doses
from bot.services.values import states
from bot.services.values.dates import dmy, today
from bot.services.values.errors import Invalid
from models.tables import Appointment, Dose, Person, Registration, Site, table

DOSE, PERSON, REGISTRATION, APPOINTMENT, SITE = (
    table(Dose), table(Person), table(Registration), table(Appointment), table(Site))
REASON_CHARS = 200


@dataclass(frozen=True, slots=True)
class Recorded:
    """A dose as it stands, with what deciding who may correct it needs."""

    id: int
    person_id: int
    person_name: str
    owner_account_id: int
    number: int
    vaccine: str
    lot: str
    given_on: date
    site_id: int | None  # where it was given (None: declared, given elsewhere)
    site_name: str | None
    registration_id: int | None
    registration_site_id: int | None
    source: str

    @property
    def deciding_site(self) -> int | None:
        """The site whose staff may correct it: where it was given, or (a declared dose) the registration's."""
        return self.site_id if self.site_id is not None else self.registration_site_id

    def words(self) -> str:
        """As the audit keeps it: "pfizer lot FK1 on 2026-12-05"."""
        return f"{self.vaccine} lot {self.lot} on {self.given_on.isoformat()}"


def _query() -> Any:
    return (select(DOSE.c.id, DOSE.c.person_id, PERSON.c.full_name, PERSON.c.owner_account_id, DOSE.c.dose_number,
                   DOSE.c.vaccine, DOSE.c.lot, DOSE.c.given_on, DOSE.c.site_id, SITE.c.name, DOSE.c.registration_id,
                   REGISTRATION.c.site_id.label("registration_site_id"), DOSE.c.source)
            .join(PERSON, PERSON.c.id == DOSE.c.person_id)
            .outerjoin(SITE, SITE.c.id == DOSE.c.site_id)
            .outerjoin(REGISTRATION, REGISTRATION.c.id == DOSE.c.registration_id))


def doses_of(conn: Connection, person_id: int) -> list[Recorded]:
    """The person's doses, in their course's order."""
    rows = conn.execute(_query().where(DOSE.c.person_id == person_id).order_by(DOSE.c.given_on, DOSE.c.id))
    return [Recorded(*r) for r in rows]


def find(conn: Connection, dose_id: int) -> Recorded | None:
    row = conn.execute(_query().where(DOSE.c.id == dose_id)).first()
    return Recorded(*row) if row is not None else None


def may_correct(role: Role | None, dose: Recorded) -> bool:
    """An admin (or the command line: ``role`` None), or staff of the dose's deciding site."""
    return role is None or role.role == "admin" or (role.site_id is not None and role.site_id == dose.deciding_site)


@dataclass(frozen=True, slots=True)
class Corrected:
    """What was done, for the caller to say: the people whose QR was re-issued (first: the dose's owner before)."""

    people: tuple[int, ...]
    pushes: int
    levels: tuple[str, ...]


def _check_day(conn: Connection, person_id: int, given_on: date, *, except_dose: int | None = None) -> None:
    if given_on > today():
        raise Invalid("date.in_future")
    born = conn.execute(select(PERSON.c.birth_date).where(PERSON.c.id == person_id)).scalar_one()
    if given_on < born:
        raise Invalid("dose.before_birth")
    same = select(DOSE.c.id).where(DOSE.c.person_id == person_id, DOSE.c.given_on == given_on)
    if except_dose is not None:
        same = same.where(DOSE.c.id != except_dose)
    if conn.execute(same).first() is not None:
        raise Invalid("dose.duplicate", date=dmy(given_on))


def edit(conn: Connection, key: SigningKey, role: Role | None, dose: Recorded, *, vaccine: str, lot: str,
         given_on: date) -> Corrected:
    """The dose as it should have been (the same person). Refused (:class:`Invalid`) as a new dose would be."""
    code = vaccines.find(vaccine)
    if code is None:
        raise Invalid("dose.unknown_vaccine", vaccine=vaccine)
    lot = " ".join(lot.split())[:40]
    if (code, lot, given_on) == (dose.vaccine, dose.lot, dose.given_on):
        raise Invalid("fixdose.nothing_changed")
    _check_day(conn, dose.person_id, given_on, except_dose=dose.id)
    conn.execute(update(DOSE).where(DOSE.c.id == dose.id).values(vaccine=code, lot=lot, given_on=given_on))
    after = f"{code} lot {lot} on {given_on.isoformat()}"
    audit.record(conn, role, "fixdose", person_id=dose.person_id, how=f"dose {dose.id}: {dose.words()} -> {after}")
    course.renumber(conn, dose.person_id)
    _course(conn, dose.registration_id)
    return _reissue(conn, key, [(dose.person_id, dose.owner_account_id, "fixdose.told_edited", {
        "name": dose.person_name, "before": _said(dose.vaccine, dose.lot, dose.given_on),
        "after": _said(code, lot, given_on)})])


def move(conn: Connection, key: SigningKey, role: Role | None, dose: Recorded, *, to_person: int,
         to_registration: int | None) -> Corrected:
    """The dose belongs to another person (``to_registration``: theirs it answers, if any)."""
    if to_person == dose.person_id:
        raise Invalid("fixdose.same_person")
    _check_day(conn, to_person, dose.given_on)
    target = conn.execute(select(PERSON.c.full_name, PERSON.c.owner_account_id)
                          .where(PERSON.c.id == to_person)).one()
    conn.execute(update(DOSE).where(DOSE.c.id == dose.id)
                 .values(person_id=to_person, registration_id=to_registration))
    audit.record(conn, role, "fixdose", person_id=dose.person_id,
                 how=f"dose {dose.id}: {dose.words()} moved from person {dose.person_id} to {to_person}")
    audit.record(conn, role, "fixdose", person_id=to_person,
                 how=f"dose {dose.id}: {dose.words()} moved from person {dose.person_id} to {to_person}")
    course.renumber(conn, dose.person_id)
    course.renumber(conn, to_person)
    _reopen(conn, dose)
    if to_registration is not None:
        _course(conn, to_registration, given=True)
    said = _said(dose.vaccine, dose.lot, dose.given_on)
    return _reissue(conn, key, [
        (dose.person_id, dose.owner_account_id, "fixdose.told_removed_wrong", {"name": dose.person_name, "dose": said}),
        (to_person, target.owner_account_id, "fixdose.told_added", {"name": target.full_name, "dose": said}),
    ])


def remove(conn: Connection, key: SigningKey, role: Role | None, dose: Recorded, *, reason: str) -> Corrected:
    """The dose was never given (or twice recorded): gone, with the reason kept in the audit."""
    reason = " ".join(reason.split())[:REASON_CHARS]
    if not reason:
        raise Invalid("fixdose.reason_missing")
    conn.execute(delete(DOSE).where(DOSE.c.id == dose.id))
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.declared_dose_id == dose.id).values(declared_dose_id=None))
    audit.record(conn, role, "fixdose", person_id=dose.person_id,
                 how=f"dose {dose.id}: {dose.words()} removed; reason: {reason}")
    course.renumber(conn, dose.person_id)
    _reopen(conn, dose)
    return _reissue(conn, key, [(dose.person_id, dose.owner_account_id, "fixdose.told_removed", {
        "name": dose.person_name, "dose": _said(dose.vaccine, dose.lot, dose.given_on), "reason": reason})])


def _said(vaccine: str, lot: str, given_on: date) -> str:
    """The dose as the citizen reads it; the vaccine's name is worded when the message is sent."""
    return f"{vaccine}|{lot}|{dmy(given_on)}"


def _course(conn: Connection, registration_id: int | None, *, given: bool = False) -> None:
    """The registration's place in the course after its doses changed: done when complete, else waiting for
    the next dose; ``given``: a dose now answers it (its open appointment attended)."""
    if registration_id is None:
        return
    row = conn.execute(select(REGISTRATION.c.person_id, REGISTRATION.c.status).where(
        REGISTRATION.c.id == registration_id)).first()
    if row is None or row.status in (states.Registration.CANCELLED, states.Registration.REFERRED):
        return
    following = doses.next_dose(conn, row.person_id)
    if following is None and conn.execute(select(DOSE.c.id).where(DOSE.c.person_id == row.person_id)).first():
        conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id).values(
            status=states.Registration.DONE, open_key=None, due_on=None, earliest_on=None))
    elif following is not None and row.status != states.Registration.DONE:
        conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id).values(
            dose_number=following.number, due_on=following.due_on, earliest_on=following.earliest_on))
    if given:
        doses.appointments_done(conn, registration_id)
        if following is not None:
            conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == registration_id,
                                                    REGISTRATION.c.status == states.Registration.SCHEDULED)
                         .values(status=states.Registration.SUBMITTED))


def _reopen(conn: Connection, dose: Recorded) -> None:
    """The dose no longer answers its registration: a registration it closed waits again (its open key back, if
    the person has no other open one), its course recomputed; the appointment it attended reopened for a day not
    yet over, else freed (the registration back on the list)."""
    if dose.registration_id is None:
        return
    row = conn.execute(select(REGISTRATION.c.status, PERSON.c.id_type, PERSON.c.id_number, PERSON.c.id)
                       .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
                       .where(REGISTRATION.c.id == dose.registration_id)).one()
    if row.status in (states.Registration.CANCELLED, states.Registration.REFERRED):
        return
    following = doses.next_dose(conn, row.id)
    course: dict[str, object] = {"dose_number": len(doses_of(conn, row.id)) + 1, "due_on": None, "earliest_on": None}
    if following is not None:
        course = {"dose_number": following.number, "due_on": following.due_on, "earliest_on": following.earliest_on}
    key = open_key(row.id_type, row.id_number)
    taken = conn.execute(select(REGISTRATION.c.id).where(REGISTRATION.c.open_key == key,
                                                         REGISTRATION.c.id != dose.registration_id)).first()
    if row.status == states.Registration.DONE and taken is None:
        course |= {"status": states.Registration.SUBMITTED, "open_key": key}
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == dose.registration_id).values(**course))
    attended = conn.execute(select(APPOINTMENT.c.id, APPOINTMENT.c.day).where(
        APPOINTMENT.c.registration_id == dose.registration_id, APPOINTMENT.c.day == dose.given_on,
        APPOINTMENT.c.state == states.Appointment.ATTENDED)).first()
    if attended is None:
        return
    if attended.day >= today() and (taken is None or row.status != states.Registration.DONE):
        open_now = conn.execute(select(APPOINTMENT.c.id).where(APPOINTMENT.c.open_key == dose.registration_id)).first()
        if open_now is None:
            conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.id == attended.id).values(
                state=states.Appointment.CONFIRMED, open_key=dose.registration_id))
            conn.execute(update(REGISTRATION).where(REGISTRATION.c.id == dose.registration_id,
                                                    REGISTRATION.c.status == states.Registration.SUBMITTED)
                         .values(status=states.Registration.SCHEDULED))
            return
    conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.id == attended.id)
                 .values(state=states.Appointment.CANCELLED))


def _reissue(conn: Connection, key: SigningKey,
             people: list[tuple[int, int, str, dict[str, Any]]]) -> Corrected:
    """Each person's new credential (the earlier one superseded) pushed to every chat of their account, after a
    plain-words notice of what was corrected."""
    pushes, levels = 0, []
    for person_id, account_id, notice, params in people:
        _tell(conn, account_id, notice, params)
        issued = credentials.issue(conn, person_id, key)
        levels.append(issued.level)
        pushes += outbox.enqueue_for_account(conn, account_id, kind="corrected_qr",
                                             payload={"person_id": person_id, "credential_id": issued.id})
    return Corrected(tuple(p[0] for p in people), pushes, tuple(levels))


def _tell(conn: Connection, account_id: int, notice: str, params: dict[str, Any]) -> None:
    """The notice, with each dose ("vaccine|lot|dd/mm/yyyy") worded in the reader's language when sent."""
    keys: dict[str, str | list[str]] = {}
    plain: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, str) and value.count("|") == 2:
            vaccine, lot, day = value.split("|")
            keys[f"{name}_vaccine"] = f"vaccine.{vaccine}"
            plain[f"{name}_lot"], plain[f"{name}_date"] = lot or "-", day
        else:
            plain[name] = value
    outbox.tell_account(conn, account_id, notice, keys=keys, **plain)
