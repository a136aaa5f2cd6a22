"""Engine factory: SQLite (WAL, one writer) by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url


def normalise_url(url: str) -> str:
    """Pick our sync drivers: the DB thread owns the connection (see bot/engine/store.py)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+asyncpg"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername in ("sqlite+aiosqlite",):
        u = u.set(drivername="sqlite")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True, **kwargs)
        _configure_sqlite(engine)
        return engine
    # hide_parameters: SQL errors must not carry ID numbers or answers into the logs.
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def cursor(conn: Connection) -> Any:
    """The DB-API cursor of the connection SQLAlchemy holds (same transaction), for per-message statements."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


@contextmanager
def savepoint(conn: Connection, name: str = "sskdt_event") -> Iterator[None]:
    """A SAVEPOINT issued on the DB-API cursor: the per-event boundary inside a group commit.

    SQLAlchemy's begin_nested() compiles two statements per use, which shows on the per-message path."""
    raw = cursor(conn)
    raw.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
        raw.execute(f"RELEASE SAVEPOINT {name}")
        raise
    raw.execute(f"RELEASE SAVEPOINT {name}")
