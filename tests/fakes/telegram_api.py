"""A fake Telegram Bot API server on loopback (aiohttp) for the adapter tests.

It answers the methods the bot uses with Bot API-shaped JSON, records every call, plays the user (text,
button press, shared contact, photo, sticker) by ``getUpdates`` or by webhook (with or without the secret
header), and can enforce rate limits with ``429`` + ``retry_after`` while counting requests that ignored one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

# Requests already on their way when a 429 was answered cannot have obeyed it; later ones must.
IN_FLIGHT_GRACE = 0.05
BOT_USER = {"id": 42, "is_bot": True, "first_name": "SSKDT", "username": "sskdt_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass
class WebPolicy:
    per_chat_per_second: float
    global_per_second: float
    per_chat_burst: int = 1  # messages a chat may receive at once before the per-chat rate applies


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    limits: WebPolicy | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    deleted: list[tuple[int, int]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    too_many: int = 0  # 429 answers given
    over_limit: int = 0  # of which for going over the limits (not thrown in by ``fail_every``/``throttle_next``)
    ignored_retry_after: int = 0  # requests that came before the retry_after we gave had passed
    answered_in_webhook: int = 0  # methods the bot put in its webhook answers (run by "Telegram")
    fail_every: int = 0  # every Nth message the bot sends gets a 500 or a 429 instead (0: never)
    server_errors: int = 0  # 500 answers given

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self.balanced: list[str] = []  # webhook URLs of several nodes, taken in turn (empty: the registered one)
        self._turn = itertools.count()
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._recent: deque[float] = deque()
        self._chat_buckets: dict[int, tuple[float, float]] = {}
        self._blocked_until: dict[int | None, tuple[float, float]] = {}
        self.blocked_by_user: set[int] = set()
        self.ignored_after: list[float] = []  # seconds from each 429 to a request that came during its pause
        self._runner: web.AppRunner | None = None
        self._sends = 0
        self.base_url = ""

    # ---- server -------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body or {})
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.filename:  # type: ignore[union-attr]
                    params[part.name or "file"] = bytes(await part.read())  # type: ignore[union-attr]
                    params[f"{part.name or 'file'}_filename"] = part.filename  # type: ignore[union-attr]
                else:
                    params[part.name or ""] = await part.text()  # type: ignore[union-attr]
        elif request.can_read_body:
            params.update(dict(await request.post()))
        for key, value in list(params.items()):  # aiogram sends files as "attach://<part name>"
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.get(value.removeprefix("attach://"), value)
                params[f"{key}_filename"] = params.get(f"{value.removeprefix('attach://')}_filename")
        for key in ("reply_markup", "commands"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        for key in ("chat_id", "message_id", "offset", "timeout", "limit"):
            if isinstance(params.get(key), str) and params[key].lstrip("-").isdigit():
                params[key] = int(params[key])
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method, params = request.match_info["method"], await self._params(request)
        if method.lower() in ("sendmessage", "sendphoto") and self.fail_every:
            self._sends += 1
            if self._sends % self.fail_every == 0:  # a bad moment at Telegram: 500, then 429, in turn
                self.calls.append((method + ":failed", params))
                if (self._sends // self.fail_every) % 2:
                    self.server_errors += 1
                    return web.json_response({"ok": False, "error_code": 500, "description": "Internal Server Error"},
                                             status=500)
                self.throttle_next(1)
        return await self._invoke(method, params)

    async def _invoke(self, method: str, params: dict[str, Any]) -> web.Response:
        self.calls.append((method, params))
        handler = getattr(self, "_m_" + method.lower(), None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        if method.lower() in ("sendmessage", "sendphoto", "senddocument"):
            limited = self._rate_limit(int(params["chat_id"]))
            if limited is not None:
                return limited
            if int(params["chat_id"]) in self.blocked_by_user:
                return web.json_response({"ok": False, "error_code": 403,
                                          "description": "Forbidden: bot was blocked by the user"}, status=403)
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    def _check_obeyed(self, chat_id: int, now: float) -> None:
        for scope in (None, chat_id):
            start, end = self._blocked_until.get(scope, (0.0, 0.0))
            if start <= now < end:
                self.ignored_retry_after += 1
                self.ignored_after.append(now - start + IN_FLIGHT_GRACE)

    def throttle_next(self, retry_after: int) -> None:
        """Answer the next send with 429 whatever the rate, as Telegram sometimes does."""
        self._forced_retry_after = retry_after

    def _rate_limit(self, chat_id: int) -> web.Response | None:
        now = time.monotonic()
        forced = getattr(self, "_forced_retry_after", 0)
        if forced:
            self._forced_retry_after = 0
            self.too_many += 1
            self._blocked_until[None] = (now + IN_FLIGHT_GRACE, now + forced)
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                      "parameters": {"retry_after": forced}}, status=429)
        if self.limits is None:
            self._check_obeyed(chat_id, now)
            return None
        self._check_obeyed(chat_id, now)
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        wait = 0.0
        if len(self._recent) >= self.limits.global_per_second:
            wait = max(wait, 1.0 - (now - self._recent[0]))
            scope: int | None = None
        rate, burst = self.limits.per_chat_per_second, self.limits.per_chat_burst
        tokens, counted = self._chat_buckets.get(chat_id, (float(burst), now))
        tokens = min(float(burst), tokens + (now - counted) * rate)
        if tokens < 1:
            wait = max(wait, (1 - tokens) / rate)
            scope = chat_id
        if wait > 0:
            self.too_many += 1
            self.over_limit += 1
            retry_after = max(1, math.ceil(wait))
            self._blocked_until[scope] = (now + IN_FLIGHT_GRACE, now + retry_after)
            return web.json_response(
                {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                 "parameters": {"retry_after": retry_after}}, status=429,
            )
        self._recent.append(now)
        self._chat_buckets[chat_id] = (tokens - 1, now)
        return None

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # ---- methods --------------------------------------------------------------------------------------

    def _message(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "User"}, "from": BOT_USER, **extra}
        self.sent[chat_id].append(message)
        # Like the real API: only inline keyboards come back in the returned Message.
        returned = dict(message)
        if "inline_keyboard" not in (returned.get("reply_markup") or {}):
            returned.pop("reply_markup", None)
        return returned

    def _store_file(self, data: bytes) -> dict[str, Any]:
        file_id = f"FILE{next(self._file_ids)}"
        self.files[file_id] = data
        return {"file_id": file_id, "file_unique_id": file_id + "u", "width": 512, "height": 512,
                "file_size": len(data)}

    async def _m_getfile(self, p: dict[str, Any]) -> Any:
        file_id = str(p.get("file_id"))
        if file_id not in self.files:
            raise web.HTTPBadRequest(text=json.dumps({"ok": False, "error_code": 400,
                                                      "description": "Bad Request: invalid file_id"}),
                                     content_type="application/json")
        return {"file_id": file_id, "file_unique_id": file_id + "u", "file_size": len(self.files[file_id]),
                "file_path": file_id}

    async def _m_getme(self, _p: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_getupdates(self, p: dict[str, Any]) -> Any:
        if self.webhook:
            raise web.HTTPConflict(text=json.dumps({"ok": False, "error_code": 409,
                                                    "description": "Conflict: webhook is active"}))
        offset = int(p.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(float(p.get("timeout") or 0), 2.0))
        return [u for u in self._updates if u["update_id"] >= offset][: int(p.get("limit") or 100)]

    async def _m_setwebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
        return True

    async def _m_deletewebhook(self, _p: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _m_getwebhookinfo(self, _p: dict[str, Any]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": 0}

    async def _m_sendmessage(self, p: dict[str, Any]) -> Any:
        extra = {"text": p["text"]}
        if p.get("reply_markup"):
            extra["reply_markup"] = p["reply_markup"]
        return self._message(int(p["chat_id"]), **extra)

    async def _m_sendphoto(self, p: dict[str, Any]) -> Any:
        photo = p["photo"]
        if isinstance(photo, bytes):
            size = self._store_file(photo)
        elif photo in self.files:
            size = {"file_id": photo, "file_unique_id": photo + "u", "width": 512, "height": 512}
        else:
            raise web.HTTPBadRequest(text=json.dumps({"ok": False, "error_code": 400,
                                                      "description": "Bad Request: wrong file identifier"}))
        extra: dict[str, Any] = {"photo": [size]}
        if p.get("caption"):
            extra["caption"] = p["caption"]
        if p.get("reply_markup"):
            extra["reply_markup"] = p["reply_markup"]
        return self._message(int(p["chat_id"]), **extra)

    async def _m_senddocument(self, p: dict[str, Any]) -> Any:
        size = self._store_file(p["document"]) if isinstance(p["document"], bytes) else {"file_id": p["document"]}
        extra: dict[str, Any] = {"document": {**size, "file_name": p.get("document_filename", "file")}}
        if p.get("caption"):
            extra["caption"] = p["caption"]
        return self._message(int(p["chat_id"]), **extra)

    async def _m_editmessagetext(self, p: dict[str, Any]) -> Any:
        return self._message(int(p["chat_id"]), text=p["text"])

    async def _m_editmessagereplymarkup(self, _p: dict[str, Any]) -> Any:
        return True

    async def _m_answercallbackquery(self, _p: dict[str, Any]) -> Any:
        return True

    async def _m_deletemessage(self, p: dict[str, Any]) -> Any:
        self.deleted.append((int(p["chat_id"]), int(p["message_id"])))
        return True

    async def _m_setmycommands(self, _p: dict[str, Any]) -> Any:
        return True

    async def _m_sendchataction(self, _p: dict[str, Any]) -> Any:
        return True

    # ---- the user -------------------------------------------------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "User", "language_code": "vi"}

    def _user_message(self, chat_id: int, user_id: int | None = None, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "User"},
                "from": self._user(user_id or chat_id), **content}

    async def deliver(self, update_content: dict[str, Any], *, secret: str | None = "use-configured",
                      update_id: int | None = None) -> tuple[dict[str, Any], int | None]:
        """Queue for getUpdates, or POST to the webhook; returns the update and the webhook's HTTP status."""
        update = {"update_id": update_id or next(self._update_ids), **update_content}
        # Several nodes behind a balancing proxy: each delivery to the next (read before any await).
        url = self.balanced[next(self._turn) % len(self.balanced)] if self.balanced else None
        if not self.webhook:
            self._updates.append(update)
            self._new_update.set()
            return update, None
        headers = {}
        token = self.webhook.get("secret_token") if secret == "use-configured" else secret
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        async with aiohttp.ClientSession() as http, http.post(url or self.webhook["url"], json=update,
                                                                headers=headers) as response:
            if response.status == 200 and response.content_type == "application/json":
                # The answer may carry one method, which Telegram runs as if the bot had called it.
                params = await response.json()
                if isinstance(params, dict) and isinstance(params.get("method"), str):
                    self.answered_in_webhook += 1
                    await self._invoke(params.pop("method"), params)
            return update, response.status

    def text(self, chat_id: int, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": self._user_message(chat_id, **content)}

    def press(self, chat_id: int, data: str) -> dict[str, Any]:
        shown = next((m for m in reversed(self.sent[chat_id]) if m.get("reply_markup")), None) or \
            self._user_message(chat_id, text="?")
        return {"callback_query": {"id": str(next(self._update_ids)), "from": self._user(chat_id),
                                   "message": shown, "chat_instance": "ci", "data": data}}

    def contact(self, chat_id: int, phone: str, *, own: bool = True) -> dict[str, Any]:
        contact = {"phone_number": phone, "first_name": "Someone", "user_id": chat_id if own else chat_id + 1}
        return {"message": self._user_message(chat_id, contact=contact)}

    def photo(self, chat_id: int, *sizes: bytes) -> dict[str, Any]:
        """A photo message; ``sizes`` are the pictures Telegram would offer (smallest first, like the API)."""
        stored = [self._store_file(data) for data in (sizes or (b"\x89PNG\r\n\x1a\n",))]
        for i, size in enumerate(stored):
            size["width"] = size["height"] = 90 * (i + 1)
        return {"message": self._user_message(chat_id, photo=stored)}

    def document(self, chat_id: int, data: bytes, name: str) -> dict[str, Any]:
        """A file sent by the user (a site's CSV or XLSX export)."""
        stored = self._store_file(data)
        document = {"file_id": stored["file_id"], "file_unique_id": stored["file_unique_id"], "file_name": name,
                    "file_size": len(data), "mime_type": "text/csv"}
        return {"message": self._user_message(chat_id, document=document)}

    def sticker(self, chat_id: int) -> dict[str, Any]:
        sticker = {"file_id": "STK", "file_unique_id": "STKu", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}
        return {"message": self._user_message(chat_id, sticker=sticker)}

    # ---- reading what the bot did ---------------------------------------------------------------------

    def last(self, chat_id: int) -> dict[str, Any]:
        return self.sent[chat_id][-1]

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.sent[chat_id]]

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback data) of the last message that had inline buttons."""
        for message in reversed(self.sent[chat_id]):
            markup = message.get("reply_markup") or {}
            if "inline_keyboard" in markup:
                return [(b["text"], b.get("callback_data", "")) for row in markup["inline_keyboard"] for b in row]
        return []

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name.lower() == method.lower())


@contextlib.asynccontextmanager
async def pushes_through(app: Any, *, per_chat: int, overall: int) -> Any:
    """The app's Telegram pushes delivered to a fake Bot API enforcing these limits (messages per second), paced
    by the service at the same rates; yields the fake, whose ``sent`` holds what each chat received."""
    from bot.channels.pacing import Pacer
    from bot.channels.telegram.core import Sender, TelegramChannel
    from bot.channels.telegram.runtime import make_api

    fake = FakeTelegram(limits=WebPolicy(per_chat_per_second=per_chat, global_per_second=overall))
    await fake.start()
    api = make_api("aiogram", fake.token, fake.base_url)
    await api.start()
    channel = TelegramChannel(api, app.engine, Sender(api, Pacer(overall, per_chat), app.engine.services.qr.media))
    app.pusher.deliverers["telegram"] = channel.deliver_push
    try:
        yield fake
    finally:
        await api.close()
        await fake.stop()
