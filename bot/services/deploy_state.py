"""Facts shared by every worker of one deployment (e.g. which webhook is registered with Telegram)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from bot.services.dates import utcnow
from models.tables import DeployState, table

STATE = table(DeployState)


def get(conn: Connection, key: str) -> str | None:
    return conn.execute(select(STATE.c.value).where(STATE.c.key == key)).scalar()


def put(conn: Connection, key: str, value: str) -> None:
    if conn.execute(update(STATE).where(STATE.c.key == key).values(value=value, updated_at=utcnow())).rowcount:
        return
    conn.execute(insert(STATE).values(key=key, value=value, updated_at=utcnow()))
