"""The surge over HTTP on loopback, against a real `sskdt run` process: the web chat API and the Telegram
webhook (the bot's answers go to a fake Bot API in this process, with pacing set out of the way).

    PYTHONPATH=. .venv/bin/python bench/http_surge.py [chats] [updates_per_chat] [--fake-process]

With --fake-process the fake Bot API runs in a process of its own (bench/fake_telegram_server.py): the client
that measures is then not also the server that answers the bot's sends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

from bench.common import save, summary
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import free_port, until_serving

SECRET = "bench-webhook-secret"


async def drive(chats: int, per_chat: int, send: Any) -> dict[str, Any]:
    latencies: list[float] = []

    async def chat(c: int) -> None:
        for k in range(per_chat):
            started = time.perf_counter()
            await send(c, k)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(chat(c) for c in range(chats)))
    wall = time.perf_counter() - started
    return {"updates": chats * per_chat, "updates_per_s": round(chats * per_chat / wall, 1), **summary(latencies)}


async def main(chats: int, per_chat: int, fake_process: bool = False) -> None:
    fake = FakeTelegram()  # builds the updates; answers the bot's sends unless it has a process of its own
    fake_proc = None
    if fake_process:
        fake_proc = subprocess.Popen([sys.executable, "bench/fake_telegram_server.py"], stdout=subprocess.PIPE,
                                     env=dict(os.environ, PYTHONPATH="."), text=True)
        assert fake_proc.stdout is not None
        fake.base_url = fake_proc.stdout.readline().strip()
    else:
        await fake.start()
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="sskdt-http-")
    env = dict(os.environ, SSKDT_ARGON2_MEMORY_KIB="8", SSKDT_ARGON2_TIME_COST="1", SSKDT_LOG_LEVEL="WARNING",
               SSKDT_TELEGRAM_TOKEN=fake.token, SSKDT_TELEGRAM_API_URL=fake.base_url,
               SSKDT_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
               SSKDT_TELEGRAM_WEBHOOK_SECRET=SECRET, SSKDT_TELEGRAM_RATE_GLOBAL="1000000",
               SSKDT_TELEGRAM_RATE_PER_CHAT="1000000", SSKDT_RATE_PER_ADDRESS="1000000",
               SSKDT_RATE_PER_CHAT="1000000")  # one client address drives every chat here
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir", data_dir],
                            env=env)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {}
    try:
        await until_serving(base + "/", proc)
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
            sessions: dict[int, tuple[str, str]] = {}  # chat → (session cookie, chat id), as each page has
            for c in range(chats):
                async with http.post(f"{base}/api/sessions") as response:
                    sessions[c] = (response.cookies["sskdt_session"].value, (await response.json())["chat_id"])

            async def web_send(c: int, k: int) -> None:
                token, chat_id = sessions[c]
                async with http.post(f"{base}/api/chats/{chat_id}/messages",
                                     headers={"Cookie": f"sskdt_session={token}"},
                                     json={"text": "/help", "client_id": f"{c}-{k}"}) as response:
                    assert response.status == 200
                    await response.read()

            results["web_chat_api"] = await drive(chats, per_chat, web_send)
            updates = itertools.count(1)

            async def telegram_send(c: int, k: int) -> None:
                update = {"update_id": next(updates), **fake.text(100_000 + c, "/help")}
                async with http.post(f"{base}/telegram/webhook", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                    assert response.status == 200
                    await response.read()

            results["telegram_webhook"] = await drive(chats, per_chat, telegram_send)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if fake_proc is not None:
            fake_proc.terminate()
            fake_proc.wait(timeout=30)
        else:
            await fake.stop()
    for name, row in results.items():
        print(f"{name:<16} {row['updates_per_s']:>8} updates/s  p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms")
    save("http", {"chats": chats, "updates_per_chat": per_chat, "fake_process": fake_process, **results})


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(numbers[0]) if numbers else 200, int(numbers[1]) if len(numbers) > 1 else 20,
                     "--fake-process" in sys.argv))
