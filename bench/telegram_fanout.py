"""Fan-out: N notices through the paced Telegram sender against the fake Bot API enforcing a scaled limit.
Reports the achieved rate as a fraction of the limit and the 429s received.

    .venv/bin/python bench/telegram_fanout.py [notices] [chats] [global/s] [per-chat/s] [aiogram|ptb]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from bot.channels.pacing import Pacer
from bot.channels.telegram.core import Sender
from bot.channels.telegram.runtime import make_api
from bot.engine.types import Reply
from bot.services.blobs.media import MediaStore
from tests.fakes.telegram_api import FakeTelegram, WebPolicy


async def main(notices: int, chats: int, global_rate: float, chat_rate: float, runtime: str) -> None:
    fake = FakeTelegram(limits=WebPolicy(per_chat_per_second=chat_rate, global_per_second=global_rate))
    await fake.start()
    api = make_api(runtime, fake.token, fake.base_url)
    await api.start()
    sender = Sender(api, Pacer(global_rate, chat_rate), MediaStore(Path(tempfile.mkdtemp()), b"k" * 32))
    started = time.perf_counter()
    await asyncio.gather(*(sender.send(10_000 + i % chats, Reply(f"notice {i}")) for i in range(notices)))
    elapsed = time.perf_counter() - started
    await api.close()
    await fake.stop()
    delivered = sum(len(fake.sent[10_000 + c]) for c in range(chats))
    bound = min(global_rate, chats * chat_rate)
    result = {"runtime": runtime, "notices": notices, "delivered": delivered, "seconds": round(elapsed, 2),
              "rate_per_s": round(delivered / elapsed, 1), "limit_per_s": bound,
              "fraction_of_limit": round(delivered / elapsed / bound, 3), "http_429": fake.too_many,
              "ignored_retry_after": fake.ignored_retry_after}
    print(json.dumps(result, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"fanout-{runtime}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 10_000, int(args[1]) if len(args) > 1 else 1000,
                     float(args[2]) if len(args) > 2 else 300, float(args[3]) if len(args) > 3 else 10,
                     args[4] if len(args) > 4 else "aiogram"))
