"""Web chat over aiohttp.

    POST /api/chats/{chat_id}/messages   {"text": …} | {"button": payload} | {"contact": {"phone": …}}
                                         | multipart with a "photo" file; optional "client_id" de-duplicates
                                         → {"replies": [{"id", "text", "choices", "image_url",
                                                         "secret_prompt", "request_contact"}]}
    GET  /api/chats/{chat_id}/messages?after={id}  → {"messages": [...]} (every bot message after id)

The chat id is the only key to a conversation, so it must be long and random (the page makes a UUID).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot import i18n
from bot.channels.checkpoint import server as checkpoint
from bot.channels.deadlines import UPLOAD_SECONDS, read_body, reading_body
from bot.channels.downloads import file_response
from bot.channels.webchat.transcript import CHANNEL, as_json
from bot.engine import Capabilities, Engine, Incoming, Reply, TokenBuckets, Unavailable, retry_after
from bot.services.blobs.media import TOKEN, MediaStore

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(buttons=True, request_contact=False, delete_messages=True, photo_upload=True, max_text=4096)
CHAT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_TEXT = 20_000
MAX_PHOTO = 10 * 1024 * 1024
MAX_JSON = 64 * 1024
# No inline script or style anywhere: what the page runs and shows comes from this server only.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
@dataclass(frozen=True, slots=True)
class PageInfo:
    """What the page's header says: the service's name (empty: the catalog's) and its hotline."""

    service_name: str = ""
    hotline: str = ""


ENGINE_KEY = web.AppKey("engine", Engine)
MEDIA_KEY = web.AppKey("media", MediaStore)
TRUST_KEY = web.AppKey("trust", dict)
PAGE_KEY = web.AppKey("page", PageInfo)


@dataclass(frozen=True, slots=True)
class WebPolicy:
    """Requests a second (and bursts) per client address and per chat; the proxies whose X-Forwarded-For is
    believed (behind a reverse proxy every request comes from it); whether cookies are Secure."""

    per_address: float = 20
    address_burst: float = 60
    per_chat: float = 5
    chat_burst: float = 20
    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: bool = False  # production: the cookie only ever travels over HTTPS


POLICY_KEY = web.AppKey("policy", WebPolicy)
BUCKETS_KEY = web.AppKey("buckets", dict)


def client_address(request: web.Request) -> str:
    remote = request.remote or "-"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and remote in request.app[POLICY_KEY].trusted_proxies:
        return forwarded.split(",")[-1].strip()[:64] or remote  # the hop the proxy itself saw
    return remote


# Every route that reads or writes the database (the page and its static files are served from memory): the
# checkpoint's one-time links, its list and counts, the expiring pictures, as much as the chat's API.
LIMITED = ("/api/", "/kiemtra/mo/", "/kiemtra/data.json", "/kiemtra/counts", "/media/")


@web.middleware
async def _rate_limits(request: web.Request, handler: Any) -> web.StreamResponse:
    """429 with Retry-After beyond the address's or the chat's rate, before any work is done."""
    if request.path.startswith(LIMITED):
        buckets = request.app[BUCKETS_KEY]
        waits = [buckets["address"].take(client_address(request))]
        chat = request.match_info.get("chat_id")
        if chat:
            waits.append(buckets["chat"].take(chat))
        wait = max(waits)
        if wait:
            raise web.HTTPTooManyRequests(
                text=json.dumps({"error": "too many requests"}), content_type="application/json",
                headers={"Retry-After": str(retry_after(wait))},
            )
    response: web.StreamResponse = await handler(request)
    return response


RETRY_LATER = "5"  # seconds a client (or a messenger) is asked to wait while the database is unreachable


@web.middleware
async def _database_down(request: web.Request, handler: Any) -> web.StreamResponse:
    """503 with Retry-After while the database cannot be reached (never a 500): the web page tries again, a
    messenger redelivers its webhook."""
    try:
        response: web.StreamResponse = await handler(request)
    except Unavailable:
        busy = Reply(i18n.t(i18n.DEFAULT_LOCALE, "common.busy"))  # shown in the chat like an answer
        return web.json_response({"error": "busy", "replies": [as_json(busy)]}, status=503,
                                 headers={"Retry-After": RETRY_LATER}, dumps=partial(json.dumps, ensure_ascii=False))
    return response


COOKIE = "sskdt_session"


def _not_found() -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": "no such chat"}), content_type="application/json")


async def _chat_id(request: web.Request) -> str:
    """The chat in the path, if the session cookie opens it; a 404 otherwise, whoever asks (nothing tells
    whether the chat exists)."""
    chat_id = request.match_info["chat_id"]
    if not CHAT_ID.fullmatch(chat_id):
        raise web.HTTPBadRequest(text=json.dumps({"error": "chat_id must be 8–64 letters, digits, - or _"}),
                                 content_type="application/json")
    token = request.cookies.get(COOKIE)
    owned = await request.app[ENGINE_KEY].sessions.chat_of(token) if token else None
    if owned is None or not secrets.compare_digest(owned, chat_id):
        raise _not_found()
    return chat_id


def _set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    secure = (request.app[POLICY_KEY].secure_cookies or request.secure
              or request.headers.get("X-Forwarded-Proto", "") == "https")
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=secure, path="/api/",
                        max_age=30 * 24 * 3600)


async def open_session(request: web.Request) -> web.Response:
    """The page's first call: the chat of the session the cookie carries, or a new session."""
    sessions = request.app[ENGINE_KEY].sessions
    token = request.cookies.get(COOKIE)
    chat_id = await sessions.chat_of(token) if token else None
    response = web.json_response({"chat_id": chat_id})
    if chat_id is None:
        token, chat_id = await sessions.create()
        response = web.json_response({"chat_id": chat_id})
        _set_cookie(request, response, token)
    return response


def _too_large() -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(MAX_JSON, MAX_JSON + 1, text=json.dumps({"error": "body too large"}),
                                         content_type="application/json")


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def _multipart(request: web.Request, fields: dict[str, Any]) -> str | None:
    """A picture or a file, and the client id, from a multipart body (into ``fields``); returns the client id."""
    client_id: str | None = None
    reader = await request.multipart()
    async for part in reader:
        name = getattr(part, "name", None)
        if name in ("photo", "document"):
            data = await part.read()  # type: ignore[union-attr]
            if len(data) > MAX_PHOTO:
                raise _bad(f"{name} too large")
            fields[name] = bytes(data)
            if name == "document":
                fields["document_name"] = str(getattr(part, "filename", None) or "file")[:200]
        elif name == "client_id":
            client_id = (await part.text())[:64]  # type: ignore[union-attr]
    return client_id


async def _incoming(request: web.Request, chat_id: str) -> Incoming:
    client_id: str | None = None
    fields: dict[str, Any] = {}
    if request.content_type.startswith("multipart/"):
        try:
            async with reading_body(UPLOAD_SECONDS):
                client_id = await _multipart(request, fields)
        except (ValueError, UnicodeDecodeError, AssertionError, HttpProcessingError) as exc:
            # no boundary, a part's headers broken or cut short, a text part not in UTF-8
            raise _bad("malformed multipart body") from exc
        if "photo" not in fields and "document" not in fields:
            raise _bad("multipart needs a 'photo' or a 'document' part")
    else:
        # JSON only: a cross-site form or text/plain POST (no CORS preflight) is refused, not processed.
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text=json.dumps({"error": "send application/json"}),
                                               content_type="application/json")
        if (request.content_length or 0) > MAX_JSON:
            raise _too_large()
        raw = await read_body(request, MAX_JSON)
        if len(raw) > MAX_JSON:
            raise _too_large()
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, or nested past any reason
            raise _bad("body must be JSON") from exc
        if not isinstance(body, dict):
            raise _bad("body must be a JSON object")
        if body.get("client_id") is not None and not isinstance(body["client_id"], str):
            raise _bad("client_id must be a string")
        client_id = body["client_id"][:64] if body.get("client_id") else None
        if isinstance(body.get("text"), str):
            fields["text"] = body["text"][:MAX_TEXT]
        elif isinstance(body.get("button"), str):
            fields["button"] = body["button"][:200]
        elif isinstance(body.get("contact"), dict) and isinstance(body["contact"].get("phone"), str):
            # A web client cannot prove whose number it is: it counts as the number typed (an SMS code follows).
            fields["text"] = body["contact"]["phone"][:40]
        else:
            raise _bad("send one of: text, button, contact.phone, or a multipart photo")
        if isinstance(body.get("label"), str):  # a button's label, as the page showed it (kept for a reload)
            fields["shown"] = body["label"][:200]
    key = f"{CHANNEL}:{chat_id}:{client_id or uuid.uuid4().hex}"
    # The address is the source a password throttle counts: a new session from the same place is no new start.
    return Incoming(channel=CHANNEL, chat_id=chat_id, user_id=chat_id, update_key=key,
                    source=f"ip:{client_address(request)}", **fields)


async def post_message(request: web.Request) -> web.Response:
    chat_id = await _chat_id(request)
    incoming = await _incoming(request, chat_id)
    engine = request.app[ENGINE_KEY]
    outcome = await engine.handle(incoming, CAPABILITIES)
    if outcome.unavailable:  # "Hệ thống đang bận…": shown, and nothing was kept (the message may be sent again)
        raise Unavailable()
    body: dict[str, Any] = {"replies": [as_json(r) for r in outcome.replies], "duplicate": outcome.duplicate}
    token = request.cookies[COOKIE]
    new_token = None
    if outcome.session == "login":  # a new token: a cookie seen before the log-in opens nothing now
        new_token = await engine.sessions.after_login(token)
    elif outcome.session == "logout":  # a new chat: what was shown before is gone
        new_token, body["chat_id"] = await engine.sessions.after_logout(token, CHANNEL)
    response = web.json_response(body, dumps=partial(json.dumps, ensure_ascii=False))
    if new_token is not None:
        _set_cookie(request, response, new_token)
    return response


async def get_file(request: web.Request) -> web.Response:
    """A file made for this session's chat (an export, a report): anyone else gets a 404."""
    token = request.cookies.get(COOKIE)
    chat_id = await request.app[ENGINE_KEY].sessions.chat_of(token) if token else None
    store = request.app[ENGINE_KEY].services.files
    found = store.get(request.match_info["token"], owner_prefix=f"{CHANNEL}:{chat_id}") if chat_id and store else None
    if found is None or found[2] != f"{CHANNEL}:{chat_id}":
        raise _not_found()
    return file_response(found[0], found[1])


async def get_messages(request: web.Request) -> web.Response:
    chat_id = await _chat_id(request)
    text = request.query.get("after", "0")
    if not (text.isascii() and text.isdigit()) or len(text) > 18:  # 0 ≤ after < 10^18 fits every database
        raise _bad("after must be a whole number")
    after = int(text)
    rows = await request.app[ENGINE_KEY].messages_after(CHANNEL, chat_id, after)
    return web.json_response(
        {"messages": [_current_links(dict(payload, id=message_id)) for message_id, payload in rows]},
        dumps=partial(json.dumps, ensure_ascii=False),
    )


def _current_links(message: dict[str, Any]) -> dict[str, Any]:
    """A message kept before pictures moved under /api/ (where the cookie goes) points there now."""
    url = message.get("image_url")
    if isinstance(url, str) and url.startswith("/media/"):
        message["image_url"] = "/api" + url
    return message


PAGE_WORDS = ("title", "placeholder", "send", "start", "secret_placeholder", "hidden", "hotline_label", "attach",
              "ended", "restart")


def _words(locale: str, info: PageInfo) -> dict[str, str]:
    return {**{key: i18n.t(locale, f"web.{key}") for key in PAGE_WORDS},
            "privacy_link": i18n.t(locale, "privacy.link"),
            "service_name": info.service_name or i18n.t(locale, "web.title")}


def _page(locale: str, info: PageInfo) -> str:
    """The page in ``locale``, with every language's words beside it: when the chat changes language (a first
    message in English, "Ngôn ngữ"), the header, the field and the button follow without a reload."""
    template = files("bot.channels.webchat").joinpath("static/index.html").read_text(encoding="utf-8")
    words = _words(locale, info)
    hotline = info.hotline or i18n.t(locale, "web.hotline_default")
    every = json.dumps({code: _words(code, info) for code in i18n.LOCALES}, ensure_ascii=False)
    # Inside <script>: "<" escaped, so that no text (a service name) can close the element.
    template = template.replace("{{words}}", every.replace("<", "\\u003c"))
    values = {**words, "hotline": hotline, "hotline_tel": "".join(ch for ch in hotline if ch.isdigit() or ch == "+"),
              "lang": locale}
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", html.escape(value))
    return template


async def index(request: web.Request) -> web.Response:
    locale = request.query.get("lang", i18n.DEFAULT_LOCALE)
    locale = locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    return web.Response(text=_page(locale, request.app[PAGE_KEY]), content_type="text/html", charset="utf-8")


async def media(request: web.Request) -> web.Response:
    """A QR picture, only to the session whose chat was shown it (the cookie's chat has it in its transcript):
    its link alone opens nothing. A messenger that fetches pictures by URL gets a signed link that expires."""
    token = request.match_info["token"]
    cookie = request.cookies.get(COOKIE)
    engine = request.app[ENGINE_KEY]
    chat_id = await engine.sessions.chat_of(cookie) if cookie else None
    # "/media/<token>.png" is in the link of a message shown since pictures moved under /api/, and before.
    store = request.app[MEDIA_KEY]
    shown = TOKEN.fullmatch(token) is not None and chat_id is not None and await engine.shown(  # its shape first
        CHANNEL, chat_id, f"/media/{token}.png")
    # Off the event loop: on several nodes the picture is a database row.
    data = await asyncio.get_running_loop().run_in_executor(None, store.get, token) if shown else None
    if data is None:
        raise web.HTTPNotFound()
    return web.Response(body=data, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


async def expiring_media(request: web.Request) -> web.Response:
    """A picture a messenger fetches by URL (Zalo): the link names no one and stops working at its deadline."""
    data = await asyncio.get_running_loop().run_in_executor(None, request.app[MEDIA_KEY].get_expiring,
                                                            request.match_info["name"])
    if data is None:
        raise web.HTTPNotFound()
    return web.Response(body=data, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


async def trust_list(request: web.Request) -> web.Response:
    return web.json_response(request.app[TRUST_KEY])


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer, errors included: the security headers, no version banner, and the API's answers (one
    person's conversation) never kept by a browser or a proxy."""
    for name, value in SECURITY_HEADERS.items():  # a page with a policy of its own keeps it
        response.headers.setdefault(name, value)
    response.headers["Server"] = "sskdt"
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"


async def privacy(request: web.Request) -> web.Response:
    """The privacy notice (Decree 13/2023): what is collected, why, who sees it, how long, the person's rights."""
    locale = request.query.get("lang", i18n.DEFAULT_LOCALE)
    locale = locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in i18n.t(locale, "privacy.notice").split("\n\n"))
    title = html.escape(i18n.t(locale, "privacy.title"))
    page = (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{title}</title><link rel="stylesheet" '
            f'href="/static/chat.css"></head><body class="notice"><main>{paragraphs}<p><a href="/">←</a></p>'
            "</main></body></html>")
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def chat_js(_request: web.Request) -> web.Response:
    return web.Response(text=_static("chat.js"), content_type="text/javascript", charset="utf-8")


async def chat_css(_request: web.Request) -> web.Response:
    return web.Response(text=_static("chat.css"), content_type="text/css", charset="utf-8")


def _static(name: str) -> str:
    return files("bot.channels.webchat").joinpath(f"static/{name}").read_text(encoding="utf-8")


def web_limits(app: web.Application) -> list[TokenBuckets]:
    """The API's limits per address and per chat, for the workers to share (bot/peers.py)."""
    return list(app[BUCKETS_KEY].values())


def create_web_app(
    engine: Engine, media_store: MediaStore, trusted: dict[str, Any], page: PageInfo | None = None,
    policy: WebPolicy | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_PHOTO + 64 * 1024, middlewares=[_database_down, _rate_limits])
    policy = policy or WebPolicy()
    app[POLICY_KEY] = policy
    app[BUCKETS_KEY] = {"address": TokenBuckets(policy.per_address, policy.address_burst),
                        "chat": TokenBuckets(policy.per_chat, policy.chat_burst)}
    app.on_response_prepare.append(_headers)
    app[PAGE_KEY] = page or PageInfo()
    app[ENGINE_KEY] = engine
    app[MEDIA_KEY] = media_store
    app[TRUST_KEY] = trusted
    app.router.add_get("/api/media/{token}.png", media)
    app.router.add_get("/media/x/{name}.png", expiring_media)
    app.router.add_get("/.well-known/sskdt/trust-list.json", trust_list)
    app.router.add_get("/", index)
    app.router.add_get("/privacy", privacy)
    app.router.add_get("/static/chat.js", chat_js)
    app.router.add_get("/static/chat.css", chat_css)
    app.router.add_post("/api/sessions", open_session)
    app.router.add_post("/api/chats/{chat_id}/messages", post_message)
    app.router.add_get("/api/chats/{chat_id}/messages", get_messages)
    app.router.add_get("/api/files/{token}", get_file)
    checkpoint.add_routes(app, engine)
    return app
