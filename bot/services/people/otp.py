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

from sqlalchemy import Connection, delete

from bot.services.messaging import outbox
from bot.services.values.dates import utcnow
from bot.services.values.errors import Invalid
from models.db import first, rows, stored_time, time_param
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


# Raw (models.db.rows): every sign-up and password reset sends and checks a code.
_SENT = 'SELECT sent, window_start FROM one_time_code WHERE "key" = ?'
_CODE = 'SELECT code_hash, expires_at, tries, sent FROM one_time_code WHERE "key" = ?'
_INSERT = ('INSERT INTO one_time_code (code_hash, expires_at, tries, sent, window_start, "key") '
           "VALUES (?, ?, 0, ?, ?, ?)")
_RENEW = 'UPDATE one_time_code SET code_hash = ?, expires_at = ?, tries = 0, sent = ?, window_start = ? WHERE "key" = ?'
_TRIED = 'UPDATE one_time_code SET tries = ? WHERE "key" = ?'
_USED = f"UPDATE one_time_code SET code_hash = '', tries = {TRIES} WHERE \"key\" = ?"


def send(conn: Connection, pepper: bytes, *, phone: str, purpose: str, text: str, deliver: bool = True) -> None:
    """A new code for (phone, purpose), queued as an SMS whose ``text`` has a ``{code}`` placeholder.

    With ``deliver`` false (a forgotten password for a number without an account) everything happens the same
    way, limit included, except the SMS: nobody can tell from the answers whether the number has an account.
    Raises ``Invalid("otp.too_many")`` past the per-number limit."""
    key, now = _key(phone, purpose), utcnow()
    row = first(conn, _SENT, key)
    sent, window_start = (row[0], stored_time(row[1])) if row else (0, now)
    if now - window_start > WINDOW:
        sent, window_start = 0, now
    if sent >= SENDS_PER_WINDOW:
        raise Invalid("otp.too_many")
    code = f"{secrets.randbelow(10**6):06d}"
    rows(conn, _INSERT if row is None else _RENEW, _hash(pepper, phone, code), time_param(conn, now + LIFETIME),
         sent + 1, time_param(conn, window_start), key)
    if deliver:
        outbox.enqueue(conn, channel=SMS, chat_id=phone, kind="sms", payload={"text": text.format(code=code)})


def check(conn: Connection, pepper: bytes, *, phone: str, purpose: str, code: str) -> None:
    """The code is right: it is used up. Otherwise ``Invalid`` says why (wrong, expired, no tries left)."""
    key = _key(phone, purpose)
    row = first(conn, _CODE, key)
    if row is None or row[0] == "" or stored_time(row[1]) < utcnow():
        raise Invalid("otp.expired")
    code_hash, _, tries, sent = row
    if tries >= TRIES:
        raise Invalid("otp.no_tries")
    typed = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(code_hash, _hash(pepper, phone, typed)):
        rows(conn, _TRIED, tries + 1, key)
        # After "Gửi lại mã" the earlier SMS's code no longer works: said, since it is the likely mistake.
        raise Invalid("otp.wrong_after_resend" if sent > 1 else "otp.wrong", left=TRIES - tries - 1)
    rows(conn, _USED, key)  # used once


def expire(conn: Connection) -> None:
    conn.execute(delete(CODE).where(CODE.c.window_start < utcnow() - timedelta(days=1)))
