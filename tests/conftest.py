from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app import App, build
from bot.config import Settings
from tests.helpers import Chat, served

POSTGRES_URL = os.environ.get("SSKDT_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"]


def cheap_settings(tmp_path: Path, database_url: str = "") -> Settings:
    """Real argon2id, at a cost that keeps the suite fast; production uses the OWASP minimum."""
    return Settings(
        data_dir=tmp_path, database_url=database_url, argon2_memory_kib=1024, argon2_time_cost=1,
        # Scripted clients are fast and many at once: the limits and the CPU gate have their own tests.
        rate_per_address=1000, rate_per_chat=1000, cpu_queue=1000,
    )


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("SSKDT_TEST_POSTGRES_URL is not set in CI")
        pytest.skip("SSKDT_TEST_POSTGRES_URL not set")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def app(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> AsyncIterator[App]:
    url = request.getfixturevalue("pg_schema_url") if backend == "postgresql" else ""
    built = build(cheap_settings(tmp_path, url))
    yield built
    built.close()


@pytest.fixture
async def sqlite_app(tmp_path: Path) -> AsyncIterator[App]:
    built = build(cheap_settings(tmp_path))
    yield built
    built.close()


@pytest.fixture
async def web_base_url(sqlite_app: App) -> AsyncIterator[str]:
    """The web chat served on a free loopback port (real HTTP)."""
    async with served(sqlite_app.web_app()) as base:
        yield base


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app.engine, "c-" + uuid.uuid4().hex[:8])
