"""Fair use: a burst against the web API gets 429 with Retry-After; password guessing is slowed per source;
CPU work is a bounded queue that keeps room for log-ins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.app import App
from bot.channels.webchat.server import WebPolicy, create_web_app
from bot.engine.limits import CpuGate, TokenBuckets
from tests.channels.test_webchat_api import client, open_chat
from tests.helpers import PASSWORD, Chat, at_password, signup


@pytest.fixture
async def strict_url(sqlite_app: App) -> AsyncIterator[str]:
    """The web chat with the production defaults (the suite's other servers are lenient)."""
    engine = sqlite_app.engine
    runner = web.AppRunner(create_web_app(engine, engine.services.qr.media, {}, policy=WebPolicy()))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    await runner.cleanup()


async def test_a_burst_against_one_chat_gets_429_with_retry_after(strict_url: str) -> None:
    async with client() as http:
        url = await open_chat(http, strict_url)
        statuses = []
        for _ in range(40):
            response = await http.get(url, params={"after": "0"})
            statuses.append(response.status)
            if response.status == 429:
                assert int(response.headers["Retry-After"]) >= 1
                assert (await response.json()) == {"error": "too many requests"}
        assert statuses[:20] == [200] * 20 and 429 in statuses


async def test_a_flood_from_one_address_is_cut_off_and_others_are_served(strict_url: str) -> None:
    async with client() as http:
        # X-Forwarded-For is not believed from a peer that is not a trusted proxy: one address, one bucket.
        results = await asyncio.gather(*(
            http.post(f"{strict_url}/api/sessions", headers={"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(100)
        ))
        assert sum(r.status == 429 for r in results) >= 30  # 60 at once, then 20 a second


async def test_password_guessing_is_slowed_per_source(chat: Chat, app: App) -> None:
    await signup(chat)
    await chat.press("logout")
    guesser = await at_password(app.engine, "guesser")
    for _ in range(10):
        await guesser.send("guess")
    await guesser.send("guess")
    assert "gửi quá nhanh" in guesser.prompt and "giây" in guesser.prompt
    await chat.press("login")
    await chat.send("0912345678")
    await chat.send(PASSWORD)  # the owner, from another source: not slowed
    assert "Đăng nhập thành công" in chat.text


def test_token_buckets_refill_at_their_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0  # another key has its own bucket
    now[0] = 1.0
    assert buckets.take("a") == 0 and buckets.take("a") == 0


def test_the_cpu_gate_keeps_room_for_log_ins() -> None:
    gate = CpuGate(capacity=4, reserved=2)
    assert [gate.enter(priority=False) for _ in range(3)] == [True, True, False]  # sign-ups: 2 places
    assert [gate.enter(priority=True) for _ in range(3)] == [True, True, False]  # log-ins: the reserved ones
    gate.leave()
    assert gate.enter(priority=False) is False and gate.enter(priority=True) is True


@pytest.mark.parametrize("method, path", [("GET", "/kiemtra/data.json"), ("POST", "/kiemtra/counts"),
                                          ("GET", "/kiemtra/mo/guessed-link"), ("GET", "/media/x/guessed.png")])
async def test_the_checkpoint_and_picture_routes_are_limited_per_address(strict_url: str, method: str,
                                                                         path: str) -> None:
    """Each asks the database: a flood of guessed links, cookies or picture names is cut off like the chat's."""
    async with client() as http:
        statuses = [(await http.request(method, strict_url + path, json={"counts": {}})).status for _ in range(200)]
    assert 429 in statuses and statuses.index(429) >= 60  # the address's burst of 60, then 20 a second
    assert set(statuses[:60]) <= {401, 404, 410}  # what each says to a stranger, until the limit
