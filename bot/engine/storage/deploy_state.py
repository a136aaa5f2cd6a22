"""Facts shared by every worker of one deployment (e.g. which webhook is registered with Telegram)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.values.dates import utcnow
from models.tables import DeployState, table

STATE = table(DeployState)


def get(conn: Connection, key: str) -> str | None:
    return conn.execute(select(STATE.c.value).where(STATE.c.key == key)).scalar()


def put(conn: Connection, key: str, value: str) -> None:
    """Set ``key``; workers starting together may all set it at once (the last one wins, nobody fails)."""
    change = update(STATE).where(STATE.c.key == key).values(value=value, updated_at=utcnow())
    if conn.execute(change).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(STATE).values(key=key, value=value, updated_at=utcnow()))
    except IntegrityError:  # another worker inserted it a moment ago
        conn.execute(change)
