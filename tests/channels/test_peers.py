"""Workers on one PostgreSQL keep a messenger's limits together: each sends at its share of the global rate, a
429 told to one pauses them all, a worker gone gives its share back, and one worker of each deployment leads.
Deployments sharing a database (here: two schemas) do not count each other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import create_engine

from bot.channels.pacing import Pacer, RetryAfter, send_paced
from bot.engine.limits import TokenBuckets
from bot.leadership import Leadership
from bot.peers import Peers
from models.db import process_alive
from tests.conftest import POSTGRES_URL
from tests.helpers import until


@pytest.fixture
async def other_deployment() -> AsyncIterator[str]:
    """The same database's default schema: another deployment beside the test's own schema."""
    if not POSTGRES_URL:
        pytest.skip("SSKDT_TEST_POSTGRES_URL not set")
    yield POSTGRES_URL


async def test_workers_share_the_rate_hear_each_others_429_and_give_a_share_back(
        pg_schema_url: str, other_deployment: str) -> None:
    pacers = [Pacer(30, 1, 3, channel="telegram") for _ in range(3)]
    peers = [Peers(pg_schema_url, every=0.2), Peers(pg_schema_url, every=0.2), Peers(other_deployment, every=0.2)]
    for worker, pacer in zip(peers, pacers, strict=True):
        worker.watch(pacer)
    running: list[asyncio.Task[None]] = []
    try:
        for worker in peers:
            await worker.start()
            running.append(asyncio.create_task(worker.run()))
        # The second worker counts itself as it joins; the first recounts on hearing it join.
        await until(lambda: [p.global_limit for p in pacers] == [15, 15, 30], "the rate split between two workers")

        calls: list[int] = []

        async def throttled_once() -> None:
            calls.append(1)
            if len(calls) == 1:
                raise RetryAfter(1)

        sending = asyncio.create_task(send_paced(pacers[0], 7, throttled_once))
        await until(lambda: pacers[1].pause_left() > 0.5, "the other worker to pause too", seconds=5)
        assert pacers[2].pause_left() == 0  # another deployment's worker goes on
        assert await sending and len(calls) == 2  # sent once the pause had passed

        running[0].cancel()
        await peers[0].close()  # the worker is gone: its session, and its lock, with it
        await until(lambda: pacers[1].global_limit == 30, "the remaining worker to take the whole rate")
    finally:
        for task in running:
            task.cancel()
        for worker in peers:
            await worker.close()


async def test_a_process_is_known_alive_while_it_runs(pg_schema_url: str) -> None:
    """The answers a worker keeps are recovered by another only once it is gone: its lock says it lives."""
    db = create_engine(pg_schema_url.replace("postgresql://", "postgresql+psycopg://", 1))
    worker = Peers(pg_schema_url, process="worker-one")
    try:
        await worker.start()
        with db.connect() as conn:
            assert process_alive(conn, "worker-one") and not process_alive(conn, "worker-two")
        await worker.close()  # it dies: its session ends (the server ends it a moment after the socket closes)

        def gone() -> bool:
            with db.connect() as conn:
                return not process_alive(conn, "worker-one")

        await until(gone, "the dead worker's lock to be released")
    finally:
        await worker.close()
        db.dispose()


async def test_one_worker_of_each_deployment_leads(pg_schema_url: str, other_deployment: str) -> None:
    engines = [create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
               for url in (pg_schema_url, pg_schema_url, other_deployment)]
    leaders = [Leadership(engine, every=0.1) for engine in engines]
    leading: list[asyncio.Event] = [asyncio.Event() for _ in leaders]

    def duties(n: int) -> Callable[[], Awaitable[None]]:
        async def lead() -> None:
            leading[n].set()
            await asyncio.Event().wait()  # leads until it stops
        return lead

    running = [asyncio.create_task(leader.run(duties(n))) for n, leader in enumerate(leaders)]
    try:
        await until(lambda: leading[2].is_set() and (leading[0].is_set() or leading[1].is_set()), "two leaders")
        assert not (leading[0].is_set() and leading[1].is_set())  # one per deployment
        first = 0 if leading[0].is_set() else 1
        running[first].cancel()
        leaders[first].close()  # the leader dies: the other worker of its deployment takes over
        await until(lambda: leading[1 - first].is_set(), "the other worker to lead")
    finally:
        for task in running:
            task.cancel()
        for leader in leaders:
            leader.close()
        for engine in engines:
            engine.dispose()


async def test_the_webs_limits_per_address_hold_for_the_deployment_not_each_worker(pg_schema_url: str) -> None:
    """An address spread over two workers (or two machines) gets the deployment's limit, not twice it; a worker
    gone gives its share back."""
    limits = [TokenBuckets(20, 60), TokenBuckets(20, 60)]
    peers = [Peers(pg_schema_url, every=0.2), Peers(pg_schema_url, every=0.2)]
    for worker, limit in zip(peers, limits, strict=True):
        worker.share_with(limit)
    running: list[asyncio.Task[None]] = []
    try:
        for worker in peers:
            await worker.start()
            running.append(asyncio.create_task(worker.run()))
        await until(lambda: [(b.rate, b.burst) for b in limits] == [(10, 30), (10, 30)], "the limit split in two")
        allowed = sum(1 for limit in limits for _ in range(100) if limit.take("203.0.113.7") == 0)
        assert allowed == 60  # the burst of the deployment, across both workers
        running[0].cancel()
        await peers[0].close()
        await until(lambda: (limits[1].rate, limits[1].burst) == (20, 60), "the remaining worker's whole limit")
    finally:
        for task in running:
            task.cancel()
        for worker in peers:
            await worker.close()
