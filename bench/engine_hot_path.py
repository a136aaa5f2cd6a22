"""Engine hot path: N concurrent chats each sending M cheap updates (/help) through the engine, SQLite file,
every update durable. Prints updates/s, latency percentiles and CPU per update. Not part of the test suite.

    .venv/bin/python bench/engine_hot_path.py [chats] [updates_per_chat]
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path

from bot.app import build
from bot.channels.webchat.server import CAPABILITIES as WEB
from bot.config import Settings
from bot.engine import Incoming


async def main(chats: int, rounds: int) -> dict[str, float]:
    app = build(Settings(data_dir=Path(tempfile.mkdtemp()), argon2_memory_kib=1024, argon2_time_cost=1))
    keys = itertools.count()

    async def one_chat(i: int) -> list[float]:
        latencies = []
        for _ in range(rounds):
            started = time.perf_counter()
            incoming = Incoming(channel="web", chat_id=str(i), user_id=str(i), update_key=str(next(keys)),
                                text="/help")
            await app.engine.handle(incoming, WEB)
            latencies.append(time.perf_counter() - started)
        return latencies

    wall, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(one_chat(i) for i in range(chats)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    lat = sorted(x for r in results for x in r)
    total = chats * rounds
    print(f"{total / wall:,.0f} updates/s · p50 {lat[len(lat) // 2] * 1e3:.1f} ms · "
          f"p99 {lat[int(len(lat) * 0.99)] * 1e3:.1f} ms · {cpu / total * 1e3:.2f} ms CPU/update · "
          f"{app.store.jobs / app.store.batches:.0f} events/commit")
    app.close()
    return {"updates_per_s": round(total / wall, 1), "ms_per_update": round(wall / total * 1e3, 4),
            "cpu_ms_per_update": round(cpu / total * 1e3, 4)}


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500, int(sys.argv[2]) if len(sys.argv) > 2 else 20))
