"""Codes that link another chat to an account: 6 digits shown in a chat that is logged in, typed in the new
chat (Zalo, where no password is typed). Used once, valid 10 minutes, stored as a keyed hash; a new code
replaces the account's previous one. Guessing is slowed per chat by :mod:`throttle`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select

from bot.services.values.dates import utcnow
from models.tables import LinkCode, table

CODE = table(LinkCode)
LIFETIME = timedelta(minutes=10)


def _hash(pepper: bytes, code: str) -> str:
    return hmac.new(pepper, b"link\x00" + code.encode(), hashlib.sha256).hexdigest()


def issue(conn: Connection, pepper: bytes, account_id: int) -> str:
    """A fresh code for the account (its earlier code stops working)."""
    conn.execute(delete(CODE).where(CODE.c.account_id == account_id))
    now = utcnow()
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        taken = conn.execute(select(CODE.c.expires_at).where(CODE.c.code_hash == _hash(pepper, code))).first()
        if taken is None or taken.expires_at < now:
            conn.execute(delete(CODE).where(CODE.c.code_hash == _hash(pepper, code)))
            conn.execute(insert(CODE).values(code_hash=_hash(pepper, code), account_id=account_id,
                                             expires_at=now + LIFETIME))
            return code


def use(conn: Connection, pepper: bytes, typed: str) -> int | None:
    """The account the code links to (the code is used up), or None."""
    digits = "".join(ch for ch in typed if ch.isdigit())
    if len(digits) != 6:
        return None
    key = _hash(pepper, digits)
    row = conn.execute(select(CODE.c.account_id, CODE.c.expires_at).where(CODE.c.code_hash == key)).first()
    if row is None:
        return None
    conn.execute(delete(CODE).where(CODE.c.code_hash == key))
    return int(row.account_id) if row.expires_at > utcnow() else None


def forget_account(conn: Connection, account_id: int) -> None:
    conn.execute(delete(CODE).where(CODE.c.account_id == account_id))


def expire(conn: Connection) -> None:
    conn.execute(delete(CODE).where(CODE.c.expires_at < utcnow()))
