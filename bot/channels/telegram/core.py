"""The Telegram channel over either runtime: Bot API updates in, engine replies out through one pacer.

    getUpdates / webhook ──▶ incoming() ──▶ Engine.handle ──▶ merge() ──▶ Sender (pacer, file_id cache,
                                                                           403/429/5xx)
    webhook, one message, no upload ──────────────────────────────────▶ the webhook's HTTP answer
    outbox (a new QR) ─────────────────────────────────────────────────▶ Sender

Choices become inline keyboards whose callback data is the payload (a code, never text, ≤ 64 bytes); the
phone question gets a reply keyboard with the contact button (only the sender's own contact is accepted);
a password message is deleted right after it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from typing import Any

from aiohttp import web

from bot import i18n
from bot.channels.deadlines import reading_body
from bot.channels.merging import merge
from bot.channels.pacing import Pacer, Transient, send_paced
from bot.channels.secrets import header_matches
from bot.channels.telegram import methods
from bot.channels.telegram.api import Button, Keyboard, TelegramApi
from bot.engine import Background, Capabilities, Engine, Incoming, KeyedLocks, Reply, Unavailable
from bot.services.blobs.files import FileStore
from bot.services.blobs.media import MediaStore

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # what getFile serves
CAPABILITIES = Capabilities(buttons=True, request_contact=True, delete_messages=True, photo_upload=True, max_text=4096)
CAPTION_MAX = 1024
CALLBACK_MAX = 64
OTHER_KINDS = ("sticker", "voice", "audio", "video", "video_note", "animation", "location", "venue", "poll", "dice",
               "game")
COMMANDS = ("start", "menu", "quaylai", "huy", "help", "lang")
TYPING_AFTER = 0.3  # seconds without an answer before "typing…" is shown (a QR render, a password hash)


def incoming(update: dict[str, Any]) -> tuple[Incoming, dict[str, Any]] | None:
    """Bot API update → engine event (and the raw message or callback), or None when there is no one to answer
    or the update is malformed (logged without its content, dropped)."""
    try:
        return _incoming(update)
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("a malformed update was dropped")
        return None


def _incoming(update: dict[str, Any]) -> tuple[Incoming, dict[str, Any]] | None:
    key = f"{CHANNEL}:{int(update['update_id'])}"
    callback = update.get("callback_query")
    if callback:
        message = callback.get("message") or {}
        chat = int((message.get("chat") or {}).get("id", callback["from"]["id"]))
        return Incoming(channel=CHANNEL, chat_id=str(chat), user_id=str(int(callback["from"]["id"])),
                        update_key=key, button=str(callback.get("data") or "")[:64]), callback
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None  # edited messages, membership changes …: nothing was asked of us
    chat = int(message["chat"]["id"])  # ids are integers: anything else is a malformed update
    chat_id, sender = str(chat), str(int((message.get("from") or {}).get("id", chat)))

    def event(**content: Any) -> Incoming:
        return Incoming(channel=CHANNEL, chat_id=chat_id, user_id=sender, update_key=key, **content)

    if "text" in message:
        if not isinstance(message["text"], str):
            raise TypeError("text is not a string")
        return event(text=message["text"]), message
    if "contact" in message:
        contact = message["contact"]
        own = str(contact.get("user_id", "")) == sender
        return event(contact_phone=str(contact.get("phone_number", "")), contact_is_own=own), message
    if "photo" in message:
        return event(photo=b""), message  # the picture itself is fetched only by flows that read it
    if isinstance(message.get("document"), dict):
        return event(document=b"", document_name=str(message["document"].get("file_name") or "file")[:200]), message
    return event(other=next((k for k in OTHER_KINDS if k in message), "unknown")), message


def keyboard(reply: Reply) -> Keyboard | None:
    if reply.request_contact:
        return Keyboard(rows=tuple((Button(c.label, c.payload),) for c in reply.choices),
                        contact_label=reply.contact_label or "📱")
    if not reply.choices:
        return None
    for choice in reply.choices:
        if len(choice.payload.encode()) > CALLBACK_MAX:
            raise ValueError(f"callback data over {CALLBACK_MAX} bytes: {choice.payload[:20]}…")
    return Keyboard(rows=tuple((Button(c.label, c.payload),) for c in reply.choices))


class Sender:
    """Every outgoing message: paced, retried, photos uploaded once and then re-sent by ``file_id``."""

    def __init__(self, api: TelegramApi, pacer: Pacer, media: MediaStore, attempts: int = 6,
                 files: FileStore | None = None) -> None:
        self.api = api
        self.pacer = pacer
        self.media = media
        self.files = files
        self.attempts = attempts
        self.file_ids: dict[str, str] = {}
        self.blocked: set[int] = set()
        self._chat_locks = KeyedLocks()

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """True when delivered; False when the user blocked the bot (marked, and skipped from then on).

        One chat's messages go out one at a time, in the order they were handed over."""
        async with self._chat_locks.hold(chat_id):
            return await self._send(chat_id, reply)

    async def _send(self, chat_id: int, reply: Reply) -> bool:
        if chat_id in self.blocked:
            return False
        markup = keyboard(reply)
        if reply.document_key:
            return await self._document(chat_id, reply)
        if reply.image_key:
            caption = reply.text if len(reply.text) <= CAPTION_MAX else None
            if caption is None:
                await self._call(chat_id, lambda: self.api.send_message(chat_id, reply.text[:4096], None))
            return await self._photo(chat_id, reply.image_key, caption, markup)
        chunks = [reply.text[i:i + 4096] for i in range(0, len(reply.text), 4096)] or [""]
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            if not await self._call(chat_id, lambda c=chunk, m=(markup if last else None): self.api.send_message(
                    chat_id, c, m)):
                return False
        return True

    async def _document(self, chat_id: int, reply: Reply) -> bool:
        found = self.files.get(reply.document_key or "", owner_prefix=f"{CHANNEL}:{chat_id}") if self.files else None
        if found is None:
            log.error("a document for a chat is missing from the file store")
            return await self._call(chat_id, lambda: self.api.send_message(chat_id, reply.text[:4096], None))
        caption = reply.text if len(reply.text) <= CAPTION_MAX else None
        if caption is None:
            await self._call(chat_id, lambda: self.api.send_message(chat_id, reply.text[:4096], None))
        return await self._call(chat_id, lambda: self.api.send_document(chat_id, found[0], found[1], caption))

    async def _photo(self, chat_id: int, token: str, caption: str | None, markup: Keyboard | None) -> bool:
        cached = self.file_ids.get(token)
        if cached is not None:
            return await self._call(chat_id, lambda: self.api.send_photo(chat_id, cached, caption, markup))
        png = self.media.get(token)
        if png is None:
            log.error("picture %s missing from the media store", token[:8])
            return await self._call(chat_id, lambda: self.api.send_message(chat_id, caption or "", markup))
        result: list[str] = []

        async def upload() -> None:
            result.append(await self.api.send_photo(chat_id, png, caption, markup))

        delivered = await self._call(chat_id, upload)
        if delivered and result and result[0]:
            self.file_ids[token] = result[0]
        return delivered

    async def _call(self, chat_id: int, action: Any) -> bool:
        if await send_paced(self.pacer, chat_id, action, attempts=self.attempts):
            return True
        self.blocked.add(chat_id)
        log.info("a user blocked the bot; their messages are skipped")
        return False


class TelegramChannel:
    def __init__(self, api: TelegramApi, engine: Engine, sender: Sender) -> None:
        self.api = api
        self.engine = engine
        self.sender = sender
        self._background = Background()

    async def setup_commands(self) -> None:
        for language in (*i18n.LOCALES, None):
            locale = language or i18n.DEFAULT_LOCALE
            commands = [(c, i18n.t(locale, f"telegram.command_{c}")) for c in COMMANDS]
            await self.api.set_commands(commands, language)

    async def handle_update(self, update: dict[str, Any]) -> None:
        """Apply the update, then send the answers (in order, through the pacer)."""
        sending = await self.apply_update(update)
        if sending is not None:
            await sending

    async def apply_update(self, update: dict[str, Any]) -> asyncio.Task[None] | None:
        """Apply the update (committed when this returns) and start sending the answers in the background
        (polling hands updates over without waiting for the answers)."""
        applied = await self._apply(update)
        if applied is None:
            return None
        return self._background.start(self._answer(*applied))

    async def answer_webhook(self, update: dict[str, Any]) -> tuple[dict[str, Any] | None, list[int]]:
        """Apply the update; an answer of one message that needs no upload goes back in the webhook's HTTP
        response (Telegram sends it: no request of ours, no library, no wait); anything else is sent before the
        webhook is answered, so a crash before the 200 makes Telegram deliver the update again. With the database
        unreachable this raises :class:`Unavailable` (answered 503: Telegram redelivers)."""
        applied = await self._apply(update, redeliverable=True)
        if applied is None:
            return None, []
        chat_id, raw, replies, queued = applied
        answer = self._inline(chat_id, replies)
        if answer is None:
            await self._answer(chat_id, raw, replies, queued)
            return None, []
        if replies[0].delete_incoming and "message_id" in raw:
            self._background.start(self._delete(chat_id, int(raw["message_id"])))
        return answer, queued  # marked sent once the answer is written

    async def _apply(self, update: dict[str, Any], *,
                     redeliverable: bool = False) -> tuple[int, dict[str, Any], list[Reply], list[int]] | None:
        parsed = incoming(update)
        if parsed is None:
            return None
        event, raw = parsed
        if event.button is not None:  # stops the button's spinner; never holds the answer up
            self._background.start(self._quietly(self.api.answer_callback(str(raw["id"]))))
        if event.photo is not None:
            await self._fetch_photo(event, raw)
        if event.document is not None:
            await self._fetch_document(event, raw)
        chat_id = int(event.chat_id)
        work = asyncio.ensure_future(self.engine.handle(event, CAPABILITIES))
        done, _ = await asyncio.wait({work}, timeout=TYPING_AFTER)
        if not done:
            with contextlib.suppress(Exception):
                await self.api.send_typing(chat_id)
        outcome = await work
        if outcome.unavailable and redeliverable:
            raise Unavailable()  # the webhook answers 503: Telegram delivers the update again later
        if not outcome.replies:  # a redelivery has none, unless its answers were lost with their process
            return None
        return chat_id, raw, merge(outcome.replies, CAPABILITIES.max_text), outcome.queued

    def _inline(self, chat_id: int, replies: list[Reply]) -> dict[str, Any] | None:
        """The webhook answer for ``replies``, or None when they must be sent by us (several messages, an
        upload, a document, a chat whose pacing says wait)."""
        if len(replies) != 1 or chat_id in self.sender.blocked:
            return None
        reply = replies[0]
        if reply.document_key or len(reply.text) > CAPABILITIES.max_text:
            return None
        file_id = self.sender.file_ids.get(reply.image_key) if reply.image_key else None
        if reply.image_key and (file_id is None or len(reply.text) > CAPTION_MAX):
            return None
        try:
            markup = keyboard(reply)
        except ValueError:
            return None  # the sender logs it
        if not self.sender.pacer.take_now(chat_id):
            return None
        if file_id is not None:
            return methods.send_photo(chat_id, file_id, reply.text, markup)
        return methods.send_message(chat_id, reply.text, markup)

    @staticmethod
    async def _quietly(call: Awaitable[None]) -> None:
        with contextlib.suppress(Exception):
            await call

    async def _delete(self, chat_id: int, message_id: int) -> None:
        # Best effort: the password is never stored anyway.
        await self._quietly(self.api.delete_message(chat_id, message_id))

    async def _fetch_photo(self, event: Incoming, message: dict[str, Any]) -> None:
        """A photo (a QR to verify) is fetched with ``getFile``: the largest size, and the next one for when the
        largest does not decode. A failed download leaves the picture empty ("no QR found"), never a crash."""
        sizes = [s for s in message.get("photo") or [] if isinstance(s, dict) and s.get("file_id")]
        sizes = [s for s in sizes if int(s.get("file_size") or 0) <= MAX_PHOTO_BYTES]
        sizes.sort(key=lambda s: int(s.get("width") or 0) * int(s.get("height") or 0), reverse=True)
        pictures = []
        for size in sizes[:2]:
            try:
                pictures.append(await self.api.download(str(size["file_id"])))
            except Exception:  # the reason may name the file; the chat gets "no QR found"
                log.warning("a photo could not be downloaded")
        if pictures:
            event.photo, event.photo_fallbacks = pictures[0], tuple(pictures[1:])

    async def _fetch_document(self, event: Incoming, message: dict[str, Any]) -> None:
        """A file (a site's records) is fetched with ``getFile``; too large or failed: left empty, and the flow
        says it could not read it."""
        document = message.get("document") or {}
        if not document.get("file_id") or int(document.get("file_size") or 0) > MAX_DOCUMENT_BYTES:
            return
        try:
            event.document = await self.api.download(str(document["file_id"]))
        except Exception:  # the reason may name the file
            log.warning("a document could not be downloaded")

    async def _answer(self, chat_id: int, raw: dict[str, Any], replies: list[Reply], queued: list[int]) -> None:
        try:
            if replies[0].delete_incoming and "message_id" in raw:
                await self._delete(chat_id, int(raw["message_id"]))
            for reply in replies:
                await self.sender.send(chat_id, reply)
        except Exception:
            log.exception("sending an answer on telegram failed; the pusher sends it later")
            await self._quietly(self.engine.replies_unsent(queued))
            return
        await self._quietly(self.engine.replies_sent(queued))

    async def deliver_push(self, chat_id: str, reply: Reply) -> bool:
        """Outbox delivery: True when sent, False for a user who blocked the bot (the pusher counts them)."""
        return await self.sender.send(int(chat_id), reply)

    async def poll(self) -> None:
        """Long polling: updates of one chat are handed over in order; the engine keeps them in order."""
        await self.api.delete_webhook()
        offset = 0
        while True:
            try:
                updates = await self.api.get_updates(offset, timeout=25)
            except Transient:
                await asyncio.sleep(1)
                continue
            for update in updates:
                offset = max(offset, int(update["update_id"]) + 1)
                self._background.start(self._safe(update))

    async def _safe(self, update: dict[str, Any]) -> None:
        try:
            await self.handle_update(update)
        except Exception:
            log.exception("telegram update failed")

    def webhook_route(self, app: web.Application, path: str, secret: str) -> None:
        async def receive(request: web.Request) -> web.Response:
            if not header_matches(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), secret):
                return web.Response(status=401, text="unauthorized")
            try:
                async with reading_body():
                    update = await request.json()
                int(update["update_id"])
            except (ValueError, KeyError, TypeError, RecursionError):
                # Answered 200 and dropped: an error status makes Telegram send it again, forever.
                log.warning("a malformed webhook update was dropped")
                return web.Response(text="ok")
            # Answered after the commit and the replies (a crash before the commit makes Telegram retry).
            answer, queued = await self.answer_webhook(update)
            if answer is None:
                return web.Response(text="ok")
            response = web.Response(body=json.dumps(answer, ensure_ascii=False).encode(),
                                    content_type="application/json")
            await response.prepare(request)
            await response.write_eof()  # handed to Telegram: only now is the answer sent
            await self._quietly(self.engine.replies_sent(queued))
            return response

        app.router.add_post(path, receive)
