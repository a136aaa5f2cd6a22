"""Files the bot hands to one chat (an export, an import's report): kept an hour under an unguessable name,
readable only by the conversation they were made for, then deleted. In the data directory on one node, in the
database when several nodes serve one deployment (``backends``)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

from bot.services.blobs.backends import Backend, DiskBlobs
from bot.services.values.dates import utcnow

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
LIFETIME = timedelta(hours=1)


class FileStore:
    def __init__(self, where: Path | Backend, lifetime: timedelta = LIFETIME) -> None:
        self.backend: Backend = DiskBlobs(where) if isinstance(where, Path) else where
        self.lifetime = lifetime

    def put(self, data: bytes, name: str, owner: str) -> str:
        """Keep ``data`` for the conversation ``owner`` ("web:<chat id>"); returns the file's token."""
        token = secrets.token_urlsafe(32)
        self.backend.write(f"{token}.bin", data, {"name": name[:200], "owner": owner,
                                                  "until": (utcnow() + self.lifetime).isoformat()})
        return token

    def get(self, token: str, *, owner_prefix: str) -> tuple[bytes, str, str] | None:
        """(data, file name, owner) when the token names a live file whose owner starts with ``owner_prefix``
        (a chat's whole key, or a channel's "zalo:")."""
        if not TOKEN.fullmatch(token):
            return None
        found = self.backend.read(f"{token}.bin")
        if found is None:
            return None
        data, meta = found
        try:
            if utcnow().isoformat() > str(meta["until"]) or not str(meta["owner"]).startswith(owner_prefix):
                return None
            return data, str(meta["name"]), str(meta["owner"])
        except KeyError:
            return None

    def expire(self) -> int:
        """Delete the files past their lifetime; returns how many."""
        return self.backend.delete_older(utcnow() - self.lifetime)
