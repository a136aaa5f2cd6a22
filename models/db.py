"""Engine factory: SQLite (WAL, one writer) by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from models import json_text

log = logging.getLogger(__name__)


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
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True,
                               json_serializer=json_text.dumps, json_deserializer=json_text.loads, **kwargs)
        _configure_sqlite(engine)
    else:
        # hide_parameters: SQL errors must not carry ID numbers or answers into the logs.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, json_serializer=json_text.dumps,
                               json_deserializer=json_text.loads, **kwargs)
        _send_deferred_first(engine)  # SQLite runs them at once: no round trip to save, no listener to pay
    return engine


def _send_deferred_first(engine: Engine) -> None:
    """Statements SQLAlchemy runs (a flow's queries) go after the deferred ones; a transaction's end drops them
    (a COMMIT or ROLLBACK ends every savepoint)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, *_args: Any) -> None:
        if conn.info.get(_DEFERRED):
            flush_deferred(conn)

    @event.listens_for(engine, "commit")
    def _commit(conn: Connection) -> None:
        forget_deferred(conn)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        forget_deferred(conn)


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
    """The DB-API cursor of the connection SQLAlchemy holds (same transaction), after the deferred statements."""
    flush_deferred(conn)
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def time_param(conn: Connection, moment: Any) -> Any:
    """A datetime as a raw statement's parameter: SQLAlchemy's SQLite DateTime is ISO text with a space;
    PostgreSQL takes the datetime itself."""
    return moment if conn.dialect.name == "postgresql" else moment.isoformat(" ")


def date_param(conn: Connection, day: date) -> Any:
    """A date as a raw statement's parameter (SQLite's Date is ISO text)."""
    return day if conn.dialect.name == "postgresql" else day.isoformat()


# What a deployment's schema is called, as a number: deployments sharing one database (staging beside
# production, the test suite beside a benchmark) keep their locks and notification channels apart.
DEPLOYMENT_KEY = "SELECT hashtext(current_schema()) & 2147483647"


def try_advisory_lock(conn: Connection, kind: int) -> bool:
    """PostgreSQL: take this deployment's session-level advisory lock ``kind`` if nobody holds it."""
    statement = text(f"SELECT pg_try_advisory_lock(:kind, ({DEPLOYMENT_KEY}))")
    return bool(conn.execute(statement, {"kind": kind}).scalar())


# Who holds an advisory lock (kind, key) in this database: PostgreSQL ends a dead process's session, and its locks
# with it, so the holders are the live ones.
_HELD = ("FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = {kind}"
         " AND objid::bigint = {key} AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")

# Each running process holds a lock named after its id, so others can tell whether it is still alive.
PROCESS_KIND = 0x53534B4F  # "SSKO"
PROCESS_LOCK = "SELECT pg_advisory_lock(%s, hashtext(%s) & 2147483647)"
_PROCESS_ALIVE = text("SELECT EXISTS (SELECT 1 " + _HELD.format(kind=":kind", key="(hashtext(:process) & 2147483647)")
                      + ")")

# The workers of one deployment (bot/peers.py, on a psycopg connection of its own: %s placeholders): each holds
# the shared lock (PEERS_KIND, deployment), so its holders are the live workers; they tell each other of a
# messenger's pause on the deployment's notification channel.
PEERS_KIND = 0x53534B50  # "SSKP"
PEER_JOIN = "SELECT pg_advisory_lock_shared(%s, %s)"
PEERS_LIVE = "SELECT count(*) " + _HELD.format(kind="%s", key="%s")
NOTIFY = "SELECT pg_notify(%s, %s)"


def pause_channel(deployment: int) -> str:
    """The deployment's notification channel (a plain identifier: digits after a fixed prefix)."""
    return f"sskdt_pause_{int(deployment)}"


def listen_statement(deployment: int) -> str:
    return f"LISTEN {pause_channel(deployment)}"


def process_alive(conn: Connection, process: str) -> bool:
    """Whether the process ``process`` still holds its lock (PostgreSQL); elsewhere no other process runs."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(_PROCESS_ALIVE, {"kind": PROCESS_KIND, "process": process}).scalar())


def ping(conn: Connection) -> None:
    """Raises when the connection (and a session lock it holds) is gone."""
    conn.execute(text("SELECT 1"))


# Statements that need no answer of their own (an event's SAVEPOINT, the RELEASE of the one before) wait here
# and travel with the next statement: on PostgreSQL in the same round trip, so an event costs two round trips
# (its state in, its state out) plus what its flow reads, not six. SQLite runs them at once.
_DEFERRED = "sskdt_deferred"


def _deferred(conn: Connection) -> list[str]:
    pending: list[str] = conn.info.setdefault(_DEFERRED, [])
    return pending


def defer(conn: Connection, statement: str) -> None:
    if conn.dialect.name == "postgresql":
        _deferred(conn).append(statement)
    else:  # in process: nothing to save by waiting
        conn.connection.driver_connection.execute(statement)  # type: ignore[union-attr]


def forget_deferred(conn: Connection) -> None:
    """At COMMIT or ROLLBACK: savepoints end with the transaction, nothing deferred needs sending."""
    if not conn.invalidated:  # a lost connection's list goes with it
        conn.info.pop(_DEFERRED, None)


def flush_deferred(conn: Connection) -> None:
    pending = conn.info.pop(_DEFERRED, None)
    if pending:
        raw = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if conn.dialect.name == "postgresql":
            raw.execute("; ".join(pending))  # no parameters: one simple query, one round trip
        else:
            for statement in pending:
                raw.execute(statement)


def execute(conn: Connection, *statements: tuple[str, Sequence[Any]]) -> list[list[Any] | None]:
    """Run ``statements`` (``?`` placeholders) after whatever is deferred; each one's rows (None for a statement
    that returns none). On PostgreSQL all of it is one round trip."""
    pending = conn.info.pop(_DEFERRED, None) or []
    if conn.dialect.name == "postgresql":
        raw = _client_cursor(conn)
        sql = "; ".join([*pending, *(_percent(statement) for statement, _ in statements)])
        raw.execute(sql, [value for _, params in statements for value in params])
        for _ in pending:  # their results come first
            raw.nextset()
        results: list[list[Any] | None] = []
        last = len(statements) - 1
        for n in range(len(statements)):
            # The result's status, not ``description`` (which builds the column list on every read).
            results.append(raw.fetchall() if raw.pgresult.status == _ROWS else None)
            if n < last:
                raw.nextset()
        return results
    raw = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for statement in pending:
        raw.execute(statement)
    out: list[list[Any] | None] = []
    for statement, params in statements:
        raw.execute(statement, params)
        out.append(raw.fetchall() if raw.description is not None else None)
    return out


def rows(conn: Connection, statement: str, *params: Any) -> list[Any]:
    """The rows of one raw statement (``?`` placeholders) in the connection's transaction.

    For the statements the conversations run on nearly every registration: SQLAlchemy's execution (a context,
    the compiled-cache lookup, bind and result processing) costs ~30-40 µs a statement, SQLite's own work ~5 µs,
    and the database thread is the service's speed. What SQLAlchemy would convert is converted by the caller
    (:func:`time_param`, :func:`stored_time`, :func:`stored_date`, :func:`stored_json`)."""
    return execute(conn, (statement, params))[0] or []


def first(conn: Connection, statement: str, *params: Any) -> Any | None:
    """The first row of :func:`rows`, or None."""
    found = rows(conn, statement, *params)
    return found[0] if found else None


@overload
def stored_time(value: datetime | str) -> datetime: ...
@overload
def stored_time(value: None) -> None: ...
def stored_time(value: datetime | str | None) -> datetime | None:
    """A DateTime column read raw: SQLite keeps it as ISO text, PostgreSQL gives the datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@overload
def stored_date(value: date | str) -> date: ...
@overload
def stored_date(value: None) -> None: ...
def stored_date(value: date | str | None) -> date | None:
    """A Date column read raw (SQLite: ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def stored_json(value: Any) -> Any:
    """A JSON column read raw: SQLite keeps the text, psycopg gives it parsed."""
    return json_text.loads(value) if isinstance(value, str) else value


@functools.cache
def integrity_errors() -> tuple[type[Exception], ...]:
    """What a broken unique or foreign key constraint raises, through SQLAlchemy or a raw statement."""
    import psycopg
    from sqlalchemy.exc import IntegrityError

    return IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError


_CLIENT_CURSOR = "sskdt_client_cursor"
_ROWS = 2  # psycopg.pq.ExecStatus.TUPLES_OK


@functools.lru_cache(maxsize=256)
def _percent(statement: str) -> str:
    """A statement's ``?`` placeholders as psycopg's ``%s``, converted once: our statements are constants, or a
    few shapes by how many rows they insert."""
    return statement.replace("?", "%s")


def _client_cursor(conn: Connection) -> Any:
    """The connection's cursor binding parameters on this side, made once (one query string carries an event's
    statements; measured faster here than pipeline mode with prepared statements)."""
    import psycopg

    driver = conn.connection.driver_connection
    found = conn.info.get(_CLIENT_CURSOR)
    if found is None or found.connection is not driver or found.closed:
        found = conn.info[_CLIENT_CURSOR] = psycopg.ClientCursor(driver)  # type: ignore[arg-type]
    return found


@contextmanager
def savepoint(conn: Connection, name: str = "sskdt_event") -> Iterator[None]:
    """The per-event boundary inside a group commit. SAVEPOINT and RELEASE are deferred to travel with the next
    statement (SQLAlchemy's begin_nested() would compile two statements per use and cost two round trips);
    a failure rolls back to it, if it ever reached the database."""
    opening = f"SAVEPOINT {name}"
    defer(conn, opening)
    try:
        yield
    except BaseException:
        if conn.invalidated:
            raise  # the connection is gone, and the transaction with it
        pending = _deferred(conn)
        if pending and pending[-1] == opening:
            pending.pop()  # nothing of this event reached the database
        else:
            try:
                flush_deferred(conn)
                raw = cursor(conn)
                if conn.dialect.name == "postgresql":  # one round trip (the password steps come back this way)
                    raw.execute(f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}")
                else:
                    raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    raw.execute(f"RELEASE SAVEPOINT {name}")
            except Exception:
                log.warning("rolling back an event failed: its connection is lost")
        raise
    pending = _deferred(conn)
    if pending and pending[-1] == opening:
        pending.pop()  # an event that touched nothing
    else:
        defer(conn, f"RELEASE SAVEPOINT {name}")
