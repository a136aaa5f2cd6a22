"""One worker of a deployment does the timed work: housekeeping, the appointment reminders and delivering the
outbox (so every push leaves through one pacer, and Telegram's and Zalo's rates hold across workers).

Which one: the worker holding a PostgreSQL session-level advisory lock. A worker that dies loses its database
session and with it the lock; another worker takes it within ``every`` seconds. Why a lock and not a shared rate
limiter: one sender needs no coordination per message, and the outbox is a durable queue, so a handover only
delays pushes by a few seconds. On SQLite (one process) this worker always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Connection, Engine

from models.db import ping, try_advisory_lock

log = logging.getLogger(__name__)
LOCK_KIND = 0x53534B4C  # "SSKL": this deployment's leader


class Leadership:
    def __init__(self, engine: Engine | None, *, every: float = 5.0) -> None:
        self.engine = engine  # None: a single process (SQLite), always the leader
        self.every = every
        self.leading = False
        self._conn: Connection | None = None

    async def run(self, duties: Callable[[], Awaitable[None]]) -> None:
        """Run ``duties`` while this worker leads; try to lead every ``every`` seconds otherwise."""
        while True:
            if await asyncio.to_thread(self._take):
                self.leading = True
                log.info("this worker leads: housekeeping, reminders and pushes run here")
                work = asyncio.ensure_future(duties())
                try:
                    while not work.done() and await asyncio.to_thread(self._still_held):
                        await asyncio.wait({work}, timeout=self.every)
                finally:
                    self.leading = False
                    work.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await work
                log.warning("this worker no longer leads")
            await asyncio.sleep(self.every)

    def close(self) -> None:
        self._drop()

    def _take(self) -> bool:
        if self.engine is None:
            return True
        try:
            if self._conn is None:
                # Autocommit: the lock belongs to the session, and no transaction stays open beside it.
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return try_advisory_lock(self._conn, LOCK_KIND)
        except Exception:
            log.warning("the leadership lock could not be asked for (database unreachable?)")
            self._drop()
            return False

    def _still_held(self) -> bool:
        if self.engine is None:
            return True
        try:
            assert self._conn is not None
            ping(self._conn)
            return True
        except Exception:
            self._drop()  # the session, and the lock with it, is gone
            return False

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
                self._conn.close()
            self._conn = None
