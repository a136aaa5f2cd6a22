"""The one-time page where a password is typed, for chats that cannot delete a message (Zalo).

    chat: "Mật khẩu? … mở liên kết: https://…/s/<token>"      (the engine made the link, bound to that question)
    GET  /s/<token>   the question and a password field           (changes nothing: link previews are harmless)
    POST /s/<token>   password ──▶ Engine.handle(text, secret_token) ──▶ the answers go to the chat
                      ◀── the next password question on the page (a new link), or "go back to the chat"

The link works once, for 10 minutes, for that conversation at that question only (the engine checks all three
in the transaction that applies the password). The page has no script; the password travels in the POST body
and is never logged or stored.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from aiohttp import web

from bot import i18n
from bot.channels.deadlines import read_body
from bot.engine import Capabilities, Engine, Incoming, Reply, TokenBuckets, retry_after, secret_question

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
MAX_BODY = 4096
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class PageChannel:
    """A channel whose passwords are typed here: its name as people know it, its capabilities, and how its
    answers reach the chat."""

    messenger: str
    caps: Capabilities
    # The chat's answers (and their kept outbox rows), sent by the channel in the background.
    hand_over: Callable[[str, list[Reply], list[int]], object]


CHANNELS_KEY: web.AppKey[dict[str, PageChannel]] = web.AppKey("secret_page_channels")
ENGINE_KEY = web.AppKey("secret_page_engine", Engine)
BUCKETS_KEY = web.AppKey("secret_page_buckets", TokenBuckets)
Address = Callable[[web.Request], str]
ADDRESS_KEY: web.AppKey[Address] = web.AppKey("secret_page_address")


def add_routes(app: web.Application, engine: Engine, address: Address) -> None:
    """Serve the page on ``app``; channels register with :func:`register`. ``address`` names the client
    (behind a trusted proxy, the address it saw) for the rate limit: 1 request a second, bursts of 10."""
    app[CHANNELS_KEY] = {}
    app[ENGINE_KEY] = engine
    app[BUCKETS_KEY] = TokenBuckets(rate=1, burst=10)
    app[ADDRESS_KEY] = address
    app.router.add_get("/s/{token}", show)
    app.router.add_post("/s/{token}", submit)


def register(app: web.Application, channel: str, page_channel: PageChannel) -> None:
    app[CHANNELS_KEY][channel] = page_channel


def _refusal(request: web.Request) -> web.Response | None:
    """A malformed token (404) or a client past its rate (429), before any work is done."""
    if not TOKEN.fullmatch(request.match_info["token"]):
        return _gone(request, status=404)
    wait = request.app[BUCKETS_KEY].take(request.app[ADDRESS_KEY](request))
    if wait:
        return _page(request, i18n.DEFAULT_LOCALE, i18n.t(i18n.DEFAULT_LOCALE, "secret_page.busy"), status=429,
                     headers={"Retry-After": str(retry_after(wait))})
    return None


async def show(request: web.Request) -> web.Response:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    token = request.match_info["token"]
    page = await request.app[ENGINE_KEY].secret_page(token)
    channel = request.app[CHANNELS_KEY].get(page.channel) if page else None
    if page is None or channel is None:
        return _gone(request)
    return _form(request, page.locale, token, page.question, channel.messenger, new_password=page.new_password)


async def submit(request: web.Request) -> web.Response:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    token = request.match_info["token"]
    engine = request.app[ENGINE_KEY]
    page = await engine.secret_page(token)
    channel = request.app[CHANNELS_KEY].get(page.channel) if page else None
    if page is None or channel is None:
        return _gone(request)
    password = await _password(request)
    if not password:
        return _form(request, page.locale, token, page.question, channel.messenger,
                     new_password=page.new_password, error=i18n.t(page.locale, "secret_page.empty"), status=400)
    event = Incoming(channel=page.channel, chat_id=page.chat_id, user_id=page.chat_id,
                     update_key=f"{page.channel}:page:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
                     text=password, secret_token=token, source=request.app[ADDRESS_KEY](request))
    outcome = await engine.handle(event, channel.caps)
    if outcome.refused or outcome.duplicate:
        return _gone(request, page.locale, channel.messenger)
    if await engine.secret_page(token) is not None:
        # Not applied (the service was busy, or failed): the same link, with what went wrong.
        error = "\n\n".join(r.text for r in outcome.replies)
        return _form(request, page.locale, token, page.question, channel.messenger,
                     new_password=page.new_password, error=error, status=503)
    channel.hand_over(page.chat_id, outcome.replies, outcome.queued)
    follow_up = outcome.replies[-1] if outcome.replies else None
    if follow_up is not None and follow_up.secret_link:
        # The next password question (type it again, or try again): answered on this page, with its new link.
        return _form(request, page.locale, follow_up.secret_link, secret_question(follow_up), channel.messenger,
                     new_password=page.new_password, status=200)
    return _page(request, page.locale, i18n.t(page.locale, "secret_page.done", messenger=channel.messenger))


async def _password(request: web.Request) -> str:
    """The form's one field, read by hand: only a URL-encoded UTF-8 body of at most 4 KB is a form here (what
    the page's form sends); anything else is answered 4xx, never parsed further."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPUnsupportedMediaType(text="send the page's form")
    raw = await read_body(request, MAX_BODY)
    if len(raw) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=4, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise web.HTTPBadRequest(text="the form must be UTF-8") from None
    return (fields.get("password") or [""])[0]


def _gone(request: web.Request, locale: str = i18n.DEFAULT_LOCALE, messenger: str = "Zalo", *,
          status: int = 410) -> web.Response:
    return _page(request, locale, i18n.t(locale, "secret_page.refused", messenger=messenger), status=status)


def _form(request: web.Request, locale: str, token: str, question: str, messenger: str, *, new_password: bool,
          error: str = "", status: int = 200) -> web.Response:
    def t(key: str, **params: str) -> str:
        return html.escape(i18n.t(locale, key, **params))

    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in question.split("\n\n"))
    problem = "".join(f'<p class="error" role="alert">{html.escape(p)}</p>' for p in error.split("\n\n") if p)
    complete = "new-password" if new_password else "current-password"
    body = (f'{problem}{paragraphs}<form method="post" action="/s/{html.escape(token)}">'
            f'<label for="password">{t("secret_page.field")}</label>'
            f'<input id="password" name="password" type="password" autocomplete="{complete}" required autofocus '
            f'maxlength="1024"><button type="submit">{t("secret_page.submit")}</button></form>'
            f'<p class="fine">{t("secret_page.private", messenger=messenger)}</p>')
    return _response(locale, body, status)


def _page(request: web.Request, locale: str, text: str, *, status: int = 200,
          headers: dict[str, str] | None = None) -> web.Response:
    return _response(locale, f"<p>{html.escape(text)}</p>", status, headers)


def _response(locale: str, body: str, status: int, headers: dict[str, str] | None = None) -> web.Response:
    title = html.escape(i18n.t(locale, "secret_page.title"))
    document = (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
                f'<title>{title}</title><link rel="stylesheet" href="/static/chat.css"></head>'
                f'<body class="notice secret"><main><h1>{title}</h1>{body}</main></body></html>')
    response = web.Response(text=document, content_type="text/html", charset="utf-8", status=status,
                            headers=headers)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response
