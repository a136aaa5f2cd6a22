"""Rendered QR images, cached on disk under an opaque name per credential (rendered once, served many times)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

from bot.services.values.dates import now

TOKEN = re.compile(r"[0-9a-f]{40}")
EXPIRING = re.compile(r"([0-9a-f]{40})\.([0-9]{1,12})\.([0-9a-f]{32})")


class MediaStore:
    def __init__(self, directory: Path, secret: bytes) -> None:
        self.directory = directory
        self._secret = secret
        directory.mkdir(parents=True, exist_ok=True)

    def token(self, key: str) -> str:
        """Unguessable without the secret: knowing a credential id is not enough to fetch its picture."""
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:40]

    def path(self, token: str) -> Path | None:
        return self.directory / f"{token}.png" if TOKEN.fullmatch(token) else None

    def get(self, token: str) -> bytes | None:
        path = self.path(token)
        return path.read_bytes() if path is not None and path.exists() else None

    def put(self, token: str, png: bytes) -> None:
        path = self.path(token)
        assert path is not None
        # A name of its own per write: two chats of one account may render the same credential at once.
        temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(png)
        os.replace(temporary, path)  # readers never see half a file

    def remove(self, token: str) -> None:
        path = self.path(token)
        if path is not None:
            path.unlink(missing_ok=True)

    def expiring_name(self, token: str, lifetime: timedelta) -> str:
        """A name for the picture that works for ``lifetime`` (for messengers that fetch pictures by URL): the
        token, the deadline and a MAC over both, nothing personal."""
        deadline = int((now() + lifetime).timestamp())
        return f"{token}.{deadline}.{self._mac(token, deadline)}"

    def get_expiring(self, name: str) -> bytes | None:
        """The picture behind an expiring name, if the name is genuine and not past its deadline."""
        match = EXPIRING.fullmatch(name)
        if match is None:
            return None
        token, deadline = match.group(1), int(match.group(2))
        if not hmac.compare_digest(match.group(3), self._mac(token, deadline)):
            return None
        if deadline < now().timestamp():
            return None
        return self.get(token)

    def _mac(self, token: str, deadline: int) -> str:
        return hmac.new(self._secret, f"expiring\x00{token}\x00{deadline}".encode(), hashlib.sha256).hexdigest()[:32]
