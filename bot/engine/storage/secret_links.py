"""One-time links to the page where a password is typed, for chats where a typed message cannot be deleted.

A link is bound to one conversation and to the step that asked; it works once, for 10 minutes. Only a hash
of its token is stored: the database alone does not let anyone type into someone else's conversation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select, update

from bot.services.values.dates import utcnow
from models.tables import SecretLink, table

LINK = table(SecretLink)
LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Target:
    conversation_key: str
    step: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def issue(conn: Connection, *, conversation_key: str, step: str) -> str:
    """A new link's token (URL-safe, 256 bits)."""
    token = secrets.token_urlsafe(32)
    conn.execute(insert(LINK).values(token_hash=_hash(token), conversation_key=conversation_key, step=step,
                                     expires_at=utcnow() + LIFETIME, used=False))
    return token


def peek(conn: Connection, token: str) -> Target | None:
    """Where a usable link leads (nothing is changed: a link preview fetching the page uses nothing up)."""
    row = conn.execute(select(LINK.c.conversation_key, LINK.c.step).where(
        LINK.c.token_hash == _hash(token), LINK.c.used.is_(False), LINK.c.expires_at > utcnow())).first()
    return Target(row.conversation_key, row.step) if row else None


def use(conn: Connection, token: str, *, conversation_key: str, step: str) -> bool:
    """Use the link up; True when it was usable and is for this conversation at this step. Used up either way
    (a link that arrives too late is not kept for later)."""
    target = peek(conn, token)
    changed = conn.execute(update(LINK).where(LINK.c.token_hash == _hash(token), LINK.c.used.is_(False))
                           .values(used=True)).rowcount
    return bool(changed) and target == Target(conversation_key, step)


def expire(conn: Connection) -> None:
    conn.execute(delete(LINK).where(LINK.c.expires_at < utcnow() - timedelta(days=1)))
