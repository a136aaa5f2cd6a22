"""Where pictures and files are kept: the data directory (one node, the embedded default) or the database (every
node of a deployment reads what another wrote: a QR link served by node A works on node B).

Both hold named byte strings, with a little metadata where a store gives some; the names are the stores' own
unguessable tokens (``<token>.png``, ``<token>.bin``).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.values.dates import utcnow
from models.tables import Blob, table

BLOB = table(Blob)
# A renewal may lag the last showing by this much (the stores delete with this margin added).
RENEWED_WITHIN = timedelta(days=1)


class Backend(Protocol):
    def read(self, name: str) -> tuple[bytes, dict[str, Any]] | None: ...
    def renew(self, name: str) -> bool: ...
    def write(self, name: str, data: bytes, meta: dict[str, Any] | None = None) -> None: ...
    def delete(self, name: str) -> None: ...
    def delete_older(self, cutoff: datetime) -> int: ...
    def close(self) -> None: ...


def _stamp(path: Path) -> None:
    """The file's modification time set to the service's clock (what its age is counted by)."""
    moment = utcnow().replace(tzinfo=UTC).timestamp()
    os.utime(path, (moment, moment))


class DiskBlobs:
    """Files under one directory (0600 each); metadata, when given, beside them in a small JSON file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def read(self, name: str) -> tuple[bytes, dict[str, Any]] | None:
        path = self.directory / name
        try:
            data = path.read_bytes()
            meta_path = path.with_name(path.name + ".json")
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        except (OSError, ValueError):
            return None
        return data, meta

    def renew(self, name: str) -> bool:
        """Whether it exists; if so, it counts as written now (a blob without metadata ages from its mtime)."""
        try:
            _stamp(self.directory / name)
        except FileNotFoundError:
            return False
        return True

    def write(self, name: str, data: bytes, meta: dict[str, Any] | None = None) -> None:
        path = self.directory / name
        parts = [(path, data)]
        if meta is not None:
            parts.insert(0, (path.with_name(path.name + ".json"),
                             json.dumps({**meta, "created": utcnow().isoformat()}).encode()))
        for target, content in parts:
            # A name of its own per write, then renamed: readers never see half a file; two writers both win.
            temporary = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(temporary, target)
        if meta is None:
            _stamp(path)

    def close(self) -> None:
        pass

    def delete(self, name: str) -> None:
        path = self.directory / name
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".json").unlink(missing_ok=True)

    def delete_older(self, cutoff: datetime) -> int:
        """The blobs written (or renewed) before ``cutoff``, deleted; how many. A blob with metadata ages from the
        time in it, one without (a picture) from its file's modification time."""
        gone = 0
        for path in self.directory.iterdir():
            if path.suffix in (".json", ".tmp") or not path.is_file():
                continue
            meta_path = path.with_name(path.name + ".json")
            try:
                if meta_path.exists():
                    created = datetime.fromisoformat(json.loads(meta_path.read_text())["created"])
                else:
                    created = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
            except (OSError, ValueError, KeyError):
                continue
            if created < cutoff:
                self.delete(path.name)
                gone += 1
        return gone


class DatabaseBlobs:
    """Rows of the ``blob`` table, named ``<kind>/<name>``, through an engine of their own (the pictures' threads
    must not take the conversations' connections)."""

    def __init__(self, engine: Engine, kind: str) -> None:
        self.engine = engine
        self.kind = kind

    def _name(self, name: str) -> str:
        return f"{self.kind}/{name}"

    def read(self, name: str) -> tuple[bytes, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(BLOB.c.data, BLOB.c.meta).where(BLOB.c.name == self._name(name))).first()
        return None if row is None else (bytes(row.data), dict(row.meta or {}))

    def renew(self, name: str) -> bool:
        """Whether it exists, and if so written as of now ("is it drawn yet?" is asked on every QR shown, and a
        picture shown again lives as long as the message showing it). A read, and a write only when the row is
        older than ``RENEWED_WITHIN``: a busy day's QR presses are not each a commit."""
        key = BLOB.c.name == self._name(name)
        with self.engine.connect() as conn:
            written = conn.execute(select(BLOB.c.created_at).where(key)).scalar()
            if written is None:
                return False
            if written < utcnow() - RENEWED_WITHIN:
                conn.execute(update(BLOB).where(key).values(created_at=utcnow()))
                conn.commit()
        return True

    def write(self, name: str, data: bytes, meta: dict[str, Any] | None = None) -> None:
        values = {"data": data, "meta": meta or {}, "created_at": utcnow()}
        key = BLOB.c.name == self._name(name)
        with self.engine.begin() as conn:
            if conn.execute(update(BLOB).where(key).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(insert(BLOB).values(name=self._name(name), **values))
            except IntegrityError:  # another node wrote the same picture a moment ago: theirs is the same
                conn.execute(update(BLOB).where(key).values(**values))

    def close(self) -> None:
        self.engine.dispose()  # the files' store shares this engine: disposing twice is harmless

    def delete(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(BLOB).where(BLOB.c.name == self._name(name)))

    def delete_older(self, cutoff: datetime) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(BLOB).where(BLOB.c.name.startswith(self.kind + "/", autoescape=True),
                                                       BLOB.c.created_at < cutoff)).rowcount)
