"""Why our CPU per update on PostgreSQL is a multiple of SQLite's: what one round trip to the server costs the
client, and how many an update makes, measured in the same run (issue 30, target 4).

On SQLite the database runs inside our process: a statement is ~2 µs of our CPU, the engine's own work included.
On PostgreSQL the same statement is a round trip: psycopg builds the query, libpq writes it to the socket, the
thread waits, reads, parses the answer into Python values. That client side is our CPU too, and no faster
server removes it. So the lowest CPU per update this design can reach on PostgreSQL is SQLite's plus
(round trips per update) × (client CPU per round trip − SQLite's per statement).

    PYTHONPATH=. .venv/bin/python bench/round_trips.py
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import sys
import time
from typing import Any

from bench import surge
from bench.common import save

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
# The shapes our hot statements have: a keyed read of a few columns, an update of several.
_READ = "SELECT a, b, c FROM t WHERE k = {}"
_WRITE = "UPDATE t SET a = {0}, b = {0}, c = {0}, d = {0}, e = {0}, f = {0} WHERE k = {0}"
_TABLE = "CREATE TEMP TABLE t (k text PRIMARY KEY, a int, b text, c text, d int, e text, f text)"
_ROW = "INSERT INTO t VALUES ('x', 1, 'b', 'c', 2, 'e', 'f')"


def _cpu_per_call(call: Any, n: int) -> float:
    """Our process's CPU per call, in µs (the best of three rounds: the machine's other work is not ours)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for i in range(n):
            call(i)
        best = min(best, (time.process_time() - started) / n)
    return best * 1e6


def client_cpu(n: int = 5000) -> dict[str, float]:
    """µs of our CPU per statement: psycopg's client-side binding (as models.db runs our statements), psycopg's
    server-side binding, libpq alone (no Python above it), and SQLite in process."""
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        client = psycopg.ClientCursor(conn)
        client.execute(_TABLE)
        client.execute(_ROW)
        server = conn.cursor()
        read, write = _READ.format("%s"), _WRITE.format("%s")
        pg = conn.pgconn
        out = {
            "psycopg_client_binding_read": _cpu_per_call(
                lambda i: (client.execute(read, ("x",)), client.fetchall()), n),
            "psycopg_client_binding_write": _cpu_per_call(
                lambda i: client.execute(write, (i, "bb", "cc", i, "ee", "ff", "x")), n),
            "psycopg_server_binding_read": _cpu_per_call(lambda i: (server.execute(read, ("x",)), server.fetchall()),
                                                         n),
            "libpq_alone_read": _cpu_per_call(lambda i: pg.exec_(b"SELECT a, b, c FROM t WHERE k = 'x'"), n),
        }
    lite = sqlite3.connect(":memory:")
    lite.execute(_TABLE.replace("TEMP ", ""))
    lite.execute(_ROW)
    read, write = _READ.format("?"), _WRITE.format("?")
    out["sqlite_read"] = _cpu_per_call(lambda i: lite.execute(read, ("x",)).fetchall(), n)
    out["sqlite_write"] = _cpu_per_call(lambda i: lite.execute(write, (i, "bb", "cc", i, "ee", "ff", "x")), n)
    lite.close()
    return {k: round(v, 1) for k, v in out.items()}


def limit_cost(n: int = 5000) -> dict[str, float]:
    """A per-address limit counted for the deployment, two ways: each worker allows its share in memory
    (bot/engine/limits.py, what the service does), or one counter row in PostgreSQL per address and second, an
    upsert per request (what a shared counter costs: our CPU and the request's wait)."""
    import psycopg

    from bot.engine.limits import TokenBuckets

    buckets = TokenBuckets(2.0, 6.0)
    buckets.share(4)
    in_memory = _cpu_per_call(lambda i: buckets.take(f"203.0.113.{i % 250}"), n * 10)
    upsert = ("INSERT INTO c (k, w, n) VALUES (%s, %s, 1) ON CONFLICT (k) DO UPDATE SET n = CASE WHEN c.w = "
              "excluded.w THEN c.n + 1 ELSE 1 END, w = excluded.w RETURNING n")
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        cursor = psycopg.ClientCursor(conn)
        cursor.execute("CREATE TEMP TABLE c (k text PRIMARY KEY, w bigint, n int)")

        def count(i: int) -> None:
            cursor.execute(upsert, (f"203.0.113.{i % 250}", int(time.time())))
            cursor.fetchall()
        shared_cpu = _cpu_per_call(count, n)
        started = time.perf_counter()
        for i in range(n):
            count(i)
        shared_wall = (time.perf_counter() - started) / n * 1e6
    return {"share_in_memory_cpu_us": round(in_memory, 2), "shared_counter_cpu_us": round(shared_cpu, 1),
            "shared_counter_wait_us": round(shared_wall, 1)}


def per_update(citizens: int = 100) -> dict[str, Any]:
    """Round trips per update in a surge on PostgreSQL (every statement and every COMMIT psycopg sends), and the
    statements that make most of them. Counted in a run of its own: the counting is not in the timed runs."""
    import psycopg

    counts: collections.Counter[str] = collections.Counter()
    execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit

    def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else str(query)
        counts[" ".join(text.split())[:72]] += 1
        return execute(self, query, *args, **kwargs)

    def counted_commit(self: Any) -> Any:
        counts["COMMIT"] += 1
        return commit(self)

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    psycopg.Connection.commit = counted_commit  # type: ignore[method-assign]
    try:
        run = asyncio.run(surge.surge("postgresql", citizens, owasp_hash=False))
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Connection.commit = commit  # type: ignore[method-assign]
    total = sum(counts.values())
    return {"updates": run["updates"], "round_trips": total, "per_update": round(total / run["updates"], 2),
            "most": [{"statement": s, "per_update": round(c / run["updates"], 2)} for s, c in counts.most_common(8)]}


def main(citizens: int = 100) -> dict[str, Any]:
    result = {"client_cpu_us": client_cpu(), "round_trips": per_update(citizens), "limits": limit_cost()}
    for name, us in result["client_cpu_us"].items():
        print(f"{name:<32} {us:7.1f} µs of our CPU per statement")
    trips = result["round_trips"]
    print(f"round trips per update on PostgreSQL: {trips['per_update']} "
          f"({trips['round_trips']} for {trips['updates']} updates)")
    for row in trips["most"]:
        print(f"  {row['per_update']:5.2f}  {row['statement']}")
    limits = result["limits"]
    print(f"a limit for the deployment, per request: the worker's share in memory "
          f"{limits['share_in_memory_cpu_us']} µs of CPU; a shared counter in PostgreSQL "
          f"{limits['shared_counter_cpu_us']} µs of CPU and {limits['shared_counter_wait_us']} µs of waiting")
    save("round_trips", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
