"""The engine's promises: applied once, in order, durable before replying, the same after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.app import App, build
from bot.engine.types import Incoming
from models.tables import Account
from tests.conftest import cheap_settings
from tests.helpers import WEB, Chat, signup


async def test_a_repeated_update_is_applied_once(app: App) -> None:
    first = Incoming(channel="t", chat_id="dup", user_id="dup", update_key="same-key", text="/start")
    outcome = await app.engine.handle(first, WEB)
    assert outcome.replies and not outcome.duplicate
    again = await app.engine.handle(
        Incoming(channel="t", chat_id="dup", user_id="dup", update_key="same-key", text="1"), WEB
    )
    assert again.duplicate and again.replies == []
    nxt = await app.engine.handle(
        Incoming(channel="t", chat_id="dup", user_id="dup", update_key="other-key", text="1"), WEB
    )
    assert "Họ và tên của Anh/Chị" in nxt.replies[-1].text  # the "1" was applied once, now


async def test_many_chats_at_once_each_keep_their_own_order(app: App) -> None:
    chats = [Chat(app.engine, f"par-{i}") for i in range(30)]
    await asyncio.gather(*(signup(c, name="Người Dùng", phone=f"09123{i:05d}") for i, c in enumerate(chats)))
    with app.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account.__table__)).scalar_one() == 30


async def test_events_of_one_chat_sent_together_are_handled_in_arrival_order(app: App) -> None:
    chat = Chat(app.engine, "order")
    await chat.send("/start")
    await chat.press("signup")
    texts = ["Đỗ Minh Khoa", "0912345678"]
    results = await asyncio.gather(*(chat.send(t) for t in texts))
    assert "Số điện thoại di động" in results[0][-1].text
    assert "mã xác nhận" in results[1][-1].text


async def test_conversation_continues_after_restart(tmp_path: Path) -> None:
    settings = cheap_settings(tmp_path)
    first = build(settings)
    chat = Chat(first.engine, "restart")
    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Hoàng Văn Em")
    first.close()
    second = build(settings)
    try:
        chat.engine = second.engine
        await chat.send("0912345678")
        assert "mã xác nhận" in chat.prompt
    finally:
        second.close()
