"""How long a person waits for the last message of the reply to /start on Telegram (the greeting and the menu:
two messages before they were merged into one), through the real webhook, against the fake Bot API enforcing
Telegram's limits (30/s, 1/s per chat, with the given burst per chat).

    PYTHONPATH=. .venv/bin/python bench/telegram_reply_latency.py [CHATS] [UPDATES_PER_SECOND]

People arrive at 10 a second by default (20 messages a second: under the 30/s a bot may send in all; beyond it
the global limit, not the per-chat one, is what people wait for). Runs once with a burst of 1 (every message to
a chat one second after the previous one) and once with a burst of 3 (the default: a reply's messages go out
together, then 1/s), and prints p50 and p99 of the time from the update to the reply's last message, with the
429s the fake had to answer.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bench.common import percentile, save
from bot.app import build
from bot.channels.pacing import Pacer
from bot.channels.telegram.core import Sender, TelegramChannel
from bot.channels.telegram.runtime import make_api
from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram, WebPolicy

SECRET = "bench-secret"


async def run(chats: int, burst: int, rate: float) -> dict[str, float]:
    fake = FakeTelegram(limits=WebPolicy(per_chat_per_second=1, global_per_second=30, per_chat_burst=burst))
    await fake.start()
    app = build(Settings(data_dir=Path(tempfile.mkdtemp(prefix="sskdt-latency-")), argon2_memory_kib=8,
                         argon2_time_cost=1))
    api = make_api("aiogram", fake.token, fake.base_url)
    await api.start()
    channel = TelegramChannel(api, app.engine, Sender(api, Pacer(30, 1, burst), app.engine.services.qr.media))
    server = web.Application()
    channel.webhook_route(server, "/hook", SECRET)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await api.set_webhook(f"http://127.0.0.1:{port}/hook", SECRET)
    waits: list[float] = []
    messages: list[int] = []

    async def person(n: int) -> None:
        await asyncio.sleep(n / rate)  # open loop: arrivals do not wait for earlier answers
        chat = 60_000 + n
        started = time.perf_counter()
        # The webhook answers after the replies (or with the reply, which the fake then sends as Telegram does).
        _, status = await fake.deliver(fake.text(chat, "/start"))
        assert status == 200 and "Anh/Chị muốn làm gì?" in fake.texts(chat)[-1], fake.texts(chat)
        waits.append(time.perf_counter() - started)
        messages.append(len(fake.sent[chat]))

    await asyncio.gather(*(person(n) for n in range(chats)))
    await runner.cleanup()
    await api.close()
    await fake.stop()
    app.close()
    return {"burst": burst, "p50_ms": round(percentile(waits, 0.5) * 1e3, 1),
            "p99_ms": round(percentile(waits, 0.99) * 1e3, 1), "too_many": fake.too_many,
            "messages_per_reply": max(messages), "in_webhook_answer": fake.answered_in_webhook}


async def main(chats: int = 30, rate: float = 10) -> list[dict[str, float]]:
    rows = [await run(chats, burst, rate) for burst in (1, 3)]
    print(f"{'burst per chat':<16}{'p50 (ms)':>10}{'p99 (ms)':>10}{'429s':>7}{'messages':>10}{'in answer':>11}")
    for row in rows:
        print(f"{row['burst']:<16}{row['p50_ms']:>10}{row['p99_ms']:>10}{row['too_many']:>7}"
              f"{row['messages_per_reply']:>10}{row['in_webhook_answer']:>11}")
    save("telegram_reply_latency", {"chats": chats, "updates_per_second": rate, "runs": rows})
    return rows


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30, float(sys.argv[2]) if len(sys.argv) > 2 else 10))
