"""Rendered QR images, cached under an opaque name per credential (rendered once, served many times): in the data
directory on one node, in the database when several nodes serve one deployment (``backends``)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta
from pathlib import Path

from bot.services.blobs.backends import RENEWED_WITHIN, Backend, DiskBlobs
from bot.services.values.dates import now, utcnow

TOKEN = re.compile(r"[0-9a-f]{40}")
EXPIRING = re.compile(r"([0-9a-f]{40})\.([0-9]{1,12})\.([0-9a-f]{32})")


class MediaStore:
    def __init__(self, where: Path | Backend, secret: bytes) -> None:
        self.backend: Backend = DiskBlobs(where) if isinstance(where, Path) else where
        self._secret = secret

    def token(self, key: str) -> str:
        """Unguessable without the secret: knowing a credential id is not enough to fetch its picture."""
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:40]

    @staticmethod
    def _name(token: str) -> str | None:
        return f"{token}.png" if TOKEN.fullmatch(token) else None

    def get(self, token: str) -> bytes | None:
        name = self._name(token)
        found = self.backend.read(name) if name is not None else None
        return None if found is None else found[0]

    def renew(self, token: str) -> bool:
        """Whether the picture is stored; if so it is kept another lifetime from now (it is being shown again)."""
        name = self._name(token)
        return name is not None and self.backend.renew(name)

    def expire(self, lifetime: timedelta) -> int:
        """Pictures neither drawn nor shown for ``lifetime`` (the transcripts' time: no message shows them any
        more), deleted: a QR carries a name and health status, and one asked for again is drawn again from its
        credential. How many."""
        return self.backend.delete_older(utcnow() - lifetime - RENEWED_WITHIN)

    def put(self, token: str, png: bytes) -> None:
        name = self._name(token)
        assert name is not None
        self.backend.write(name, png)  # two chats of one account may render the same credential at once: both win

    def close(self) -> None:
        self.backend.close()

    def remove(self, token: str) -> None:
        name = self._name(token)
        if name is not None:
            self.backend.delete(name)

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
