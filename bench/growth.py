"""Growth: cost per update and look-up times with 10,000 and with 1,000,000 persons in the database.

Persons, their accounts and registrations are bulk-inserted with raw executemany (fast), then the engine
runs a fixed load and the look-ups staff will use run against the indexes.

    PYTHONPATH=. .venv/bin/python bench/growth.py [sizes ...]
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select

from bench.common import make_app, save
from bot.app import App
from bot.channels.webchat.server import CAPABILITIES as WEB
from bot.engine.types import Incoming
from models.tables import Person, Registration, table

PERSON, REGISTRATION = table(Person), table(Registration)


def fill(app: object, n: int) -> None:
    conn = app.store.engine.raw_connection()  # type: ignore[attr-defined]
    cur = conn.cursor()
    now = datetime(2026, 1, 1).isoformat(" ")
    chunk = 50_000
    for start in range(0, n, chunk):
        ids = range(start + 1, min(n, start + chunk) + 1)
        cur.execute("BEGIN")  # the engine's connections run in autocommit mode; one transaction per chunk
        cur.executemany(
            "INSERT INTO account (id, phone, name, password_hash, locale, created_at) "
            "VALUES (?, ?, 'Người Dùng', 'x', 'vi', ?)", [(i, f"+8490{i:07d}", now) for i in ids])
        cur.executemany(
            "INSERT INTO person (id, owner_account_id, relation, full_name, name_key, birth_date, sex, id_type, "
            "id_number, phone, occupation, priority_group, province_code, ward_code, created_at, updated_at) "
            "VALUES (?, ?, 'self', 'Nguyễn Văn Bình', 'nguyen van binh', '1980-01-01', 'M', 'cccd', ?, ?, 'x', 8, "
            "79, 26743, ?, ?)",
            [(i, i, f"{i:012d}", f"+8490{i:07d}", now, now) for i in ids])
        cur.executemany(
            "INSERT INTO registration (id, person_id, booking_code, open_key, site_id, province_code, preferred_date, "
            "preferred_session, dose_number, status, screening, screening_flags, consent_at, consent_version, "
            "created_at) VALUES (?, ?, ?, ?, NULL, 79, '2026-12-01', 'morning', 1, 'submitted', '{}', '', ?, "
            "'v1', ?)",
            [(i, i, f"{10**15 + i}", f"cccd:{i:012d}", now, now) for i in ids])
        cur.execute("COMMIT")
    conn.close()


def lookups(app: App, n: int, rounds: int = 2000) -> dict[str, float]:
    queries: dict[str, Callable[[int], Select[Any]]] = {
        "by_phone": lambda i: select(PERSON.c.id).where(PERSON.c.phone == f"+8490{i:07d}"),
        "by_id_number": lambda i: select(REGISTRATION.c.id).where(REGISTRATION.c.open_key == f"cccd:{i:012d}"),
        "by_booking_code": lambda i: select(REGISTRATION.c.id).where(REGISTRATION.c.booking_code == f"{10**15 + i}"),
    }
    out = {}
    with app.store.engine.connect() as conn:
        for name, query in queries.items():
            times = []
            for k in range(rounds):
                i = (k * 7919) % n + 1
                started = time.perf_counter()
                assert conn.execute(query(i)).first() is not None
                times.append(time.perf_counter() - started)
            out[f"{name}_median_ms"] = round(statistics.median(times) * 1e3, 4)
    return out


async def update_cost(app: object, updates: int = 4000) -> float:
    keys = itertools.count()

    async def chat(c: int) -> None:
        for _ in range(updates // 200):
            await app.engine.handle(Incoming(channel="web", chat_id=f"g{c}", user_id=f"g{c}",  # type: ignore[attr-defined]
                                             update_key=f"g{next(keys)}", text="/help"), WEB)

    cpu = time.process_time()
    await asyncio.gather(*(chat(c) for c in range(200)))
    return (time.process_time() - cpu) / updates


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        app, cleanup = make_app("sqlite", owasp_hash=False)
        started = time.perf_counter()
        fill(app, n)
        filled = time.perf_counter() - started
        cost = asyncio.run(update_cost(app))
        row = {"persons": n, "fill_s": round(filled, 1), "cpu_ms_per_update": round(cost * 1e3, 4), **lookups(app, n)}
        rows.append(row)
        print(row, flush=True)
        cleanup()
    if len(rows) >= 2:
        ratio = rows[-1]["cpu_ms_per_update"] / rows[0]["cpu_ms_per_update"]
        print(f"per-update cost, {rows[-1]['persons']:,} vs {rows[0]['persons']:,} persons: ×{ratio:.2f}")
    save("growth", {"runs": rows, "date": date.today().isoformat()})


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [10_000, 1_000_000])
