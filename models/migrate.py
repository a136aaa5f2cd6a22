"""Apply Alembic migrations programmatically (``sskdt migrate``; ``sskdt run`` does it on start)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine

from models.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Migrate to the newest revision; a database already there is only asked its revision (loading the migration
    scripts costs ~0.15 s, which every start and every test's fresh app would otherwise pay)."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            if current_revision(conn) == head_revision():
                return
    finally:
        engine.dispose()
    command.upgrade(alembic_config(url), "head")


@cache
def head_revision() -> str:
    """The newest migration the code has (read from the scripts once: /readyz asks every few seconds)."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    found = MigrationContext.configure(conn).get_current_revision()
    return None if found is None else str(found)
