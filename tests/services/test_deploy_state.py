"""Facts every worker of a deployment shares: workers starting together may all record the same fact at once,
and none of them fails doing so (a failure here stops a worker before it serves anyone)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import create_engine, text

from bot.engine.storage import deploy_state
from models.migrate import upgrade
from tests.helpers import until


async def test_two_workers_recording_the_same_fact_at_once_both_succeed(pg_schema_url: str) -> None:
    db = create_engine(pg_schema_url.replace("postgresql://", "postgresql+psycopg://", 1))
    upgrade(pg_schema_url)
    errors: list[BaseException] = []
    try:
        with db.connect() as first:
            first.begin()
            deploy_state.put(first, "telegram", "one")  # inserted, not yet committed

            pids: list[int] = []

            def second() -> None:
                try:
                    with db.begin() as conn:
                        pids.append(int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one()))
                        deploy_state.put(conn, "telegram", "two")  # waits for the first, then finds its row
                except BaseException as exc:
                    errors.append(exc)

            thread = threading.Thread(target=second)
            thread.start()
            with db.connect() as watch:
                def waiting_or_over() -> bool:
                    # The second worker's own connection waiting on a lock (not any connection of the database),
                    # or the thread over: then the assertions below say why it never waited.
                    if errors or not thread.is_alive():
                        return True
                    return bool(pids) and bool(watch.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = :pid"),
                        {"pid": pids[0]}).scalar())
                await until(waiting_or_over, "the second worker to wait for the first (or to end)")
            assert errors == [], errors
            assert thread.is_alive(), "the second worker finished without waiting for the first"
            first.commit()
        await asyncio.to_thread(thread.join, 30)
        assert errors == []
        with db.connect() as conn:
            assert deploy_state.get(conn, "telegram") == "two"
    finally:
        db.dispose()
