"""What the workers of one deployment (on one machine or several) tell each other through PostgreSQL, so that
together they keep a messenger's limits as one sender would, and the web API's limits per address and chat as
one server would:

    every worker holds a shared advisory lock (PEERS, deployment)   ─▶ live workers = its holders
    each pacer sends at (configured global rate ÷ live workers); each web limit allows (its rate ÷ live workers)
    a worker told 429 ─▶ NOTIFY sskdt_pause_<deployment> 'telegram 3 <id>' ─▶ every other worker pauses too

Why a split of the rate and not a limiter asked per message: asking costs a round trip per send and puts the
database between every answer and its user; the split needs nothing per message. A dead worker's session, and
its lock with it, goes away, so the others' shares grow back within ``every`` seconds; a new worker counts
itself before it is given a share, so for a moment the total is below the limit, never above it. A chat's own
pace stays with the worker that answers it: a chat's answers come from the worker of the person's message, one
answer per message, and pushes come from the leader only (:mod:`bot.leadership`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any, Protocol

import psycopg
from sqlalchemy import make_url

from bot.channels.pacing import Pacer
from bot.engine import Background
from models.db import (
    DEPLOYMENT_KEY,
    NOTIFY,
    PEER_JOIN,
    PEERS_KIND,
    PEERS_LIVE,
    PROCESS_KIND,
    PROCESS_LOCK,
    listen_statement,
    pause_channel,
)

log = logging.getLogger(__name__)
Connection = psycopg.AsyncConnection[Any]


def conninfo(database_url: str) -> str:
    """The SQLAlchemy URL as psycopg's own (its query, e.g. the schema's search_path, kept)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Shared(Protocol):
    def share(self, workers: int) -> None: ...


class Peers:
    def __init__(self, database_url: str, *, process: str = "", every: float = 5.0) -> None:
        self.conninfo = conninfo(database_url)
        self.process = process  # the engine's: its lock tells other workers this process is alive
        self.every = every
        self.count = 1
        self.pacers: dict[str, Pacer] = {}
        self.limits: list[Shared] = []  # the web's per-address and per-chat limits
        self._me = uuid.uuid4().hex[:12]  # our own notifications come back to us: skipped
        self._listening: Connection | None = None
        self._telling: Connection | None = None
        self._channel = ""
        self.deployment = 0
        self._background = Background()

    def watch(self, pacer: Pacer) -> None:
        """Share ``pacer``'s global rate with the other workers and tell them of its 429s."""
        self.pacers[pacer.channel] = pacer
        pacer.announce = self.announce
        pacer.share(self.count)

    def share_with(self, limit: Shared) -> None:
        """Keep ``limit`` at this worker's share of the deployment's (the web API's rate per address and chat)."""
        self.limits.append(limit)
        limit.share(self.count)

    async def start(self) -> None:
        """Join (before this worker sends anything): hold the lock, count, and make the others count again now
        rather than at their next round. Raises when the database cannot be reached."""
        connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        try:
            deployment = await self._one(connection, DEPLOYMENT_KEY)
            await connection.execute(PEER_JOIN, (PEERS_KIND, deployment))
            if self.process:  # the answers it keeps are not recovered by others while it lives
                await connection.execute(PROCESS_LOCK, (PROCESS_KIND, self.process))
            self._channel = pause_channel(deployment)
            await connection.execute(listen_statement(deployment))
            self.deployment = deployment
            await self._recount(connection)
            await connection.execute(NOTIFY, (self._channel, f"joined - {self._me}"))
        except BaseException:
            await connection.close()
            raise
        self._listening = connection

    async def run(self) -> None:
        """Count the workers every ``every`` seconds and hear the others in between; after a database outage
        join again (meanwhile the last count stands)."""
        while True:
            try:
                if self._listening is None:
                    await self.start()
                assert self._listening is not None
                async for note in self._listening.notifies(timeout=self.every):
                    self._heard(note.payload)
                await self._recount(self._listening)
            except Exception as exc:  # never let the rates' sharing die quietly: start over
                if isinstance(exc, (psycopg.Error, OSError)):
                    log.warning("the other workers cannot be reached (database unreachable?); pacing as before")
                else:
                    log.exception("sharing the messengers' rates failed; starting over")
                await self.close()
                await asyncio.sleep(self.every)

    def announce(self, channel: str, seconds: float) -> None:
        self._background.start(self._tell(f"{channel} {seconds:.3f} {self._me}"))

    async def close(self) -> None:
        for connection in (self._listening, self._telling):
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
        self._listening = self._telling = None

    @staticmethod
    async def _one(connection: Connection, query: str, params: tuple[Any, ...] = ()) -> int:
        row = await (await connection.execute(query, params)).fetchone()
        return int(row[0]) if row else 0

    async def _recount(self, connection: Connection) -> None:
        count = max(await self._one(connection, PEERS_LIVE, (PEERS_KIND, self.deployment)), 1)
        if count != self.count:
            log.info("%d workers share the messengers' rates and the web's limits", count)
        self.count = count
        for shared in (*self.pacers.values(), *self.limits):
            shared.share(count)

    def _heard(self, payload: str) -> None:
        what, _, rest = payload.partition(" ")
        seconds, _, sender = rest.partition(" ")
        if sender == self._me:
            return
        if what == "joined":
            self._background.start(self._recount_now())
            return
        pacer = self.pacers.get(what)
        if pacer is not None:
            with contextlib.suppress(ValueError):
                pacer.pause(min(float(seconds), 3600.0), heard=True)

    async def _recount_now(self) -> None:
        # The listening connection is busy waiting for notifications: count on the telling one.
        with contextlib.suppress(psycopg.Error, OSError):
            await self._recount(await self._teller())

    async def _teller(self) -> Connection:
        if self._telling is None:
            self._telling = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        return self._telling

    async def _tell(self, payload: str) -> None:
        if not self._channel:
            return  # not joined yet: nobody to tell
        try:
            await (await self._teller()).execute(NOTIFY, (self._channel, payload))
        except (psycopg.Error, OSError):
            log.warning("the other workers could not be told of a pause (database unreachable?)")
            if self._telling is not None:
                with contextlib.suppress(Exception):
                    await self._telling.close()
            self._telling = None
