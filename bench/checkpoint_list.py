"""The checkpoint scanner's list of withdrawn credentials at a province's scale: every dose replaces one, and each
device syncs every 5 minutes. What one sync costs the server and the network, whole and as a delta (``?since=``).

    PYTHONPATH=. .venv/bin/python bench/checkpoint_list.py [withdrawn]

PostgreSQL (SSKDT_TEST_POSTGRES_URL or the local test database), a schema of its own; the rows are inserted in
bulk (no person behind them: foreign keys are not checked for the load), then ANALYZE, as autovacuum would.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import create_engine, insert, text

from bench.common import save
from bot.services.certificates import credentials
from bot.services.values.dates import utcnow
from models.migrate import upgrade
from models.tables import Credential, table

POSTGRES = os.environ.get("SSKDT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SPREAD_MINUTES = 10_000  # the withdrawals spread over about a week


def _best(call: Callable[[], Any], rounds: int = 3) -> tuple[float, float, Any]:
    """(wall s, our CPU s, result) of the best of ``rounds``, the collector off (the bulk rows are not ours)."""
    best: tuple[float, float, Any] = (float("inf"), float("inf"), None)
    gc.disable()
    try:
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            found = call()
            best = min(best, (time.perf_counter() - wall, time.process_time() - cpu, found), key=lambda b: b[0])
    finally:
        gc.enable()
    return best


def main(withdrawn: int = 200_000) -> dict[str, Any]:
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        engine = create_engine(url)
        now = utcnow()
        with engine.begin() as conn:
            conn.execute(text("SET session_replication_role = replica"))
            for start in range(0, withdrawn, 10_000):
                conn.execute(insert(table(Credential)), [
                    {"id": f"URN:UVCI:01:VN:{n:012d}", "person_id": 1, "kind": "hc1", "dose_count": 1,
                     "level": "partial", "qr_text": "-", "issued_at": now - dt.timedelta(days=30),
                     "expires_at": now + dt.timedelta(days=300),
                     "superseded_at": now - dt.timedelta(minutes=n % SPREAD_MINUTES)}
                    for n in range(start, min(start + 10_000, withdrawn))])
            conn.execute(text("ANALYZE credential"))
        result: dict[str, Any] = {"withdrawn": withdrawn}
        with engine.connect() as conn:
            for name, since in (("whole", None), ("since 15 minutes", utcnow() - dt.timedelta(minutes=15))):
                wall, cpu, listed = _best(partial(credentials.withdrawn, conn, since))
                body = json.dumps(listed)
                result[name] = {"ms": round(wall * 1e3, 1), "our_cpu_ms": round(cpu * 1e3, 1),
                                "entries": len(listed[credentials.SUPERSEDED]), "kilobytes": round(len(body) / 1e3, 1)}
                print(f"{name:<18} {result[name]['entries']:>8} entries  {result[name]['kilobytes']:>9} kB  "
                      f"{result[name]['ms']:>8} ms")
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    save("checkpoint_list", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
