"""Accounts at the database's edge: a number taken at the last moment is said, and the event goes on."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, select

from bot.app import App
from bot.services.messaging import outbox
from bot.services.people import accounts
from models.tables import Account, table


async def test_a_number_taken_at_the_last_moment_is_refused_and_the_event_goes_on(app: App) -> None:
    """Two sign-ups of one number racing: the second is told the number is taken (the unique index decides),
    and what its event does next is still stored (on PostgreSQL a failed statement would otherwise abort the
    whole transaction, and every event of the batch with it)."""

    def run(conn: Connection) -> int:
        accounts.create(conn, phone="+84912345678", name="An", password_hash="x", locale="vi")
        with pytest.raises(accounts.PhoneTaken):
            accounts.create(conn, phone="+84912345678", name="Bình", password_hash="y", locale="vi")
        return accounts.create(conn, phone="+84987654321", name="Chi", password_hash="z", locale="en")

    chi = await app.store.run(run)
    with app.store.engine.connect() as conn:
        rows = conn.execute(select(table(Account).c.id, table(Account).c.name).order_by(table(Account).c.id)).all()
    assert [name for _, name in rows] == ["An", "Chi"]
    assert rows[1][0] == chi


async def test_a_chat_that_logs_in_to_another_account_gets_that_accounts_pushes_only(app: App) -> None:
    """A chat's bond moves with the log-in (a session that expired, then another person's account): the
    earlier account's notices no longer go to this chat, the new account's do."""

    def run(conn: Connection) -> tuple[int, int, int]:
        an = accounts.create(conn, phone="+84912345678", name="An", password_hash="x", locale="vi")
        binh = accounts.create(conn, phone="+84987654321", name="Bình", password_hash="y", locale="vi")
        accounts.bind_chat(conn, channel="web", chat_id="shared", user_id="u1", account_id=an)
        accounts.bind_chat(conn, channel="web", chat_id="shared", user_id="u2", account_id=binh)
        to_an = outbox.enqueue_for_account(conn, an, kind="notice", payload={"text": "cho An"})
        to_binh = outbox.enqueue_for_account(conn, binh, kind="notice", payload={"text": "cho Bình"})
        accounts.unbind_chat(conn, channel="web", chat_id="shared")
        after_logout = outbox.enqueue_for_account(conn, binh, kind="notice", payload={"text": "cho Bình"})
        return to_an, to_binh, after_logout

    assert await app.store.run(run) == (0, 1, 0)
