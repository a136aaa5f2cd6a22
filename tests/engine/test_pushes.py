"""The pusher: what is due reaches its chat once, however many rounds run."""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.messaging import outbox


async def test_rounds_run_together_deliver_each_push_once(app: App) -> None:
    """A round asked for while another runs (a wake-up during a round, a drain at shutdown) waits for it: two
    rounds at once would each take the same due notices and deliver them twice."""

    def queue(conn: Connection) -> None:
        for n in range(30):
            outbox.enqueue(conn, channel=WEB, chat_id=f"c{n}", kind="notice",
                           payload={"key": "push.announcement", "params": {"text": f"Thông báo {n}"}})

    await app.store.run(queue)
    delivered = await asyncio.gather(*(app.pusher.run_once() for _ in range(3)))
    assert sum(delivered) == 30
    for n in range(30):
        shown = [m.get("text", "") for _, m in await app.engine.messages_after(WEB, f"c{n}", 0)]
        assert len(shown) == 1 and f"Thông báo {n}" in shown[0], shown
