"""Wrong passwords slow down the (phone, source) pair that typed them, with growing waits; nobody is locked
out of their own account by a stranger, and the answer is the same whether the number has an account or not.

A source is what the channel can tell of the sender: the client address on the web, the user on Telegram.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from bot.services.values.dates import utcnow
from models.db import first, rows, stored_time
from models.tables import LoginThrottle, table

THROTTLE = table(LoginThrottle)
FREE_TRIES = 3  # then 30 s, 1 min, 2 min, … up to 15 min between tries
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)


def _key(phone: str, source: str) -> str:
    return hashlib.sha256(f"{phone}\x00{source}".encode()).hexdigest()


# Raw (models.db.rows): every log-in and sign-up asks, and a right password forgets.
_BLOCKED_UNTIL = "SELECT blocked_until FROM login_throttle WHERE \"key\" = ?"
_FORGET = "DELETE FROM login_throttle WHERE \"key\" = ?"


def blocked_until(conn: Connection, phone: str, source: str) -> datetime | None:
    """When this pair may try again, if it must wait."""
    row = first(conn, _BLOCKED_UNTIL, _key(phone, source))
    until = None if row is None else stored_time(row[0])
    return until if until is not None and until > utcnow() else None


def failed(conn: Connection, phone: str, source: str) -> datetime | None:
    """Count a wrong password (or an unknown number: the same); return until when the pair must wait."""
    key, now = _key(phone, source), utcnow()
    failures = conn.execute(select(THROTTLE.c.failures).where(THROTTLE.c.key == key)).scalar()
    failures = (failures or 0) + 1
    wait = None
    if failures > FREE_TRIES:
        wait = min(FIRST_WAIT * 2 ** (failures - FREE_TRIES - 1), LONGEST_WAIT)
    values = {"failures": failures, "blocked_until": now + wait if wait else None, "updated_at": now}
    if not conn.execute(update(THROTTLE).where(THROTTLE.c.key == key).values(**values)).rowcount:
        conn.execute(insert(THROTTLE).values(key=key, **values))
    return values["blocked_until"]  # type: ignore[return-value]


def succeeded(conn: Connection, phone: str, source: str) -> None:
    rows(conn, _FORGET, _key(phone, source))


def expire(conn: Connection) -> None:
    conn.execute(delete(THROTTLE).where(THROTTLE.c.updated_at < utcnow() - FORGET_AFTER))
