"""Devices signed in to the checkpoint scanner (``/kiemtra``).

A checker, site staff or an admin asks the chat for "Mở máy quét": a one-time link (10 minutes) that, opened on
a phone, signs that phone in for 7 days with a cookie of its own. Only hashes of the two tokens are kept. The
account's role is read again at every request: a demoted checker's phone is signed out by that alone.
"/thietbi" lists the account's devices and signs one out.

The scanner reports counts of what it checked (by day and verdict), never a name or a credential id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, case, func, select, update

from bot.services.access import staff
from bot.services.values.dates import today, utcnow
from models.db import integrity_errors, savepoint
from models.tables import CheckpointCount, ScannerDevice, Staff, table

DEVICE, COUNT, STAFF = table(ScannerDevice), table(CheckpointCount), table(Staff)
LINK_LIFETIME = timedelta(minutes=10)
DEVICE_LIFETIME = timedelta(days=7)
SCANNING_ROLES = (staff.CHECKER, staff.SITE_STAFF, staff.ADMIN)
# A phone scans at most about one code a second: a day's count of a verdict stops there, whatever a device reports.
DAY_MOST = 86_400
VERDICTS = ("valid", "superseded", "revoked", "expired", "unknown_issuer", "development", "forged")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_scan(conn: Connection, account_id: int) -> bool:
    role = staff.role_of(conn, account_id)
    return role is not None and role.role in SCANNING_ROLES


def open_link(conn: Connection, account_id: int) -> str:
    """A one-time link's token for this account (a checker, staff or an admin: the caller checks)."""
    token = secrets.token_urlsafe(24)
    now = utcnow()
    conn.execute(DEVICE.insert().values(account_id=account_id, link_hash=_hash(token), label="",
                                        link_expires_at=now + LINK_LIFETIME, created_at=now))
    return token


def claim_link(conn: Connection, token: str, label: str) -> str | None:
    """The link opened: a new device token (the cookie), once; None for a used, expired or unknown link, or an
    account that may no longer scan."""
    now = utcnow()
    row = conn.execute(select(DEVICE.c.id, DEVICE.c.account_id, DEVICE.c.link_expires_at)
                       .where(DEVICE.c.link_hash == _hash(token))).first()
    if row is None or row.link_expires_at is None or row.link_expires_at < now or not may_scan(conn, row.account_id):
        return None
    device_token = secrets.token_urlsafe(32)
    done = conn.execute(update(DEVICE).where(DEVICE.c.id == row.id, DEVICE.c.link_hash.is_not(None)).values(
        link_hash=None, link_expires_at=None, token_hash=_hash(device_token), label=label[:80], signed_in_at=now,
        seen_at=now, expires_at=now + DEVICE_LIFETIME)).rowcount
    return device_token if done else None


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    account_id: int
    label: str
    signed_in_at: datetime | None
    seen_at: datetime | None
    expires_at: datetime | None


def device_of(conn: Connection, token: str | None) -> Device | None:
    """The signed-in device this cookie is, while it is valid and its account may scan (seen now)."""
    if not token or len(token) > 100:
        return None
    now = utcnow()
    row = conn.execute(select(DEVICE).where(DEVICE.c.token_hash == _hash(token), DEVICE.c.ended_at.is_(None),
                                            DEVICE.c.expires_at > now)).first()
    if row is None or not may_scan(conn, row.account_id):
        return None
    conn.execute(update(DEVICE).where(DEVICE.c.id == row.id).values(seen_at=now))
    return Device(row.id, row.account_id, row.label, row.signed_in_at, now, row.expires_at)


def signed_in(conn: Connection, account_id: int) -> list[Device]:
    """The account's devices still signed in, most recently seen first."""
    rows = conn.execute(select(DEVICE).where(
        DEVICE.c.account_id == account_id, DEVICE.c.token_hash.is_not(None), DEVICE.c.ended_at.is_(None),
        DEVICE.c.expires_at > utcnow()).order_by(DEVICE.c.seen_at.desc(), DEVICE.c.id.desc()))
    return [Device(r.id, r.account_id, r.label, r.signed_in_at, r.seen_at, r.expires_at) for r in rows]


def sign_out(conn: Connection, account_id: int, device_id: int | None = None) -> int:
    """Sign out one of the account's devices (or all of them); how many were signed out."""
    where = and_(DEVICE.c.account_id == account_id, DEVICE.c.ended_at.is_(None), DEVICE.c.token_hash.is_not(None))
    if device_id is not None:
        where = and_(where, DEVICE.c.id == device_id)
    return int(conn.execute(update(DEVICE).where(where).values(ended_at=utcnow(), token_hash=None)).rowcount)


def add_counts(conn: Connection, device_id: int, counts: dict[str, int], day: date | None = None) -> None:
    """What a device checked since it last reported, added to the day's counts (unknown verdicts ignored)."""
    day = day or today()
    for verdict, number in counts.items():
        if verdict not in VERDICTS or not 0 < number <= DAY_MOST:
            continue
        key = and_(COUNT.c.day == day, COUNT.c.device_id == device_id, COUNT.c.verdict == verdict)
        added = case((COUNT.c.count + number > DAY_MOST, DAY_MOST), else_=COUNT.c.count + number)
        if conn.execute(update(COUNT).where(key).values(count=added)).rowcount:
            continue
        try:
            with savepoint(conn, "sskdt_count"):
                conn.execute(COUNT.insert().values(day=day, device_id=device_id, verdict=verdict, count=number))
        except integrity_errors():  # another worker inserted the row first
            conn.execute(update(COUNT).where(key).values(count=added))


def counts_on(conn: Connection, day: date, site_id: int | None = None) -> dict[str, int]:
    """The day's counts by verdict, for one site's staff and checkers (or everyone's)."""
    query = (select(COUNT.c.verdict, func.sum(COUNT.c.count)).join(DEVICE, DEVICE.c.id == COUNT.c.device_id)
             .where(COUNT.c.day == day).group_by(COUNT.c.verdict))
    if site_id is not None:
        query = query.where(DEVICE.c.account_id.in_(select(STAFF.c.account_id).where(STAFF.c.site_id == site_id)))
    return {verdict: int(total) for verdict, total in conn.execute(query)}
