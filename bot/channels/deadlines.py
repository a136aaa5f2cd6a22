"""How long a client may take to send a request: an attacker on the same network can open connections and send
them a byte at a time (one held a request half-sent for over 200 s; at the file-descriptor limit every other
client waited).

- **Headers**: a connection that has not sent a whole request within :data:`HEADERS_SECONDS` of opening (or of
  its last answer, kept alive) is closed: aiohttp's keep-alive timer, which it arms from the connection's start.
- **Bodies**: read within :data:`BODY_SECONDS` (a JSON message, a webhook's update) or :data:`UPLOAD_SECONDS` (a
  picture or a file: 20 MB over a slow 3G link), else 408.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

HEADERS_SECONDS = 15.0
BODY_SECONDS = 15.0
UPLOAD_SECONDS = 180.0


def runner(app: web.Application) -> web.AppRunner:
    """A listener's runner: no access log (it would hold addresses and paths), and the headers' deadline."""
    return web.AppRunner(app, access_log=None, keepalive_timeout=HEADERS_SECONDS)


@asynccontextmanager
async def reading_body(seconds: float | None = None) -> AsyncIterator[None]:
    """Read a request's body within ``seconds`` (:data:`BODY_SECONDS`); a client slower than that gets 408 and the
    connection is closed."""
    try:
        async with asyncio.timeout(BODY_SECONDS if seconds is None else seconds):
            yield
    except TimeoutError:
        raise web.HTTPRequestTimeout(text='{"error": "the request body took too long"}',
                                     content_type="application/json", headers={"Connection": "close"}) from None


async def read_body(request: web.Request, limit: int, seconds: float | None = None) -> bytes:
    """The whole body, up to ``limit`` + 1 bytes (more: the caller answers 413), within ``seconds`` (else 408). A
    body arrives in pieces: one ``read`` returns the first piece only, and a JSON cut in two is no JSON."""
    raw = b""
    async with reading_body(seconds):
        while len(raw) <= limit:
            piece = await request.content.read(limit + 1 - len(raw))
            if not piece:
                break
            raw += piece
    return raw
