"""Group commit: events share a transaction, yet one event's failure undoes only that event."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Connection, func, insert, select, update

from bot.app import App, housekeeping
from bot.services.messaging import outbox
from bot.services.values.dates import utcnow
from models.tables import AuditLog, Conversation, Outbox, ProcessedUpdate, table
from tests.helpers import Chat, answer_form, signup
from tests.scripts import details

AUDIT = table(AuditLog)


def _write(subject: str, fail: bool) -> Callable[[Connection], str]:
    def fn(conn: Connection) -> str:
        conn.execute(insert(AUDIT).values(action="test", subject=subject, created_at=utcnow()))
        if fail:
            raise ValueError("this event fails after writing")
        return subject

    return fn


async def test_a_failing_event_is_undone_alone(app: App) -> None:
    jobs = [app.store.run(_write(f"e{i}", fail=i == 3)) for i in range(8)]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert isinstance(results[3], ValueError)
    assert [r for i, r in enumerate(results) if i != 3] == [f"e{i}" for i in range(8) if i != 3]
    with app.store.engine.connect() as conn:
        stored = set(conn.execute(select(AUDIT.c.subject)).scalars())
    assert stored == {f"e{i}" for i in range(8) if i != 3}


async def test_results_arrive_only_after_commit(app: App) -> None:
    result = await app.store.run(_write("durable", fail=False))
    # A separate connection sees it: the reply could only have left after the commit.
    with app.store.engine.connect() as conn:
        assert conn.execute(select(AUDIT.c.subject).where(AUDIT.c.subject == result)).scalar_one() == "durable"


async def test_errors_reach_the_caller(app: App) -> None:
    with pytest.raises(ValueError, match="fails after writing"):
        await app.store.run(_write("x", fail=True))


async def test_housekeeping_forgets_old_update_keys_and_stale_drafts(app: App) -> None:
    chat = Chat(app.engine, "housekeeping")
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="id_type")
    await chat.send("/menu")
    old = utcnow() - timedelta(days=8)
    with app.store.engine.begin() as conn:
        conn.execute(update(table(ProcessedUpdate)).values(created_at=old))
        conn.execute(update(table(Conversation)).values(updated_at=old))
    await app.store.run(lambda conn: outbox.enqueue(conn, channel="zalo", chat_id="z1", kind="dose_qr",
                                                    payload={"person_id": 1}))
    with app.store.engine.begin() as conn:
        conn.execute(update(table(Outbox)).values(created_at=old))
    await app.store.run(lambda conn: housekeeping(conn, draft_ttl=timedelta(days=7)))
    with app.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table(ProcessedUpdate))).scalar_one() == 0
        assert conn.execute(select(table(Conversation).c.draft)).scalar_one() is None
        rows = table(Outbox)
        assert conn.execute(select(rows.c.state).where(rows.c.kind != "sms")).scalar_one() == "expired"
