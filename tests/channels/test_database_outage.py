"""The database goes away mid-service (PostgreSQL behind a proxy that cuts every connection) and comes back:
people are told to try again, webhooks answer 503 so the messenger redelivers, nothing is applied twice, and
the service reconnects by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.app import App, build
from bot.channels.pacing import Pacer
from bot.channels.telegram.core import Sender, TelegramChannel
from bot.channels.telegram.runtime import make_api
from tests.conftest import cheap_settings
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import served

SECRET = "outage-webhook-secret"


@pytest.fixture
async def proxy(pg_schema_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    real = urlsplit(pg_schema_url)
    line = TcpProxy(real.hostname or "127.0.0.1", real.port or 5432)
    port = await line.start()
    yield line, pg_schema_url.replace(real.netloc, f"{real.username}@127.0.0.1:{port}", 1)
    await line.close()


async def test_an_outage_is_said_redelivered_and_survived(tmp_path: Path, proxy: tuple[TcpProxy, str]) -> None:
    line, url = proxy
    app: App = build(cheap_settings(tmp_path, url))
    fake = FakeTelegram()
    await fake.start()
    api = make_api("aiogram", fake.token, fake.base_url)
    await api.start()
    server = app.web_app()
    TelegramChannel(api, app.engine, Sender(api, Pacer(1000, 1000), app.engine.services.qr.media)).webhook_route(
        server, "/telegram/webhook", SECRET)
    try:
        async with served(server) as base:
            await api.set_webhook(f"{base}/telegram/webhook", SECRET)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # cookies of 127.0.0.1
                async with http.post(f"{base}/api/sessions") as response:
                    chat_id = (await response.json())["chat_id"]
                messages = f"{base}/api/chats/{chat_id}/messages"

                async def say(text: str, client_id: str) -> tuple[int, list[str]]:
                    async with http.post(messages, json={"text": text, "client_id": client_id}) as response:
                        body = await response.json()
                        return response.status, [r["text"] for r in body.get("replies", [])]

                status, texts = await say("/start", "m1")
                assert status == 200 and "Anh/Chị muốn làm gì?" in texts[-1]

                await line.cut()
                status, texts = await say("1", "m2")
                assert status == 503 and texts == ["Hệ thống đang bận, vui lòng thử lại sau ít phút."]
                async with http.get(f"{messages}?after=0") as response:
                    assert response.status == 503  # reading the transcript too: a 503, never a 500
                update, delivered = await fake.deliver(fake.text(7100, "/start"))
                assert delivered == 503 and not fake.sent[7100]  # Telegram will deliver it again

                await line.restore()
                for _ in range(4):  # each DB thread's connection died while idle: none of them is a 503 now
                    async with http.get(f"{messages}?after=0") as response:
                        assert response.status == 200
                status, texts = await say("1", "m2")  # the page sends it again: applied now, once
                assert status == 200 and "Họ và tên" in texts[-1]
                status, _ = await say("1", "m2")
                assert status == 200
                async with http.get(f"{messages}?after=0") as response:
                    shown = [m["text"] for m in (await response.json())["messages"]]
                assert sum("Họ và tên" in text for text in shown) == 1
                _, delivered = await fake.deliver({k: v for k, v in update.items() if k != "update_id"},
                                                  update_id=update["update_id"])  # the redelivery
                assert delivered == 200 and "Anh/Chị muốn làm gì?" in fake.texts(7100)[-1]
    finally:
        await api.close()
        await fake.stop()
        app.close()
