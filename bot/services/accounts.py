"""Accounts: one per phone, argon2id hashes, five failed log-ins lock the account for 15 minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.dates import utcnow
from models.tables import Account, ChannelIdentity, table

ACCOUNT = table(Account)
IDENTITY = table(ChannelIdentity)
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


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
        with conn.begin_nested():
            result = conn.execute(
                insert(ACCOUNT).values(
                    phone=phone, name=name, password_hash=password_hash, failed_logins=0,
                    locked_until=None, locale=locale, created_at=utcnow(),
                )
            )
    except IntegrityError as exc:
        raise PhoneTaken(phone) from exc
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def get(conn: Connection, account_id: int) -> AccountView | None:
    row = conn.execute(
        select(ACCOUNT.c.id, ACCOUNT.c.phone, ACCOUNT.c.name, ACCOUNT.c.locale).where(ACCOUNT.c.id == account_id)
    ).first()
    return AccountView(row.id, row.phone, row.name, row.locale) if row else None


@dataclass(frozen=True, slots=True)
class LoginTarget:
    id: int
    password_hash: str
    locked_until: datetime | None


def login_target(conn: Connection, phone: str) -> LoginTarget | None:
    row = conn.execute(
        select(ACCOUNT.c.id, ACCOUNT.c.password_hash, ACCOUNT.c.locked_until).where(ACCOUNT.c.phone == phone)
    ).first()
    if row is None:
        return None
    locked = row.locked_until if row.locked_until and row.locked_until > utcnow() else None
    return LoginTarget(row.id, row.password_hash, locked)


def record_failure(conn: Connection, account_id: int) -> datetime | None:
    """Count a wrong password; return the lock's end when this one reaches the limit."""
    failures = conn.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == account_id)
        .values(failed_logins=ACCOUNT.c.failed_logins + 1)
        .returning(ACCOUNT.c.failed_logins)
    ).scalar_one()
    if failures >= MAX_FAILURES:
        until = utcnow() + LOCK_FOR
        conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(failed_logins=0, locked_until=until))
        return until
    return None


def record_success(conn: Connection, account_id: int) -> None:
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(failed_logins=0, locked_until=None))


def set_locale(conn: Connection, account_id: int, locale: str) -> None:
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(locale=locale))


def bind_chat(conn: Connection, *, channel: str, chat_id: str, user_id: str, account_id: int) -> None:
    """Remember that this chat belongs to the account (pushes go to every chat of an account)."""
    updated = conn.execute(
        update(IDENTITY)
        .where(IDENTITY.c.channel == channel, IDENTITY.c.chat_id == chat_id)
        .values(account_id=account_id, user_id=user_id)
    ).rowcount
    if not updated:
        conn.execute(
            insert(IDENTITY).values(
                channel=channel, chat_id=chat_id, user_id=user_id, account_id=account_id, created_at=utcnow()
            )
        )


def unbind_chat(conn: Connection, *, channel: str, chat_id: str) -> None:
    conn.execute(delete(IDENTITY).where(IDENTITY.c.channel == channel, IDENTITY.c.chat_id == chat_id))
