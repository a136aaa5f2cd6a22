"""Backups of the database: SQLite's online backup API (a consistent copy while the service runs), and for
PostgreSQL the guidance to use its own tools (pg_dump takes a consistent snapshot; a copy of its files does not).

The signing keys are not in a database backup: they are secret material, kept (and backed up) apart, e.g. in the
province's key store; the pictures are made again from the database when missing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from models.db import is_sqlite, normalise_url


class BackupError(Exception):
    """Said to the operator as it is."""


def pg_dump_guidance(url: str) -> str:
    safe = make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(hide_password=True)
    return ("PostgreSQL is backed up with its own tools, while the service runs:\n"
            f"  pg_dump --format=custom --file=sskdt.dump '{safe}'\n"
            "and restored into an empty database, with the service stopped:\n"
            f"  pg_restore --clean --if-exists --no-owner --dbname='{safe}' sskdt.dump\n"
            "then 'sskdt migrate' (a backup from an older version is brought up to date). The password is read from "
            "~/.pgpass or PGPASSWORD, never written on the command line.")


def _sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("the database is not a file")
    return Path(database)


def backup(url: str, target: Path) -> int:
    """Copy the live SQLite database to ``target`` (readable by the owner only); returns its size in bytes."""
    if not is_sqlite(url):
        raise BackupError(pg_dump_guidance(url))
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file name (a backup is never overwritten)")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data: the owner's alone
    os.close(fd)
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # page by page, consistent, while others keep writing
    finally:
        copy.close()
        source.close()
    return target.stat().st_size


def _check_backup(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            versioned = db.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a backup of this service ({exc})") from exc
    if not (ok and versioned):
        raise BackupError(f"{path} is damaged or not a backup of this service")


def restore(url: str, source: Path, *, force: bool) -> None:
    """Replace the SQLite database with the backup ``source`` (stop the service first)."""
    if not is_sqlite(url):
        raise BackupError(pg_dump_guidance(url))
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    _check_backup(source)
    target_path = _sqlite_path(url)
    if target_path.exists() and not force:
        raise BackupError(f"{target_path} exists: restoring replaces everything in it; stop the service and add "
                          "--force")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = sqlite3.connect(target_path)
    try:
        backup_db.backup(live)
    finally:
        live.close()
        backup_db.close()
    target_path.chmod(0o600)
