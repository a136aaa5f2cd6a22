"""Accounts: one per phone number, an argon2id hash of the password. Wrong passwords never lock an account:
they slow down the (phone, source) pair that types them (:mod:`bot.services.people.throttle`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, null, select, update

from bot.services.messaging import outbox
from bot.services.values.dates import utcnow
from models.db import first, integrity_errors, rows, savepoint, time_param
from models.tables import Account, ChannelIdentity, Conversation, WebSession, table

ACCOUNT = table(Account)


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    phone: str
    name: str
    locale: str
    born: date | None = None  # the birth date of the account's own person, once registered ("Ông/Bà" from 60)


class PhoneTaken(Exception):
    pass


# Raw (models.db.rows): sign-up, log-in and the menus run these on every registration.
_TAKEN = "SELECT 1 FROM account WHERE phone = ?"
_CREATE = "INSERT INTO account (phone, name, password_hash, locale, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"
_GET = ("SELECT a.id, a.phone, a.name, a.locale, (SELECT p.birth_date FROM person p WHERE p.owner_account_id = a.id"
        " AND p.relation = 'self' ORDER BY p.id DESC LIMIT 1) FROM account a WHERE a.id = ?")
_LOGIN_TARGET = "SELECT id, password_hash FROM account WHERE phone = ?"


def phone_taken(conn: Connection, phone: str) -> bool:
    return first(conn, _TAKEN, phone) is not None


def create(conn: Connection, *, phone: str, name: str, password_hash: str, locale: str) -> int:
    try:
        with savepoint(conn, "sskdt_account"):  # travels with the insert (begin_nested: two more trips)
            (row,) = rows(conn, _CREATE, phone, name, password_hash, locale, time_param(conn, utcnow()))
            return int(row[0])
    except integrity_errors() as exc:
        raise PhoneTaken(phone) from exc


def get(conn: Connection, account_id: int) -> AccountView | None:
    row = first(conn, _GET, account_id)
    if row is None:
        return None
    return AccountView(row[0], row[1], row[2], row[3], stored_day(row[4]))


def stored_day(value: Any) -> date | None:
    """A date read through the raw path: a date on PostgreSQL, ISO text on SQLite."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class LoginTarget:
    id: int
    password_hash: str


def login_target(conn: Connection, phone: str) -> LoginTarget | None:
    row = first(conn, _LOGIN_TARGET, phone)
    return None if row is None else LoginTarget(*row)


def set_locale(conn: Connection, account_id: int, locale: str) -> None:
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(locale=locale))


_BIND = ("INSERT INTO channel_identity (channel, chat_id, user_id, account_id, created_at) VALUES (?, ?, ?, ?, ?) "
         "ON CONFLICT (channel, chat_id) DO UPDATE SET user_id = excluded.user_id, account_id = excluded.account_id")
_UNBIND = "DELETE FROM channel_identity WHERE channel = ? AND chat_id = ?"


def bind_chat(conn: Connection, *, channel: str, chat_id: str, user_id: str, account_id: int) -> None:
    """Remember that this chat belongs to the account (pushes go to every chat of an account)."""
    rows(conn, _BIND, channel, chat_id, user_id, account_id, time_param(conn, utcnow()))


def unbind_chat(conn: Connection, *, channel: str, chat_id: str) -> None:
    rows(conn, _UNBIND, channel, chat_id)


def set_password(conn: Connection, phone: str, password_hash: str) -> int | None:
    """A new password for the account of this (proven) number; its id, or None when there is none."""
    return conn.execute(
        update(ACCOUNT).where(ACCOUNT.c.phone == phone).values(password_hash=password_hash).returning(ACCOUNT.c.id)
    ).scalar()


def change_phone(conn: Connection, account_id: int, phone: str) -> bool:
    """The account's number becomes ``phone`` (proven by its owner); False when another account has it."""
    if phone_taken(conn, phone):
        return conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.phone == phone)).scalar() == account_id
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(phone=phone))
    return True


def end_other_sessions(conn: Connection, account_id: int, *, keep: tuple[str, str]) -> int:
    """After a new password: every other chat of the account is logged out (its conversation starts again at the
    menu, its web cookie stops working) and told why. Returns how many chats were ended."""
    identity, conversation, session = table(ChannelIdentity), table(Conversation), table(WebSession)
    chats = [(r.channel, r.chat_id) for r in conn.execute(
        select(identity.c.channel, identity.c.chat_id).where(identity.c.account_id == account_id))
        if (r.channel, r.chat_id) != keep]
    for channel, chat_id in chats:
        outbox.enqueue(conn, channel=channel, chat_id=chat_id, kind="notice",
                       payload={"key": "account.ended_by_reset", "params": {}})
        conn.execute(identity.delete().where(identity.c.channel == channel, identity.c.chat_id == chat_id))
        conn.execute(update(conversation).where(conversation.c.key == f"{channel}:{chat_id}",
                                                conversation.c.account_id == account_id)
                     # its half-filled form goes with it: nobody logged in there may read it back
                     .values(account_id=None, flow="", step="", data={"answers": {}}, draft=null()))
        if channel == "web":
            conn.execute(session.delete().where(session.c.chat_id == chat_id))
    return len(chats)
