"""Sending an SMS: an HTTP gateway (``SSKDT_SMS_URL``, ``SSKDT_SMS_TOKEN``; JSON ``{to, text}``), or, in
development, the console (``make run`` prints the code)."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

log = logging.getLogger("sskdt.sms")


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None: ...


class HttpSms:
    def __init__(self, url: str, token: str, *, timeout: float = 10) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, to: str, text: str) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps({"to": to, "text": text}, ensure_ascii=False).encode(), method="POST",
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {self.token}"}
                                                              if self.token else {})},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # raises on 4xx/5xx
            response.read()


class ConsoleSms:
    """Development only: the message is printed where the developer runs ``make run`` (never in production)."""

    def send(self, to: str, text: str) -> None:
        print(f"[SMS to {to}] {text}", flush=True)
