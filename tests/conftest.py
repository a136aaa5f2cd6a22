from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app import App, build
from bot.config import Settings
from models.migrate import upgrade
from models.tables import Base
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


def _postgres() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("SSKDT_TEST_POSTGRES_URL is not set in CI")
        pytest.skip("SSKDT_TEST_POSTGRES_URL not set")
    return POSTGRES_URL


@contextmanager
def _schema() -> Iterator[tuple[str, str]]:
    """A new, empty PostgreSQL schema: (its URL, its name); dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(_postgres().replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}", schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A schema of its own (tests of several processes, of locks and of migrations)."""
    with _schema() as (url, _):
        yield url


@pytest.fixture(scope="session")
def _pg_shared() -> Iterator[str]:
    """One migrated schema for the suite's apps, emptied before each test (migrating a schema per test cost ~0.3 s
    each, most of the suite's time)."""
    with _schema() as (url, _):
        upgrade(url)
        yield url


@pytest.fixture
def pg_app_url(_pg_shared: str) -> str:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    db = create_engine(_pg_shared.replace("postgresql://", "postgresql+psycopg://", 1))
    with db.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()
    return _pg_shared


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied into each test's data directory (its migration is done once)."""
    path = tmp_path_factory.mktemp("template") / "sskdt.db"
    upgrade(f"sqlite:///{path}")
    return path


def _with_schema(tmp_path: Path, template: Path) -> Path:
    shutil.copyfile(template, tmp_path / "sskdt.db")
    return tmp_path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def app(tmp_path: Path, backend: str, request: pytest.FixtureRequest,
              sqlite_template: Path) -> AsyncIterator[App]:
    url = request.getfixturevalue("pg_app_url") if backend == "postgresql" else ""
    built = build(cheap_settings(tmp_path if url else _with_schema(tmp_path, sqlite_template), url))
    yield built
    built.close()


@pytest.fixture
async def sqlite_app(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[App]:
    built = build(cheap_settings(_with_schema(tmp_path, sqlite_template)))
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
