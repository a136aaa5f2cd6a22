"""Latency as people feel it: an open-loop surge through the web chat API of a real `sskdt run` (SQLite).

People do not wait for each other: they arrive when they arrive. First a closed loop (every conversation at
once) measures the most registrations a second the server completes; then conversations arrive at random
(Poisson, fixed seed) at 70 % of that rate, each typing its next answer as soon as it has the reply, and every
update's latency counts. Each conversation is the whole registration (sign-up with the SMS code, log-out,
log-in, the form, consent), from an address of its own behind a trusted proxy, with a trivial hash cost (the
deliberately slow hash is bench/surge.py's subject).

    PYTHONPATH=. .venv/bin/python bench/open_loop.py [conversations] [closed_loop_conversations]
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any

import aiohttp

from bench.common import Script, percentile, save
from bot.engine import Reply
from bot.services.values.dates import today
from tests.helpers import free_port, until_serving

LOAD = 0.7
SMS = re.compile(r"\[SMS to \+84(\d{9})\] (\d{6})")


class WebCitizen(Script):
    """The script through the web chat API: a session of its own, its cookie renewed at log-in and its chat
    changed at log-out as a browser would."""

    def __init__(self, http: aiohttp.ClientSession, base: str, number: int, codes: dict[str, asyncio.Future[str]]):
        self.http, self.base, self.number, self.codes = http, base, number, codes
        self.latencies, self.hash_latencies = [], []
        self.address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        self.cookie = self.chat_id = ""
        self.sent = 0

    async def open(self) -> None:
        async with self.http.post(f"{self.base}/api/sessions", headers={"X-Forwarded-For": self.address}) as response:
            self.cookie = response.cookies["sskdt_session"].value
            self.chat_id = (await response.json())["chat_id"]

    async def post(self, content: dict[str, Any]) -> list[Reply]:
        self.sent += 1
        async with self.http.post(
            f"{self.base}/api/chats/{self.chat_id}/messages", json={**content, "client_id": str(self.sent)},
            headers={"Cookie": f"sskdt_session={self.cookie}", "X-Forwarded-For": self.address},
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:200]}")
            body = await response.json()
            if "sskdt_session" in response.cookies:
                self.cookie = response.cookies["sskdt_session"].value
        self.chat_id = body.get("chat_id") or self.chat_id
        return [Reply(r["text"]) for r in body["replies"]]

    async def sms(self, phone: str) -> str:
        return await self.codes.setdefault(phone[1:], asyncio.get_running_loop().create_future())


def read_codes(stream: Any, loop: asyncio.AbstractEventLoop, codes: dict[str, asyncio.Future[str]]) -> None:
    """The server prints each SMS (no SMS gateway here): the codes are read as a phone would show them."""

    def arrived(number: str, code: str) -> None:
        future = codes.setdefault(number, loop.create_future())
        if not future.done():
            future.set_result(code)

    for line in stream:
        for found in SMS.finditer(line):  # two prints from two threads may share a line
            loop.call_soon_threadsafe(arrived, found.group(1), found.group(2))


async def run_all(citizens: list[WebCitizen], soon: str, starts: list[float]) -> float:
    async def one(citizen: WebCitizen, at: float) -> None:
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - began)))  # the arrival time, open loop
        await citizen.open()
        await citizen.register(soon)

    began = time.perf_counter()
    await asyncio.gather(*(one(c, at) for c, at in zip(citizens, starts, strict=True)))
    return time.perf_counter() - began


async def main(conversations: int = 1000, closed: int = 200) -> dict[str, Any]:
    port = free_port()
    env = dict(os.environ, SSKDT_ARGON2_MEMORY_KIB="8", SSKDT_ARGON2_TIME_COST="1", SSKDT_LOG_LEVEL="WARNING",
               SSKDT_TRUSTED_PROXIES="127.0.0.1", SSKDT_RATE_PER_ADDRESS="1000000", SSKDT_RATE_PER_CHAT="1000000",
               SSKDT_CPU_QUEUE="1000000", PYTHONUNBUFFERED="1")  # as bench/common.py: throughput, not the flood guard
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir",
                             tempfile.mkdtemp(prefix="sskdt-open-")], env=env, stdout=subprocess.PIPE, text=True)
    codes: dict[str, asyncio.Future[str]] = {}
    threading.Thread(target=read_codes, args=(proc.stdout, asyncio.get_running_loop(), codes), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    soon = (today() + timedelta(days=10)).strftime("%d/%m/%Y")
    try:
        await until_serving(base + "/", proc)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
            crowd = [WebCitizen(http, base, n, codes) for n in range(closed)]
            wall = await run_all(crowd, soon, [0.0] * closed)
            most = closed / wall
            rate = LOAD * most
            arrivals = random.Random(1)
            starts, at = [], 0.0
            for _ in range(conversations):
                at += arrivals.expovariate(rate)
                starts.append(at)
            people = [WebCitizen(http, base, closed + n, codes) for n in range(conversations)]
            span = await run_all(people, soon, starts)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    latencies = [x for c in people for x in c.latencies + c.hash_latencies]
    result = {
        "closed_loop": {"conversations": closed, "registrations_per_s": round(most, 1),
                        "updates_per_s": round(sum(c.sent for c in crowd) / wall, 1)},
        "open_loop": {"conversations": conversations, "arrivals_per_s": round(rate, 2), "load": LOAD,
                      "updates": len(latencies), "wall_s": round(span, 1),
                      "p50_ms": round(percentile(latencies, 0.5) * 1e3, 2),
                      "p99_ms": round(percentile(latencies, 0.99) * 1e3, 2),
                      "max_ms": round(max(latencies) * 1e3, 2)},
    }
    o = result["open_loop"]
    print(f"closed loop: {result['closed_loop']['registrations_per_s']} registrations/s "
          f"({result['closed_loop']['updates_per_s']} updates/s) over the web chat API")
    print(f"open loop:   {conversations} conversations arriving at {o['arrivals_per_s']}/s ({LOAD:.0%}): "
          f"p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms, max {o['max_ms']} ms over {o['updates']} updates")
    save("open_loop", result)
    return result


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*numbers))
