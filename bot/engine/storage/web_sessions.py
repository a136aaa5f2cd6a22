"""Web chat sessions: the server issues them, the cookie carries a random 256-bit token, the database keeps
only its SHA-256 and the chat it may read and write. Nobody picks a chat id: knowing one opens nothing.

A log-in gives the session a new token (the old cookie stops working: no session fixation); a log-out gives a
new chat as well, moves the conversation there and deletes the old chat's transcript, so that what was shown
before the log-out is readable by no one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, literal, select, update

from bot.engine.storage.conversations import conversation_key
from bot.services.values.dates import utcnow
from models.tables import ChatMessage, Conversation, WebSession, table

SESSION, MESSAGE, CONVERSATION = table(WebSession), table(ChatMessage), table(Conversation)
IDLE = timedelta(days=30)  # a session unused this long is gone
TOUCH_EVERY = timedelta(hours=1)
UNUSED = timedelta(minutes=30)  # a session that has sent nothing by then is pruned (housekeeping runs every 20)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def create(conn: Connection) -> tuple[str, str]:
    """A new session: (token for the cookie, chat id)."""
    token, chat_id = _new_token(), secrets.token_hex(16)
    now = utcnow()
    conn.execute(insert(SESSION).values(token_hash=_hash(token), chat_id=chat_id, created_at=now, seen_at=now))
    return token, chat_id


def chat_of(conn: Connection, token: str | None) -> str | None:
    """The chat a cookie's token opens, if the session exists and is not idle too long."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(select(SESSION.c.chat_id, SESSION.c.seen_at).where(SESSION.c.token_hash == _hash(token))
                       ).first()
    now = utcnow()
    if row is None or now - row.seen_at > IDLE:
        return None
    if now - row.seen_at > TOUCH_EVERY:  # in use: kept alive, with one write an hour at most
        conn.execute(update(SESSION).where(SESSION.c.token_hash == _hash(token)).values(seen_at=now))
    return str(row.chat_id)


def rotate(conn: Connection, token: str) -> str:
    """After a log-in: the same chat under a new token."""
    new = _new_token()
    conn.execute(update(SESSION).where(SESSION.c.token_hash == _hash(token))
                 .values(token_hash=_hash(new), seen_at=utcnow()))
    return new


def restart(conn: Connection, token: str, channel: str) -> tuple[str, str]:
    """After a log-out: a new token and a new chat that continues the conversation; the old transcript is
    deleted."""
    old = chat_of(conn, token)
    new_token, new_chat = _new_token(), secrets.token_hex(16)
    conn.execute(update(SESSION).where(SESSION.c.token_hash == _hash(token))
                 .values(token_hash=_hash(new_token), chat_id=new_chat, seen_at=utcnow()))
    if old is not None:
        old_key, new_key = conversation_key(channel, old), conversation_key(channel, new_chat)
        conn.execute(delete(MESSAGE).where(MESSAGE.c.conversation_key == old_key))
        conn.execute(update(CONVERSATION).where(CONVERSATION.c.key == old_key).values(key=new_key))
    return new_token, new_chat


def expire(conn: Connection) -> int:
    """Sessions idle for :data:`IDLE`, and those that never sent a message (no conversation) after :data:`UNUSED`:
    a cookie-less ``POST /api/sessions`` at the allowed pace leaves at most an hour's rows, not a month's."""
    now = utcnow()
    idle = int(conn.execute(delete(SESSION).where(SESSION.c.seen_at < now - IDLE)).rowcount)
    talked = select(CONVERSATION.c.key).where(CONVERSATION.c.key == literal(conversation_key("web", "")) +
                                              SESSION.c.chat_id)
    unused = conn.execute(delete(SESSION).where(SESSION.c.created_at < now - UNUSED, ~talked.exists()))
    return idle + int(unused.rowcount)
