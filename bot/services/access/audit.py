"""The audit log: every staff look-up, dose, verification and refusal, written in the same transaction as
what it records. A citizen may read which site looked at their record and when (Decree 13/2023, the data
subject's right to know); staff read it whole with ``sskdt audit``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from bot.services.access.staff import Role
from bot.services.values.dates import utcnow
from models.tables import Account, AuditLog, Person, Site, table

AUDIT, SITE, PERSON, ACCOUNT = table(AuditLog), table(Site), table(Person), table(Account)


def record(conn: Connection, role: Role | None, action: str, *, person_id: int | None = None, how: str = "",
           result: str = "ok", actor_account_id: int | None = None) -> None:
    """``how`` says how (a search's kind, a verdict), never the values searched for."""
    conn.execute(insert(AUDIT).values(
        actor_account_id=role.account_id if role else actor_account_id, role=role.role if role else None,
        site_id=role.site_id if role else None, action=action, person_id=person_id, result=result,
        subject=how, created_at=utcnow(),
    ))


def record_many(conn: Connection, role: Role | None, action: str, entries: list[tuple[int | None, str]]) -> None:
    """One action on many people at once (a sweep's): (person, how) each, in one statement."""
    if entries:
        stamp = utcnow()
        conn.execute(insert(AUDIT), [
            {"actor_account_id": role.account_id if role else None, "role": role.role if role else None,
             "site_id": role.site_id if role else None, "action": action, "person_id": person, "result": "ok",
             "subject": how, "created_at": stamp} for person, how in entries])


@dataclass(frozen=True, slots=True)
class SeenBy:
    """What a citizen is told: which site (or the province's administration), what, when. Not who."""

    site_name: str | None
    role: str | None
    action: str
    person_name: str
    at: datetime


def seen_by(conn: Connection, account_id: int, limit: int = 20) -> list[SeenBy]:
    """Staff actions on the records of this account's people, newest first."""
    rows = conn.execute(
        select(SITE.c.name, AUDIT.c.role, AUDIT.c.action, PERSON.c.full_name, AUDIT.c.created_at)
        .join(PERSON, PERSON.c.id == AUDIT.c.person_id)
        .outerjoin(SITE, SITE.c.id == AUDIT.c.site_id)
        .where(PERSON.c.owner_account_id == account_id, AUDIT.c.role.is_not(None),
               AUDIT.c.result.not_in(("refused", "asked")))
        .order_by(AUDIT.c.created_at.desc(), AUDIT.c.id.desc())
        .limit(limit)
    )
    return [SeenBy(r.name, r.role, r.action, r.full_name, r.created_at) for r in rows]


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    actor_phone: str | None
    role: str | None
    site_code: str | None
    action: str
    person_id: int | None
    result: str
    how: str


def entries(conn: Connection, *, staff_phone: str | None = None, id_number: str | None = None,
            since: datetime | None = None) -> list[Entry]:
    """The whole log for ``sskdt audit``, filtered by staff member, by the person's ID number, by date."""
    query = (
        select(AUDIT.c.created_at, ACCOUNT.c.phone, AUDIT.c.role, SITE.c.code, AUDIT.c.action, AUDIT.c.person_id,
               AUDIT.c.result, AUDIT.c.subject)
        .outerjoin(ACCOUNT, ACCOUNT.c.id == AUDIT.c.actor_account_id)
        .outerjoin(SITE, SITE.c.id == AUDIT.c.site_id)
        .order_by(AUDIT.c.created_at, AUDIT.c.id)
    )
    if staff_phone:
        query = query.where(ACCOUNT.c.phone == staff_phone)
    if id_number:
        query = query.where(AUDIT.c.person_id.in_(select(PERSON.c.id).where(PERSON.c.id_number == id_number)))
    if since:
        query = query.where(AUDIT.c.created_at >= since)
    return [Entry(r.created_at, r.phone, r.role, r.code, r.action, r.person_id, r.result, r.subject)
            for r in conn.execute(query)]
