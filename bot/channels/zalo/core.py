"""The Zalo channel: Bot API events in, engine replies out through one pacer.

    getUpdates (one at a time) / webhook ──▶ incoming() ──▶ (in order per chat) Engine.handle
                                                            ──▶ Sender: numbered menus, split texts, photos by URL
    outbox (a new QR, a notice) ─────────────────────────────▶ Sender
    password questions ──▶ a one-time link to /s/<token> (bot.channels.secret_page) ──▶ answers back here

Zalo has no buttons, cannot delete a message and takes pictures only by URL: choices are numbered (the engine
reads "1", the label or an everyday word), passwords are typed on our page, and a QR is sent as an expiring
link to our media route. Events carry no update id: ``message_id`` de-duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from aiohttp import web

from bot import i18n
from bot.channels.deadlines import reading_body
from bot.channels.merging import merge
from bot.channels.pacing import Pacer, RetryAfter, Transient, send_paced
from bot.channels.secrets import header_matches
from bot.channels.zalo.api import ZaloApi, ZaloError
from bot.channels.zalo.text import LIMIT, messages
from bot.engine import Background, Capabilities, Engine, Incoming, KeyedLocks, Reply, Unavailable
from bot.services.blobs.media import MediaStore

log = logging.getLogger(__name__)

CHANNEL = "zalo"
MESSENGER = "Zalo"
CAPABILITIES = Capabilities(buttons=False, request_contact=False, delete_messages=False, photo_upload=False,
                            max_text=LIMIT, documents=False)
MEDIA_LIFETIME = timedelta(hours=1)  # long enough for Zalo to fetch the picture; nothing personal in the URL
TYPING_AFTER = 0.3
MAX_WEBHOOK_BODY = 64 * 1024
OTHER_EVENTS = {"message.sticker.received": "sticker", "message.voice.received": "voice",
                "message.unsupported.received": "unknown"}


class Malformed(ValueError):
    """An event that does not have the documented shape."""


def incoming(body: Any) -> tuple[Incoming, dict[str, Any]] | None:
    """A Zalo event (as getUpdates returns it, or a webhook body wrapping it in ``result``) → engine event and
    the raw message; None when no one needs an answer (a bot, a group). Raises :class:`Malformed`."""
    try:
        return _incoming(body)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise Malformed("malformed zalo event") from error


def _incoming(body: Any) -> tuple[Incoming, dict[str, Any]] | None:
    update = body["result"] if "event_name" not in body and isinstance(body.get("result"), dict) else body
    name = update["event_name"]
    message = update["message"]
    chat = message["chat"]
    chat_id, message_id = chat["id"], message["message_id"]
    if not isinstance(chat_id, str | int) or not isinstance(message_id, str | int) or not isinstance(name, str):
        raise TypeError("ids must be strings")
    chat_id, message_id = str(chat_id), str(message_id)
    if not chat_id or len(chat_id) > 64 or not message_id or len(message_id) > 128:
        raise ValueError("bad ids")
    sender = message.get("from") or {}
    if sender.get("is_bot"):
        return None
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return Incoming(channel=CHANNEL, chat_id=chat_id, user_id="", update_key="", other="group"), message

    def event(**content: Any) -> Incoming:
        return Incoming(channel=CHANNEL, chat_id=chat_id, user_id=str(sender.get("id") or chat_id),
                        update_key=f"{CHANNEL}:{message_id}", **content)

    if name == "message.text.received":
        if not isinstance(message["text"], str):
            raise TypeError("text is not a string")
        return event(text=message["text"][:20_000]), message
    if name == "message.image.received":
        if not isinstance(message.get("photo"), str):
            raise TypeError("photo is not a URL")
        return event(photo=b""), message  # fetched only when a flow reads pictures
    return event(other=OTHER_EVENTS.get(name, "unknown")), message


class Sender:
    """Every outgoing Zalo message: paced, retried, one chat's messages in order, pictures as expiring links."""

    def __init__(self, api: ZaloApi, pacer: Pacer, media: MediaStore, public_url: str, attempts: int = 6) -> None:
        self.api = api
        self.pacer = pacer
        self.media = media
        self.public_url = public_url.rstrip("/")
        self.attempts = attempts
        self.blocked: set[str] = set()
        self._chat_locks = KeyedLocks()

    async def send(self, chat_id: str, reply: Reply) -> bool:
        """True when delivered; False when the user blocked the bot (skipped from then on) or the platform
        refused the message for good."""
        async with self._chat_locks.hold(chat_id):
            return await self._send(chat_id, reply)

    async def _send(self, chat_id: str, reply: Reply) -> bool:
        if chat_id in self.blocked:
            return False
        if reply.document_key:  # no files on Zalo: a link to ours, unguessable, for an hour
            reply = replace(reply, text=f"{reply.text}\n\n📎 {reply.document_name}: "
                                        f"{self.public_url}/files/z/{reply.document_key}")
        texts = messages(reply)
        photo = self.photo_url(reply.image_key) if reply.image_key else None
        caption = ""
        if photo is not None and len(texts) == 1:
            caption, texts = texts[0], []
        for text in texts:
            if not await self._call(chat_id, partial(self.api.send_message, chat_id, text)):
                return False
        if photo is not None:
            return await self._call(chat_id, partial(self.api.send_photo, chat_id, photo, caption))
        return True

    def photo_url(self, token: str) -> str | None:
        if self.media.get(token) is None:
            log.error("picture %s missing from the media store", token[:8])
            return None
        return f"{self.public_url}/media/x/{self.media.expiring_name(token, MEDIA_LIFETIME)}.png"

    async def _call(self, chat_id: str, action: Callable[[], Awaitable[object]]) -> bool:
        try:
            if await send_paced(self.pacer, chat_id, action, attempts=self.attempts):
                return True
        except ZaloError as refused:  # not retried; a push counts as failed, an answer is logged
            log.warning("zalo refused a message (error %d)", refused.code)
            raise
        self.blocked.add(chat_id)
        log.info("a Zalo user blocked the bot; their messages are skipped")
        return False


class ZaloChannel:
    def __init__(self, api: ZaloApi, engine: Engine, sender: Sender) -> None:
        self.api = api
        self.engine = engine
        self.sender = sender
        self._background = Background()
        self._order = KeyedLocks()
        self._groups_told: set[str] = set()

    async def apply(self, body: Any, *, redeliverable: bool = False) -> asyncio.Task[None] | None:
        """Apply one event (committed when this returns) and start sending the answers in the background.
        Events of one chat are applied in the order they arrived; a repeated ``message_id`` is applied once.
        With the database unreachable, a ``redeliverable`` event (a webhook's) raises :class:`Unavailable`
        (answered 503, delivered again later); a polled one is answered "Hệ thống đang bận"."""
        parsed = incoming(body)
        if parsed is None:
            return None
        event, raw = parsed
        if event.other == "group":
            return self._background.start(self._tell_group(event.chat_id))
        async with self._order.hold(event.chat_id):
            if event.photo is not None:
                await self._fetch_photo(event, raw)
            work = asyncio.ensure_future(self.engine.handle(event, CAPABILITIES))
            done, _ = await asyncio.wait({work}, timeout=TYPING_AFTER)
            if not done:
                with contextlib.suppress(Exception):
                    await self.api.send_typing(event.chat_id)
            outcome = await work
        if outcome.unavailable and redeliverable:
            raise Unavailable()
        if not outcome.replies:  # a redelivery has none, unless its answers were lost with their process
            return None
        return self._background.start(self.deliver(event.chat_id, outcome.replies, outcome.queued))

    async def deliver(self, chat_id: str, replies: list[Reply], queued: Sequence[int] = ()) -> None:
        """Send an event's answers in order (also the answers to a password typed on the page); once they are
        out, their outbox rows are marked sent (a process that dies first leaves them to the pusher)."""
        try:
            for reply in merge(replies, CAPABILITIES.max_text):  # one chat gets one message a second
                await self.sender.send(chat_id, reply)
        except Exception:
            log.exception("sending an answer on zalo failed; the pusher sends it later")
            with contextlib.suppress(Exception):
                await self.engine.replies_unsent(list(queued))
            return
        await self.engine.replies_sent(list(queued))

    def hand_over(self, chat_id: str, replies: list[Reply], queued: Sequence[int] = ()) -> asyncio.Task[None]:
        """Answers made elsewhere (a password typed on the page) go out in the background, in order."""
        return self._background.start(self.deliver(chat_id, replies, queued))

    async def idle(self) -> None:
        """Wait until every event taken and every answer handed over has been dealt with."""
        while pending := self._background.pending():
            await asyncio.gather(*pending, return_exceptions=True)

    async def deliver_push(self, chat_id: str, reply: Reply) -> bool:
        """Outbox delivery: True when sent, False for a user who blocked the bot (the pusher counts them)."""
        return await self.sender.send(chat_id, reply)

    async def _tell_group(self, chat_id: str) -> None:
        """Personal data never goes to a group: said once per group (per process), then silence."""
        if chat_id in self._groups_told or len(self._groups_told) > 10_000:
            return
        self._groups_told.add(chat_id)
        await self.sender.send(chat_id, Reply(i18n.t(i18n.DEFAULT_LOCALE, "zalo.groups")))

    async def _fetch_photo(self, event: Incoming, message: dict[str, Any]) -> None:
        """A picture arrives as a URL; a failed download leaves it empty ("no QR found"), never a crash."""
        try:
            event.photo = await self.api.download(str(message["photo"]))
        except Exception:  # the reason may name the file; the chat gets "no QR found"
            log.warning("a Zalo photo could not be downloaded")

    async def poll(self, timeout: int = 30) -> None:
        """Long polling: Zalo hands over one event per call; each is applied in the background, in order per
        chat. Failures back off from 1 s to a minute."""
        await self.api.delete_webhook()
        backoff = 1.0
        while True:
            try:
                updates = await self.api.get_updates(timeout)
                backoff = 1.0
            except RetryAfter as limit:
                await asyncio.sleep(limit.seconds)
                continue
            except (Transient, ZaloError):
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            for update in updates:
                self._background.start(self._safe(update))

    async def _safe(self, update: dict[str, Any]) -> None:
        try:
            await self.apply(update)
        except Malformed:
            log.warning("a malformed zalo event was dropped")
        except Exception:
            log.exception("zalo event failed")

    def webhook_route(self, app: web.Application, path: str, secret: str) -> None:
        async def receive(request: web.Request) -> web.Response:
            if not header_matches(request.headers.get("X-Bot-Api-Secret-Token", ""), secret):
                return web.Response(status=403, text="forbidden")
            if (request.content_length or 0) > MAX_WEBHOOK_BODY:
                return web.Response(status=413, text="too large")
            try:
                async with reading_body():
                    raw = await request.read()
                body = json.loads(raw)
                await self.apply(body, redeliverable=True)
            except (Malformed, ValueError, RecursionError):
                # Answered 200 and dropped: an error status makes the platform send it again, forever.
                log.warning("a malformed zalo webhook event was dropped")
            return web.Response(text="ok")

        app.router.add_post(path, receive)
