"""The checkpoint scanner's routes, beside the web chat's (one web server):

    GET  /kiemtra/mo/{token}   a one-time link from the chat: signs this device in (a cookie, 7 days), → /kiemtra
    GET  /kiemtra              the scanner page (the same for everyone: nothing personal; the service worker keeps it)
    GET  /kiemtra/data.json    the trust list and the withdrawn credentials, for a signed-in device (else 401)
    POST /kiemtra/counts       {"counts": {verdict: n}}: how many codes of each verdict, never which (else 401)
    GET  /kiemtra/<static>     the page's script, style, service worker, and the vendored decoder

Verification happens on the device (static/verify.js); nothing scanned is sent here.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from aiohttp import web

from bot import i18n
from bot.engine import Engine

COOKIE = "sskdt_scanner"
ENGINE = web.AppKey("checkpoint_engine", Engine)
MAX_BODY = 4096
STATIC = {
    "scanner.js": "text/javascript", "verify.js": "text/javascript", "scanner.css": "text/css",
    "sw.js": "text/javascript", "vendor/zxing-wasm/zxing-reader.iife.js": "text/javascript",
    "vendor/zxing-wasm/zxing_reader.wasm": "application/wasm",
}
# The page's own policy: WebAssembly compiled from its own file, the camera, a service worker of its own.
POLICY = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
                               "img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; "
                               "worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}
PAGE_WORDS = ("title", "camera", "pick_photo", "data_age", "data_none", "offline", "online", "signed_out", "start",
              "no_camera", "no_code", "next", "born", "doses", "dose_line", "scans", "verdict_valid",
              "verdict_superseded", "verdict_revoked", "verdict_expired", "verdict_unknown_issuer",
              "verdict_development", "verdict_forged", "level_none", "level_partial", "level_complete", "minutes",
              "hours", "days", "just_now")


def _locale(request: web.Request) -> str:
    locale = request.query.get("lang", i18n.DEFAULT_LOCALE)
    return locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE


def _static_bytes(name: str) -> bytes:
    return files("bot.channels.checkpoint").joinpath(f"static/{name}").read_bytes()


async def page(request: web.Request) -> web.Response:
    locale = _locale(request)
    words = {code: {key: i18n.t(code, f"scanner.{key}") for key in PAGE_WORDS} for code in i18n.LOCALES}
    template = _static_bytes("kiemtra.html").decode("utf-8")
    template = template.replace("{{words}}", json.dumps(words, ensure_ascii=False).replace("<", "\\u003c"))
    template = template.replace("{{lang}}", locale).replace("{{title}}", html.escape(i18n.t(locale, "scanner.title")))
    return web.Response(text=template, content_type="text/html", charset="utf-8", headers=POLICY)


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    headers = {**POLICY, "Cache-Control": "no-cache"}  # the service worker keeps its copy; the network says if newer
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/kiemtra"  # the page itself is /kiemtra
    return web.Response(body=_static_bytes(name), content_type=STATIC[name], headers=headers)


async def open_link(request: web.Request) -> web.Response:
    """The one-time link opened on the device: signed in, then the scanner; a used or old link says so."""
    label = request.headers.get("User-Agent", "")[:200]
    token = await request.app[ENGINE].checkpoints.claim(request.match_info["token"][:100], _device_label(label))
    if token is None:
        locale = _locale(request)
        text = html.escape(i18n.t(locale, "scanner.link_used"))
        body = (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/kiemtra/scanner.css">'
                f'</head><body class="notice"><main><p>{text}</p></main></body></html>')
        return web.Response(status=410, text=body, content_type="text/html", charset="utf-8", headers=POLICY)
    response = web.HTTPSeeOther("/kiemtra")
    response.set_cookie(COOKIE, token, max_age=7 * 24 * 3600, httponly=True, samesite="Strict", path="/kiemtra",
                        secure=request.secure or request.headers.get("X-Forwarded-Proto") == "https")
    raise response


def _device_label(user_agent: str) -> str:
    """What the device is, in a few words ("Android · Chrome"), for "/thietbi": never the whole agent string."""
    system = next((name for key, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                          ("Windows", "Windows"), ("Mac OS", "Mac"), ("Linux", "Linux"))
                   if key in user_agent), "")
    browser = next((name for key, name in (("Zalo", "Zalo"), ("Edg/", "Edge"), ("Firefox", "Firefox"),
                                           ("Chrome", "Chrome"), ("Safari", "Safari")) if key in user_agent), "")
    return " · ".join(part for part in (system, browser) if part) or "?"


async def data(request: web.Request) -> web.Response:
    """The scanner's data; ``?since=<the generated_at it kept>`` for only what changed (its service worker merges)."""
    since = None
    if "since" in request.query:
        try:
            since = datetime.fromisoformat(request.query["since"][:40].removesuffix("Z"))
            if since.tzinfo is not None:
                since = since.astimezone(UTC).replace(tzinfo=None)  # overflows at the calendar's ends
        except (ValueError, OverflowError):
            raise web.HTTPBadRequest(text='{"error": "since: the generated_at of a list"}',
                                     content_type="application/json") from None
    found = await request.app[ENGINE].checkpoints.data(request.cookies.get(COOKIE), since)
    if found is None:
        return web.json_response({"error": "signed out"}, status=401, headers={"Cache-Control": "no-store"})
    return web.json_response(found, headers={"Cache-Control": "no-store"})


async def counts(request: web.Request) -> web.Response:
    if (request.content_length or 0) > MAX_BODY or request.content_type != "application/json":
        raise web.HTTPBadRequest(text='{"error": "send a small JSON object"}', content_type="application/json")
    raw = await request.content.read(MAX_BODY + 1)
    try:
        body: Any = json.loads(raw) if len(raw) <= MAX_BODY else None
    except (ValueError, RecursionError):
        body = None
    given = body.get("counts") if isinstance(body, dict) else None
    if not isinstance(given, dict) or not all(isinstance(k, str) and type(v) is int for k, v in given.items()):
        raise web.HTTPBadRequest(text='{"error": "counts: {verdict: whole number}"}', content_type="application/json")
    if not await request.app[ENGINE].checkpoints.report(request.cookies.get(COOKIE), given):
        return web.json_response({"error": "signed out"}, status=401)
    return web.json_response({"ok": True})


def add_routes(app: web.Application, engine: Engine) -> None:
    app[ENGINE] = engine
    app.router.add_get("/kiemtra", page)
    app.router.add_get("/kiemtra/", page)
    app.router.add_get("/kiemtra/mo/{token}", open_link)
    app.router.add_get("/kiemtra/data.json", data)
    app.router.add_post("/kiemtra/counts", counts)
    app.router.add_get("/kiemtra/{name:.+}", static)
