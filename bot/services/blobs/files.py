"""Files the bot hands to one chat (an export, an import's report): kept an hour under an unguessable name,
readable only by the conversation they were made for, then deleted."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
LIFETIME = timedelta(hours=1)


class FileStore:
    def __init__(self, directory: Path, lifetime: timedelta = LIFETIME) -> None:
        self.directory = directory
        self.lifetime = lifetime
        directory.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes, name: str, owner: str) -> str:
        """Keep ``data`` for the conversation ``owner`` ("web:<chat id>"); returns the file's token."""
        token = secrets.token_urlsafe(32)
        meta = {"name": name[:200], "owner": owner, "created": time.time()}
        for suffix, content in ((".json", json.dumps(meta).encode()), (".bin", data)):
            fd = os.open(self.directory / f"{token}{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
        return token

    def get(self, token: str, *, owner_prefix: str) -> tuple[bytes, str, str] | None:
        """(data, file name, owner) when the token names a live file whose owner starts with ``owner_prefix``
        (a chat's whole key, or a channel's "zalo:")."""
        if not TOKEN.fullmatch(token):
            return None
        try:
            meta = json.loads((self.directory / f"{token}.json").read_text())
            if time.time() - float(meta["created"]) > self.lifetime.total_seconds():
                return None
            if not str(meta["owner"]).startswith(owner_prefix):
                return None
            return (self.directory / f"{token}.bin").read_bytes(), str(meta["name"]), str(meta["owner"])
        except (OSError, ValueError, KeyError):
            return None

    def expire(self) -> int:
        """Delete the files past their lifetime; returns how many."""
        gone = 0
        cutoff = time.time() - self.lifetime.total_seconds()
        for path in self.directory.glob("*.json"):
            try:
                if float(json.loads(path.read_text())["created"]) < cutoff:
                    path.with_suffix(".bin").unlink(missing_ok=True)
                    path.unlink(missing_ok=True)
                    gone += 1
            except (OSError, ValueError, KeyError):
                continue
        return gone
