"""Rendered QR images, cached on disk under an opaque name per credential (rendered once, served many times)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import uuid
from pathlib import Path

TOKEN = re.compile(r"[0-9a-f]{40}")


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
