"""Pushes wait in the outbox until delivered, are retried, and are given up after too many attempts."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.services.messaging import outbox


async def test_enqueue_due_sent(app: App) -> None:
    await app.store.run(lambda c: outbox.enqueue(c, channel="web", chat_id="c1", kind="dose_qr", payload={"a": 1}))
    due = await app.store.run(lambda c: outbox.due(c, 10))
    assert [(i.channel, i.chat_id, i.payload) for i in due] == [("web", "c1", {"a": 1})]
    await app.store.run(lambda c: outbox.mark_sent(c, due[0].id))
    assert await app.store.run(lambda c: outbox.due(c, 10)) == []
    assert not await app.store.run(lambda c: outbox.still_pending(c, due[0].id, lock=False))


async def test_retry_later_then_give_up(app: App) -> None:
    await app.store.run(lambda c: outbox.enqueue(c, channel="web", chat_id="c2", kind="dose_qr", payload={}))
    item = (await app.store.run(lambda c: outbox.due(c, 10)))[0]
    await app.store.run(lambda c: outbox.retry_later(c, item=item, delay=timedelta(hours=1)))
    assert await app.store.run(lambda c: outbox.due(c, 10)) == []  # not before an hour
    last = outbox.Item(item.id, item.channel, item.chat_id, item.kind, item.payload, outbox.MAX_ATTEMPTS - 1)
    await app.store.run(lambda c: outbox.retry_later(c, item=last, delay=timedelta(0)))
    assert not await app.store.run(lambda c: outbox.still_pending(c, item.id, lock=False))
