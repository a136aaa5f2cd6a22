"""Accounts: one per phone, argon2id hashes, five failed log-ins lock the account for 15 minutes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.dates import utcnow
from models.db import savepoint
from models.tables import Account, ChannelIdentity, table

ACCOUNT = table(Account)
IDENTITY = table(ChannelIdentity)


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    phone: str
    name: str
    locale: str


class PhoneTaken(Exception):
    pass


def phone_taken(conn: Connection, phone: str) -> bool:
    return conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.phone == phone)).first() is not None


def create(conn: Connection, *, phone: str, name: str, password_hash: str, locale: str) -> int:
    try:
        with savepoint(conn, "sskdt_account"):  # travels with the insert (begin_nested: two more trips)
            return int(conn.execute(_CREATE, {"phone": phone, "name": name, "password_hash": password_hash,
                                              "failed_logins": 0, "locked_until": None, "locale": locale,
                                              "created_at": utcnow()}).scalar_one())
    except IntegrityError as exc:
        raise PhoneTaken(phone) from exc


_CREATE = insert(ACCOUNT).returning(ACCOUNT.c.id)
# Built once: prompts and menus read the account on most events (building a statement costs more than running it).
_GET = select(ACCOUNT.c.id, ACCOUNT.c.phone, ACCOUNT.c.name, ACCOUNT.c.locale).where(ACCOUNT.c.id == bindparam("p_id"))
_LOGIN_TARGET = select(ACCOUNT.c.id, ACCOUNT.c.password_hash).where(ACCOUNT.c.phone == bindparam("p_phone"))


def get(conn: Connection, account_id: int) -> AccountView | None:
    row = conn.execute(_GET, {"p_id": account_id}).first()
    return AccountView(row.id, row.phone, row.name, row.locale) if row else None


@dataclass(frozen=True, slots=True)
class LoginTarget:
    id: int
    password_hash: str


def login_target(conn: Connection, phone: str) -> LoginTarget | None:
    row = conn.execute(_LOGIN_TARGET, {"p_phone": phone}).first()
    return None if row is None else LoginTarget(row.id, row.password_hash)


def set_locale(conn: Connection, account_id: int, locale: str) -> None:
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(locale=locale))


_REBIND = update(IDENTITY).where(IDENTITY.c.channel == bindparam("p_channel"),
                                 IDENTITY.c.chat_id == bindparam("p_chat"))
_BIND = insert(IDENTITY)


def bind_chat(conn: Connection, *, channel: str, chat_id: str, user_id: str, account_id: int) -> None:
    """Remember that this chat belongs to the account (pushes go to every chat of an account)."""
    updated = conn.execute(_REBIND, {"p_channel": channel, "p_chat": chat_id, "account_id": account_id,
                                     "user_id": user_id}).rowcount
    if not updated:
        conn.execute(_BIND, {"channel": channel, "chat_id": chat_id, "user_id": user_id, "account_id": account_id,
                             "created_at": utcnow()})


_UNBIND = delete(IDENTITY).where(IDENTITY.c.channel == bindparam("p_channel"),
                                 IDENTITY.c.chat_id == bindparam("p_chat"))


def unbind_chat(conn: Connection, *, channel: str, chat_id: str) -> None:
    conn.execute(_UNBIND, {"p_channel": channel, "p_chat": chat_id})


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
