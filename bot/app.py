"""The composition root: builds storage, engine, flows and channels from :class:`Settings`."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.engine.context import Services
from bot.engine.runner import Engine
from bot.engine.store import Store
from bot.services import conversations, sites
from bot.services.passwords import HashCost, Passwords
from handlers import build_registry
from models.db import is_sqlite, make_engine
from models.migrate import upgrade

log = logging.getLogger(__name__)


def read_or_create_secret(path: Path) -> bytes:
    """A 32-byte secret kept in a file readable by the owner only (never in the repository or database)."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        value = secrets.token_bytes(32)
        fh.write(value)
    return value


@dataclass
class App:
    settings: Settings
    store: Store
    engine: Engine
    cpu: ThreadPoolExecutor

    async def maintain(self, every: timedelta = timedelta(hours=1)) -> None:
        """Housekeeping while the service runs: expire update keys (after 7 days) and stale drafts."""
        ttl = self.engine.services.draft_ttl
        while True:
            try:
                await self.store.run(
                    lambda conn: conversations.expire(conn, updates_after=timedelta(days=7), drafts_after=ttl)
                )
            except Exception:
                log.exception("housekeeping failed; retrying later")
            await asyncio.sleep(every.total_seconds())

    def close(self) -> None:
        self.store.close()
        self.cpu.shutdown(wait=False, cancel_futures=True)


def migrate(settings: Settings) -> None:
    upgrade(settings.effective_database_url)


def build(settings: Settings, *, run_migrations: bool = True) -> App:
    url = settings.effective_database_url
    if run_migrations:
        migrate(settings)
    sqlite = is_sqlite(url)
    workers = settings.db_workers or (1 if sqlite else 4)
    store = Store(make_engine(url, pool_size=workers + 1) if not sqlite else make_engine(url), workers=workers)
    if settings.demo_seed:
        with store.engine.begin() as conn:
            if sites.count(conn) == 0:
                log.info("empty database: loaded %d demo vaccination sites", sites.seed_demo(conn))
    # argon2-cffi releases the GIL: threads give real parallelism on the 2 cores.
    cpu = ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 1), thread_name_prefix="sskdt-cpu")
    passwords = Passwords(
        HashCost(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism),
        pepper=read_or_create_secret(settings.data_dir / "secrets" / "pepper.key"),
    )
    services = Services(
        passwords=passwords, cpu=cpu, idle_after=timedelta(days=settings.idle_days),
        draft_ttl=timedelta(days=settings.draft_days),
    )
    engine = Engine(store, build_registry(), services, default_locale=settings.default_locale, row_locks=not sqlite)
    return App(settings, store, engine, cpu)
