"""Logging for operators: plain lines for a person at a terminal, or one JSON object per line
(``SSKDT_LOG_FORMAT=json``) for a log collector, each with the id of the request or update it belongs to.

Log messages never carry personal data (passwords, ID numbers, answers, phone numbers): that is each call
site's rule; this module only adds where a line came from.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id(given: str | None = None) -> str:
    """Take the proxy's ``X-Request-Id`` when it is a plain token (never free text into the logs), else make one;
    it then marks every line logged while the request or update is handled."""
    value = given if given and _SAFE_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    request_id.set(value)
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _WithRequestId(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        return line if rid == "-" else f"{line} [req {rid}]"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Whatever ``sys.stderr`` is when a line is written (a test may have replaced it since)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(level: str, fmt: str = "text") -> None:
    """Our handler on the root logger (replacing one set up before; others, e.g. a test runner's, stay)."""
    handler = _Stderr()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_WithRequestId("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Stderr)] + [handler]
    root.setLevel(level.upper())
    # httpx (python-telegram-bot's client) logs every request URL, and a Bot API URL contains the token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
