"""The floors our per-update cost is compared with, measured in the same run:

(a) framework floor: a minimal aiogram bot, in-memory FSM storage, stepping a chat through the same number
    of questions, no persistence, no QR (updates fed straight to the dispatcher; answers returned, not sent);
(b) storage floor: a raw sqlite3 loop, one small UPDATE transaction per event, WAL, synchronous=FULL;
(c) the same loop through aiosqlite (the product card's driver), awaited from the event loop as an async bot
    would: what each statement's thread hop costs, and why our DB thread runs whole batches on sqlite3 instead.

    PYTHONPATH=. .venv/bin/python bench/floors.py [updates]
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import save

QUESTIONS = 41  # updates in one complete registration through our engine (bench/surge.py)


async def aiogram_floor(updates: int) -> float:
    from aiogram import Bot, Dispatcher
    from aiogram.fsm.context import FSMContext
    from aiogram.fsm.storage.memory import MemoryStorage
    from aiogram.methods import SendMessage
    from aiogram.types import Message, Update

    dp = Dispatcher(storage=MemoryStorage())
    bot = Bot("123456:FLOOR")

    @dp.message()
    async def step(message: Message, state: FSMContext) -> Any:
        data = await state.get_data()
        n = data.get("n", 0) + 1
        await state.update_data(n=n, answer=message.text)
        await state.set_state(f"q{n % QUESTIONS}")
        return SendMessage(chat_id=message.chat.id, text=f"Question {n % QUESTIONS}")

    chats = 1000
    batch = [
        Update.model_validate({"update_id": i, "message": {
            "message_id": i, "date": 0, "chat": {"id": i % chats, "type": "private"},
            "from": {"id": i % chats, "is_bot": False, "first_name": "U"}, "text": "answer"}})
        for i in range(updates)
    ]
    started = time.perf_counter()
    for update in batch:
        await dp.feed_update(bot, update)
    elapsed = time.perf_counter() - started
    await bot.session.close()
    return elapsed / updates


def _floor_db() -> Path:
    path = Path(tempfile.mkdtemp()) / "floor.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE conversation (key TEXT PRIMARY KEY, step TEXT, data TEXT)")
    db.executemany("INSERT INTO conversation VALUES (?, 'q0', '{}')", [(f"c{i}",) for i in range(1000)])
    db.close()
    return path


async def aiosqlite_floor(updates: int) -> float:
    import aiosqlite

    async with aiosqlite.connect(_floor_db(), isolation_level=None) as db:
        await db.execute("PRAGMA synchronous=FULL")
        started = time.perf_counter()
        for i in range(updates):
            await db.execute("BEGIN")
            await db.execute("UPDATE conversation SET step = ?, data = ? WHERE key = ?",
                             (f"q{i % 41}", '{"a": 1}', f"c{i % 1000}"))
            await db.execute("COMMIT")
        elapsed = time.perf_counter() - started
    return elapsed / updates


def sqlite_floor(updates: int) -> float:
    db = sqlite3.connect(_floor_db(), isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    started = time.perf_counter()
    for i in range(updates):
        db.execute("BEGIN")
        db.execute("UPDATE conversation SET step = ?, data = ? WHERE key = ?",
                   (f"q{i % 41}", '{"a": 1}', f"c{i % 1000}"))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed / updates


def main(updates: int) -> dict[str, float]:
    framework = asyncio.run(aiogram_floor(updates))
    storage = sqlite_floor(updates)
    hopping = asyncio.run(aiosqlite_floor(updates))
    result = {"aiogram_fsm_ms_per_update": round(framework * 1e3, 4),
              "raw_sqlite_ms_per_update": round(storage * 1e3, 4),
              "aiosqlite_ms_per_update": round(hopping * 1e3, 4), "updates": updates}
    print(f"framework floor (aiogram, memory FSM): {framework * 1e3:.3f} ms/update")
    print(f"storage floor (raw sqlite3, WAL, FULL): {storage * 1e3:.3f} ms/update")
    print(f"the same through aiosqlite:             {hopping * 1e3:.3f} ms/update")
    save("floors", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
