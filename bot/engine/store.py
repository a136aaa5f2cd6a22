"""The database thread: every event's work runs here, in arrival order, with group commit.

Why a thread with a synchronous connection instead of an async driver: aiosqlite hops threads on every
statement (~2.6 ms a transaction through the async ORM, DESIGN §3). Here a whole batch of events hops once:
the thread takes everything queued, runs each event inside its own SAVEPOINT (so one failure undoes only
that event), commits once, and only then resolves the callers' futures, so no reply leaves before its
effects are durable. On PostgreSQL several such threads run, each with its own connection.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from models.db import savepoint

log = logging.getLogger(__name__)


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
        conn = self.engine.connect()
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
            conn.close()

    def _run_batch(self, conn: Connection, batch: list[_Job]) -> Connection:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            with conn.begin():
                for job in batch:
                    outcomes.append(self._run_one(conn, job))
        except Exception:
            # The commit itself failed (disk, lost server, deadlock): redo each event on its own, so one
            # event's trouble is not everyone's.
            log.exception("batch of %d failed; retrying one by one", len(batch))
            conn = self._fresh(conn)
            outcomes = []
            for job in batch:
                try:
                    with conn.begin():
                        outcome = self._run_one(conn, job)
                except Exception as exc:
                    conn = self._fresh(conn)
                    outcome = (job, None, exc)
                outcomes.append(outcome)
        self.batches += 1
        self.jobs += len(batch)
        # One wake-up of each event loop per batch, not one per event.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Any, BaseException | None]]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)
        for loop, items in by_loop.items():
            loop.call_soon_threadsafe(_resolve_all, items)
        return conn

    @staticmethod
    def _run_one(conn: Connection, job: _Job) -> tuple[_Job, Any, BaseException | None]:
        try:
            with savepoint(conn):
                return job, job.fn(conn), None
        except Exception as exc:  # handed to the awaiting coroutine, which decides what the user hears
            return job, None, exc

    def _fresh(self, conn: Connection) -> Connection:
        try:
            conn.close()
        except Exception:
            log.warning("closing a broken connection failed", exc_info=True)
        return self.engine.connect()
