"""Conversation rows, processed update keys and the web transcript: the engine's own storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.services.dates import utcnow
from models.tables import ChatMessage, Conversation, ProcessedUpdate, table

CONVERSATION = table(Conversation)
PROCESSED = table(ProcessedUpdate)
MESSAGE = table(ChatMessage)


@dataclass(slots=True)
class State:
    key: str
    locale: str
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    draft: dict[str, Any] | None = None
    account_id: int | None = None
    version: int = 0
    updated_at: datetime | None = None
    is_new: bool = True


def load(conn: Connection, key: str, *, default_locale: str, lock: bool) -> State:
    query = select(
        CONVERSATION.c.locale, CONVERSATION.c.flow, CONVERSATION.c.step, CONVERSATION.c.data,
        CONVERSATION.c.draft, CONVERSATION.c.account_id, CONVERSATION.c.version, CONVERSATION.c.updated_at,
    ).where(CONVERSATION.c.key == key)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return State(key=key, locale=default_locale, flow="", step="")
    return State(
        key=key, locale=row.locale, flow=row.flow, step=row.step, data=dict(row.data or {}),
        draft=row.draft, account_id=row.account_id, version=row.version, updated_at=row.updated_at,
        is_new=False,
    )


def save(conn: Connection, state: State) -> None:
    values = {
        "locale": state.locale, "flow": state.flow, "step": state.step, "data": state.data,
        "draft": state.draft, "account_id": state.account_id, "version": state.version + 1,
        "updated_at": utcnow(),
    }
    if state.is_new:
        conn.execute(insert(CONVERSATION).values(key=state.key, **values))
        state.is_new = False
    else:
        conn.execute(update(CONVERSATION).where(CONVERSATION.c.key == state.key).values(**values))
    state.version += 1


def claim_update(conn: Connection, update_key: str) -> bool:
    """Record the update key; False when it was applied before (a retry or a redelivery)."""
    dialect = conn.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(PROCESSED).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(PROCESSED).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported back ends exist
        raise RuntimeError(f"unsupported database {dialect}")
    # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT insert.
    stmt = stmt.returning(PROCESSED.c.update_key)
    return conn.execute(stmt, {"update_key": update_key, "created_at": utcnow()}).first() is not None


def forget_updates_before(conn: Connection, age: timedelta) -> int:
    return int(conn.execute(delete(PROCESSED).where(PROCESSED.c.created_at < utcnow() - age)).rowcount)


def append_messages(conn: Connection, key: str, payloads: list[dict[str, Any]]) -> list[int]:
    now = utcnow()
    ids: list[int] = []
    for payload in payloads:
        ids.append(
            conn.execute(
                insert(MESSAGE).values(conversation_key=key, payload=payload, created_at=now).returning(MESSAGE.c.id)
            ).scalar_one()
        )
    return ids


def messages_after(conn: Connection, key: str, after: int, limit: int = 200) -> list[tuple[int, dict[str, Any]]]:
    rows = conn.execute(
        select(MESSAGE.c.id, MESSAGE.c.payload)
        .where(MESSAGE.c.conversation_key == key, MESSAGE.c.id > after)
        .order_by(MESSAGE.c.id)
        .limit(limit)
    )
    return [(r.id, r.payload) for r in rows]
