"""The database thread: every event's work runs here, in arrival order, with group commit.

Why a thread with a synchronous connection instead of an async driver: aiosqlite hops threads on every
statement (~2.6 ms a transaction through the async ORM, DESIGN §3). Here a whole batch of events hops once:
the thread takes everything queued, runs each event inside its own SAVEPOINT (so one failure undoes only
that event), commits once, and only then resolves the callers' futures, so no reply leaves before its
effects are durable. On PostgreSQL several such threads run, each with its own connection.

With the database unreachable (stopped, restarting, the network down) every waiting event fails at once with
:class:`Unavailable` (nothing applied; channels say "try again" or let the messenger redeliver), and the
next batch connects again: the service recovers by itself.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from models.db import savepoint

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The database could not be reached: the work was not done (nothing of it is stored)."""


def _conflict(exc: BaseException) -> bool:
    """Two workers' batches locked the same chats in opposite orders (or a serialization failure): nothing is
    wrong with the work, it is done again, each event on its own."""
    from psycopg.errors import DeadlockDetected, SerializationFailure

    found = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(found, (DeadlockDetected, SerializationFailure))


def _unreachable(exc: BaseException) -> bool:
    """A lost or refused connection, as opposed to a fault of the work itself."""
    import psycopg

    if isinstance(exc, Unavailable):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig or exc
    if _conflict(exc):
        return False
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return True
    # SQLite: the file cannot be opened or written, or another process holds it past the busy timeout.
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc) for word in ("unable to open", "disk I/O", "locked", "readonly"))


@dataclass(slots=True)
class _Job:
    fn: Callable[[Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _resolve_all(items: list[tuple[_Job, Any, BaseException | None]]) -> None:
    for job, result, error in items:
        _resolve(job.future, result, error)


class Store:
    def __init__(self, engine: Engine, *, workers: int = 1, max_batch: int = 256) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._threads = [
            threading.Thread(target=self._work, name=f"sskdt-db-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()
        self.batches = 0
        self.jobs = 0

    async def run[T](self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a transaction of its own (shared with other events' savepoints)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, future, loop))
        return await future

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self.engine.dispose()

    def _take_batch(self, first: _Job) -> tuple[list[_Job], bool]:
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _work(self) -> None:
        conn: Connection | None = None
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch, stop = self._take_batch(first)
                conn = self._run_batch(conn, batch)
                if stop:
                    return
        finally:
            self._drop(conn)

    def _run_batch(self, conn: Connection | None, batch: list[_Job]) -> Connection | None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        fresh = conn is None
        try:
            if conn is None:
                conn = self.engine.connect()
            with conn.begin():
                for job in batch:
                    outcomes.append(self._run_one(conn, job))
        except Exception as exc:
            if _unreachable(exc):
                self._drop(conn)
                if not fresh:  # a connection that died while idle (the database restarted): once more, anew
                    return self._run_batch(None, batch)
                log.warning("database unreachable: %d events refused (%s)", len(batch), type(exc).__name__)
                self._finish([(job, None, Unavailable()) for job in batch])
                return None
            # The commit itself failed (disk, deadlock): redo each event on its own, so one event's trouble is
            # not everyone's.
            if _conflict(exc):
                log.warning("batch of %d met another worker's locks; retrying one by one", len(batch))
            else:
                log.exception("batch of %d failed; retrying one by one", len(batch))
            self._drop(conn)
            conn = None
            outcomes = []
            for job in batch:
                for attempt in range(3):  # an event alone can still meet another worker's locks: again
                    try:
                        conn = conn or self.engine.connect()
                        with conn.begin():
                            outcome = self._run_one(conn, job)
                        break
                    except Exception as one:
                        self._drop(conn)
                        conn = None
                        outcome = (job, None, Unavailable() if _unreachable(one) else one)
                        if not _conflict(one) or attempt == 2:
                            break
                outcomes.append(outcome)
        self._finish(outcomes)
        return conn

    def _finish(self, outcomes: list[tuple[_Job, Any, BaseException | None]]) -> None:
        self.batches += 1
        self.jobs += len(outcomes)
        # One wake-up of each event loop per batch, not one per event.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Any, BaseException | None]]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)
        for loop, items in by_loop.items():
            loop.call_soon_threadsafe(_resolve_all, items)

    @staticmethod
    def _run_one(conn: Connection, job: _Job) -> tuple[_Job, Any, BaseException | None]:
        try:
            with savepoint(conn):
                return job, job.fn(conn), None
        except Exception as exc:  # handed to the awaiting coroutine, which decides what the user hears
            if _unreachable(exc) or conn.invalidated:
                raise Unavailable() from exc  # the whole batch is lost with the connection
            if _conflict(exc):
                raise  # the batch is done again event by event, this one included
            return job, None, exc

    @staticmethod
    def _drop(conn: Connection | None) -> None:
        if conn is None:
            return
        try:
            conn.invalidate()  # a connection that failed is not put back in the pool
            conn.close()
        except Exception:
            log.warning("closing a broken connection failed", exc_info=True)
