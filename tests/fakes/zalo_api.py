"""A fake Zalo Bot API server on loopback (aiohttp) for the channel tests.

It answers as the platform documents: ``POST /bot{TOKEN}/{method}`` with the envelope ``{ok, result |
error_code, description}``; ``getUpdates`` hands over **one** event per call, with no offset, and "nothing new"
alternately as an empty result and as ``ok: false, error_code: 408``; ``sendPhoto`` takes a URL only and
downloads it at once (as Zalo does), keeping the bytes; texts over 2,000 characters are refused. It plays the
user (text, photo by URL, sticker, a malformed event) by polling or by webhook (with or without the secret),
and can enforce rate limits with 429 while counting requests that came during a pause it asked for.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TEXT_LIMIT = 2000
PAUSE = 1.0  # seconds a 429 asks for (Zalo gives no retry_after: the client backs off)


@dataclass
class Limits:
    per_chat_per_second: float
    global_per_second: float


@dataclass
class FakeZalo:
    token: str = "1234567890:zalo-test-token"
    limits: Limits | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    webhook: dict[str, Any] | None = None
    too_many: int = 0
    ignored_pause: int = 0
    blocked_by_user: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._empty_as_408 = False
        self._recent: deque[float] = deque()
        self._last_by_chat: dict[str, float] = {}
        self._pause = (0.0, 0.0)
        self._hosted: dict[str, bytes] = {}
        self._changed = asyncio.Condition()
        self._notifying: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/cdn/{name}", self._cdn)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        return self.base_url

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _error(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description})

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await request.json() if request.can_read_body else {}
        self.calls.append((method, params))
        self._wake()
        if method in ("sendMessage", "sendPhoto"):
            chat_id = str(params["chat_id"])
            limited = self._rate_limit(chat_id)
            if limited is not None:
                return limited
            if chat_id in self.blocked_by_user:
                return self._error(403, "User has blocked the bot")
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return self._error(404, "Method not found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _rate_limit(self, chat_id: str) -> web.Response | None:
        now = time.monotonic()
        start, end = self._pause
        if start <= now < end:
            self.ignored_pause += 1
        if self.limits is None:
            return None
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        last = self._last_by_chat.get(chat_id)
        too_fast = len(self._recent) >= self.limits.global_per_second or (
            last is not None and now - last < 1.0 / self.limits.per_chat_per_second)
        if too_fast:
            self.too_many += 1
            # Requests already on their way when the 429 was answered cannot have obeyed it; later ones must.
            self._pause = (now + 0.05, now + PAUSE)
            return self._error(429, "Too many requests")
        self._recent.append(now)
        self._last_by_chat[chat_id] = now
        return None

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self._hosted.get(request.match_info["name"])
        return web.Response(body=data, content_type="image/jpeg") if data is not None else web.Response(status=404)

    def host_photo(self, data: bytes) -> str:
        """A picture a user sends is kept by Zalo and handed to the bot as a URL."""
        name = f"p{next(self._ids)}.jpg"
        self._hosted[name] = data
        return f"{self.base_url}/cdn/{name}"

    # ---- methods ----------------------------------------------------------------------------------------

    async def _m_getMe(self, _p: dict[str, Any]) -> Any:
        return {"id": "8899", "account_name": "bot.sskdt", "account_type": "BASIC", "can_join_groups": False}

    async def _m_getUpdates(self, p: dict[str, Any]) -> Any:
        if self.webhook:
            return self._error(400, "Webhook is set")
        try:
            return await asyncio.wait_for(self._queue.get(), min(float(p.get("timeout") or 0), 1.0))
        except TimeoutError:
            self._empty_as_408 = not self._empty_as_408
            return self._error(408, "Request timeout") if self._empty_as_408 else {}

    async def _m_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p["url"], "secret_token": p["secret_token"]}
        return {"url": p["url"], "updated_at": int(time.time() * 1000)}

    async def _m_deleteWebhook(self, _p: dict[str, Any]) -> Any:
        self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _m_getWebhookInfo(self, _p: dict[str, Any]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "updated_at": 0}

    async def _m_sendChatAction(self, p: dict[str, Any]) -> Any:
        return {}

    def _wake(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        task = asyncio.ensure_future(notify())
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    def _record(self, chat_id: str, **content: Any) -> dict[str, Any]:
        message = {"message_id": f"bot-{next(self._ids)}", "date": int(time.time() * 1000), **content}
        self.sent[chat_id].append(message)
        self._wake()
        return {"message_id": message["message_id"], "date": message["date"]}

    async def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        text = p.get("text")
        if not isinstance(text, str) or not text or len(text) > TEXT_LIMIT:
            return self._error(400, "Text must be 1-2000 characters")
        return self._record(str(p["chat_id"]), text=text)

    async def _m_sendPhoto(self, p: dict[str, Any]) -> Any:
        url, caption = p.get("photo"), p.get("caption", "")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return self._error(400, "Photo must be a URL")
        if len(caption) > TEXT_LIMIT:
            return self._error(400, "Caption must be at most 2000 characters")
        assert self._http is not None
        async with self._http.get(url) as response:  # Zalo fetches the picture from the sender's server
            if response.status != 200:
                return self._error(400, f"Cannot download photo (HTTP {response.status})")
            data = await response.read()
        return self._record(str(p["chat_id"]), photo=data, photo_url=url, caption=caption)

    # ---- the user's side --------------------------------------------------------------------------------

    def event(self, chat_id: str, name: str = "message.text.received", **content: Any) -> dict[str, Any]:
        message = {"from": {"id": chat_id, "display_name": "Người dùng", "is_bot": False},
                   "chat": {"id": chat_id, "chat_type": "PRIVATE"}, "message_id": f"m{next(self._ids)}",
                   "date": int(time.time() * 1000), **content}
        return {"event_name": name, "message": message}

    def text(self, chat_id: str, text: str) -> dict[str, Any]:
        return self.event(chat_id, text=text)

    def photo(self, chat_id: str, url: str) -> dict[str, Any]:
        return self.event(chat_id, "message.image.received", photo=url, caption="")

    def sticker(self, chat_id: str) -> dict[str, Any]:
        return self.event(chat_id, "message.sticker.received", sticker="sticker-id", url="https://example.invalid/s")

    async def deliver(self, event: dict[str, Any], *, secret: str | None = None) -> int:
        """Hand the event over: by webhook (the status is returned) or to the next getUpdates (0)."""
        if self.webhook is None:
            await self._queue.put(event)
            return 0
        assert self._http is not None
        headers = {"X-Bot-Api-Secret-Token": self.webhook["secret_token"] if secret is None else secret}
        async with self._http.post(self.webhook["url"], json={"ok": True, "result": event},
                                   headers=headers) as response:
            return response.status

    async def post_raw(self, body: bytes, *, secret: str | None = None) -> int:
        assert self._http is not None and self.webhook is not None
        headers = {"X-Bot-Api-Secret-Token": self.webhook["secret_token"] if secret is None else secret,
                   "Content-Type": "application/json"}
        async with self._http.post(self.webhook["url"], data=body, headers=headers) as response:
            return response.status

    def texts(self, chat_id: str) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.sent[chat_id]]

    def photos(self, chat_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent[chat_id] if "photo" in m]

    def sent_texts(self) -> list[str]:
        """Every text and caption the bot sent to anyone."""
        return [p.get("text") or p.get("caption") or "" for name, p in self.calls
                if name in ("sendMessage", "sendPhoto")]

    async def wait_sent(self, chat_id: str, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        """Until ``count`` messages have been sent to the chat (the polling client answers in the background)."""
        await self._until(lambda: len(self.sent[chat_id]) >= count, timeout)
        return self.sent[chat_id]

    async def wait_calls(self, method: str, count: int, timeout: float = 20) -> None:
        """Until ``method`` has been called ``count`` times in all."""
        await self._until(lambda: sum(1 for name, _ in self.calls if name == method) >= count, timeout)

    async def _until(self, condition: Callable[[], bool], timeout: float) -> None:
        async def reached() -> None:
            async with self._changed:
                await self._changed.wait_for(condition)

        await asyncio.wait_for(reached(), timeout)
