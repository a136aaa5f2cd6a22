"""The Zalo Bot API over HTTP: ``POST {base}/bot{TOKEN}/{method}`` with a JSON body, answered by the envelope
``{ok, result | error_code, description}`` (HTTP 200 alone is not success).

Errors become what the sender acts on: 429 → :class:`RetryAfter`, 403 → :class:`Blocked`, 5xx and network
failures → :class:`Transient`, anything else → :class:`ZaloError` (not retried). No message, exception or log
line carries the URL: it contains the bot's token.
"""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp

from bot.channels.pacing import Blocked, RetryAfter, Transient

DEFAULT_URL = "https://bot-api.zaloplatforms.com"
NO_UPDATE = 408  # getUpdates' "nothing new before the timeout"
MAX_DOWNLOAD = 10 * 1024 * 1024


class ZaloError(Exception):
    """A request the platform refused (bad parameters, unknown chat …): sending it again will not help."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"zalo error {code}: {description[:200]}")
        self.code = code


class ZaloApi:
    def __init__(self, token: str, base_url: str = DEFAULT_URL, *, request_timeout: float = 30) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.request_timeout = request_timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("ZaloApi.start() was not called")
        return self._session

    async def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            async with self.session.post(url, json=payload or {},
                                         timeout=aiohttp.ClientTimeout(total=timeout or self.request_timeout)) as r:
                status = r.status
                body = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise Transient(f"zalo {method}: no answer") from None
        if not isinstance(body, dict):
            raise Transient(f"zalo {method}: HTTP {status}, not an envelope")
        if body.get("ok") is True:
            return body.get("result")
        try:
            code = int(body.get("error_code") or status)
        except (TypeError, ValueError):
            code = status
        description = str(body.get("description") or "")
        if code == 429:
            parameters = body.get("parameters")
            retry = parameters.get("retry_after") if isinstance(parameters, dict) else None
            raise RetryAfter(float(retry) if isinstance(retry, int | float) and retry > 0 else 1.0)
        if code == 403:
            raise Blocked(description[:200])
        if code >= 500:
            raise Transient(f"zalo {method}: error {code}")
        raise ZaloError(code, description)

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_updates(self, timeout: int) -> list[dict[str, Any]]:
        """The next update (Zalo hands over one at a time, with no offset), or none before the timeout."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloError as error:
            if error.code == NO_UPDATE:
                return []
            raise
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) and result else []

    async def send_message(self, chat_id: str, text: str) -> None:
        await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, url: str, caption: str) -> None:
        payload = {"chat_id": chat_id, "photo": url}
        if caption:
            payload["caption"] = caption
        await self.call("sendPhoto", payload)

    async def send_typing(self, chat_id: str) -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        with contextlib.suppress(ZaloError):  # none was set
            await self.call("deleteWebhook")

    async def download(self, url: str) -> bytes:
        """A picture someone sent (Zalo gives its URL): at most 10 MB, http(s) only."""
        if not url.startswith(("https://", "http://")):
            raise ValueError("not an http(s) URL")
        async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            data = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > MAX_DOWNLOAD:
                    raise ValueError("picture too large")
            return bytes(data)


