"""One person, two records (issue 27): registered with a CCCD, then by a son with the old CMND and the same phone.

    at registration: the same folded name and birth date as a person of this account, or of the account's own
                     (proven) phone ──▶ "Đây có phải là … đã đăng ký ngày …?" before a second record is made
    staff: likely duplicates (same folded name + birth date, any document) shown in /tra; /gop merges them:
           doses (the same day's kept once), registrations (one open at most), reactions move to the record
           kept; the other is closed (``merged_into``), its QR superseded; one QR, pushed to both families

Imports never dose two records of one person: a row is matched by its ID exactly, or by name, birth date and
phone only when one person fits (``vaccination.site_records``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, and_, delete, or_, select, update

from bot.services.access import audit
from bot.services.access.staff import Role
from bot.services.certificates import credentials
from bot.services.certificates.keys import SigningKey
from bot.services.messaging import outbox
from bot.services.registration import course
from bot.services.values import states
from bot.services.values.dates import utcnow
from bot.services.values.errors import Invalid
from bot.services.values.text import fold
from models.tables import (
    Account,
    Appointment,
    Credential,
    Dose,
    Person,
    Reaction,
    Registration,
    SiteRecord,
    table,
)

PERSON, REGISTRATION, DOSE, ACCOUNT, APPOINTMENT, CREDENTIAL, REACTION, RECORD = (
    table(Person), table(Registration), table(Dose), table(Account), table(Appointment), table(Credential),
    table(Reaction), table(SiteRecord))


@dataclass(frozen=True, slots=True)
class Likely:
    person_id: int
    full_name: str
    registered_on: date


def at_registration(conn: Connection, account_id: int, *, full_name: str, birth_date: date, id_number: str,
                    phone: str | None = None) -> Likely | None:
    """Someone already registered with the same folded name and birth date under another document, by this
    account, or with this account's own (proven) phone, or with the phone typed in this form (the three facts
    the asker typed match: a son registering his mother, who registered herself); None when there is no one."""
    own_phone = select(ACCOUNT.c.phone).where(ACCOUNT.c.id == account_id).scalar_subquery()
    phones = [PERSON.c.phone == own_phone] + ([PERSON.c.phone == phone] if phone else [])
    row = conn.execute(
        select(PERSON.c.id, PERSON.c.full_name, REGISTRATION.c.created_at)
        .join(REGISTRATION, REGISTRATION.c.person_id == PERSON.c.id)
        .where(PERSON.c.name_key == fold(full_name), PERSON.c.birth_date == birth_date,
               PERSON.c.id_number != id_number, PERSON.c.merged_into.is_(None),
               or_(PERSON.c.owner_account_id == account_id, *phones))
        .order_by(REGISTRATION.c.created_at)).first()
    return None if row is None else Likely(row.id, row.full_name, row.created_at.date())


def similar(conn: Connection, person_id: int) -> list[int]:
    """Other records with this person's folded name and birth date, whatever their document (staff decide)."""
    me = select(PERSON.c.name_key, PERSON.c.birth_date).where(PERSON.c.id == person_id).subquery()
    return list(conn.execute(select(PERSON.c.id).join(me, and_(PERSON.c.name_key == me.c.name_key,
                                                               PERSON.c.birth_date == me.c.birth_date))
                             .where(PERSON.c.id != person_id, PERSON.c.merged_into.is_(None))
                             .order_by(PERSON.c.id)).scalars())


@dataclass(frozen=True, slots=True)
class Merged:
    kept: int
    closed: int
    doses_moved: int
    doses_twice: int  # the same day on both records: kept once
    pushes: int


def merge(conn: Connection, key: SigningKey, role: Role | None, *, keep: int, drop: int) -> Merged:
    """Make ``drop`` part of ``keep`` (checked by the caller: both in the caller's scope). Refused
    (:class:`Invalid`): the same record, one already merged, or not the same name and birth date."""
    people = {r.id: r for r in conn.execute(
        select(PERSON.c.id, PERSON.c.full_name, PERSON.c.name_key, PERSON.c.birth_date, PERSON.c.owner_account_id,
               PERSON.c.merged_into).where(PERSON.c.id.in_((keep, drop))))}
    if keep == drop or len(people) != 2 or any(p.merged_into is not None for p in people.values()):
        raise Invalid("merge.not_two")
    kept, closed = people[keep], people[drop]
    if (kept.name_key, kept.birth_date) != (closed.name_key, closed.birth_date):
        raise Invalid("merge.not_same", first=kept.full_name, second=closed.full_name)
    days = set(conn.execute(select(DOSE.c.given_on).where(DOSE.c.person_id == keep)).scalars())
    twice = [d.id for d in conn.execute(select(DOSE.c.id, DOSE.c.given_on).where(DOSE.c.person_id == drop))
             if d.given_on in days]
    if twice:
        conn.execute(update(REACTION).where(REACTION.c.dose_id.in_(twice)).values(dose_id=None))
        conn.execute(delete(DOSE).where(DOSE.c.id.in_(twice)))
    moved = conn.execute(update(DOSE).where(DOSE.c.person_id == drop).values(person_id=keep)).rowcount
    _one_open_registration(conn, keep, drop)
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.person_id == drop).values(person_id=keep))
    conn.execute(update(REACTION).where(REACTION.c.person_id == drop).values(person_id=keep))
    conn.execute(update(RECORD).where(RECORD.c.candidate_person_id == drop).values(candidate_person_id=keep))
    conn.execute(update(CREDENTIAL).where(CREDENTIAL.c.person_id == drop, CREDENTIAL.c.superseded_at.is_(None))
                 .values(superseded_at=utcnow()))
    conn.execute(update(PERSON).where(PERSON.c.id == drop).values(merged_into=keep, credential_id=None))
    course.renumber(conn, keep)
    how = f"person {drop} merged into {keep}: {moved} doses moved, {len(twice)} recorded twice kept once"
    audit.record(conn, role, "merge", person_id=keep, how=how)
    audit.record(conn, role, "merge", person_id=drop, how=how)
    issued = credentials.issue(conn, keep, key)
    pushes = 0
    for account in dict.fromkeys((kept.owner_account_id, closed.owner_account_id)):  # both families
        outbox.tell_account(conn, account, "merge.told", name=kept.full_name)
        pushes += outbox.enqueue_for_account(conn, account, kind="corrected_qr",
                                             payload={"person_id": keep, "credential_id": issued.id})
    return Merged(keep, drop, int(moved), len(twice), pushes)


def _one_open_registration(conn: Connection, keep: int, drop: int) -> None:
    """Both open: the dropped record's is closed (its appointment freed), the kept one stays."""
    open_kept = conn.execute(select(REGISTRATION.c.id).where(
        REGISTRATION.c.person_id == keep, REGISTRATION.c.status.in_(states.OPEN_REGISTRATION))).first()
    if open_kept is None:
        return
    closing = list(conn.execute(select(REGISTRATION.c.id).where(
        REGISTRATION.c.person_id == drop, REGISTRATION.c.status.in_(states.OPEN_REGISTRATION))).scalars())
    if closing:
        conn.execute(update(REGISTRATION).where(REGISTRATION.c.id.in_(closing)).values(
            status=states.Registration.CANCELLED, open_key=None, cancelled_at=utcnow()))
        conn.execute(update(APPOINTMENT).where(APPOINTMENT.c.registration_id.in_(closing),
                                               APPOINTMENT.c.open_key.is_not(None))
                     .values(state=states.Appointment.CANCELLED, open_key=None))
