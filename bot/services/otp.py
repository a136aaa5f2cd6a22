"""One-time codes that prove a phone number (sign-up, a forgotten password): 6 digits, valid 5 minutes,
5 tries, used once, kept only as a keyed hash; at most 3 sent to a number in 15 minutes.

The SMS itself goes through the outbox (channel ``sms``), sent after the commit by the SMS gateway; the
outbox row forgets the text once it is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from bot.services import outbox
from bot.services.dates import utcnow
from bot.services.errors import Invalid
from models.tables import OneTimeCode, table

CODE = table(OneTimeCode)
LIFETIME = timedelta(minutes=5)
TRIES = 5
SENDS_PER_WINDOW, WINDOW = 3, timedelta(minutes=15)
SMS = "sms"  # the outbox channel


def _key(phone: str, purpose: str) -> str:
    return hashlib.sha256(f"{purpose}\x00{phone}".encode()).hexdigest()


def _hash(pepper: bytes, phone: str, code: str) -> str:
    return hmac.new(pepper, f"{phone}\x00{code}".encode(), hashlib.sha256).hexdigest()


# Built once: every sign-up and password reset sends and checks a code.
_SENT = select(CODE.c.sent, CODE.c.window_start).where(CODE.c.key == bindparam("p_key"))
_CODE = select(CODE.c.code_hash, CODE.c.expires_at, CODE.c.tries).where(CODE.c.key == bindparam("p_key"))
_INSERT = insert(CODE)
_UPDATE = update(CODE).where(CODE.c.key == bindparam("p_key"))


def send(conn: Connection, pepper: bytes, *, phone: str, purpose: str, text: str, deliver: bool = True) -> None:
    """A new code for (phone, purpose), queued as an SMS whose ``text`` has a ``{code}`` placeholder.

    With ``deliver`` false (a forgotten password for a number without an account) everything happens the same
    way, limit included, except the SMS: nobody can tell from the answers whether the number has an account.
    Raises ``Invalid("otp.too_many")`` past the per-number limit."""
    key, now = _key(phone, purpose), utcnow()
    row = conn.execute(_SENT, {"p_key": key}).first()
    sent, window_start = (row.sent, row.window_start) if row else (0, now)
    if now - window_start > WINDOW:
        sent, window_start = 0, now
    if sent >= SENDS_PER_WINDOW:
        raise Invalid("otp.too_many")
    code = f"{secrets.randbelow(10**6):06d}"
    values = {"code_hash": _hash(pepper, phone, code), "expires_at": now + LIFETIME, "tries": 0, "sent": sent + 1,
              "window_start": window_start}
    if row is None:
        conn.execute(_INSERT, {"key": key, **values})
    else:
        conn.execute(_UPDATE, {"p_key": key, **values})
    if deliver:
        outbox.enqueue(conn, channel=SMS, chat_id=phone, kind="sms", payload={"text": text.format(code=code)})


def check(conn: Connection, pepper: bytes, *, phone: str, purpose: str, code: str) -> None:
    """The code is right: it is used up. Otherwise ``Invalid`` says why (wrong, expired, no tries left)."""
    key = _key(phone, purpose)
    row = conn.execute(_CODE, {"p_key": key}).first()
    if row is None or row.code_hash == "" or row.expires_at < utcnow():
        raise Invalid("otp.expired")
    if row.tries >= TRIES:
        raise Invalid("otp.no_tries")
    typed = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(row.code_hash, _hash(pepper, phone, typed)):
        conn.execute(_UPDATE, {"p_key": key, "tries": row.tries + 1})
        raise Invalid("otp.wrong", left=TRIES - row.tries - 1)
    conn.execute(_UPDATE, {"p_key": key, "code_hash": "", "tries": TRIES})  # used once


def expire(conn: Connection) -> None:
    conn.execute(delete(CODE).where(CODE.c.window_start < utcnow() - timedelta(days=1)))
