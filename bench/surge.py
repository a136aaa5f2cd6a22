"""Registration surge: N citizens complete the whole path concurrently through the engine in one process
(account, logout/login, details, 12 history questions, consent, QR pushed and rendered).

Run twice per back end: with a trivial hash cost (updates/s and latency of the full path: sign-up, log-out, log-in,
form, consent), and with the OWASP-minimum argon2id on the path a new citizen takes (sign up and go on logged in:
one hash per registration), compared with what the machine's cores can hash: cores ÷ one hash's time, measured
in the same run.

    PYTHONPATH=. .venv/bin/python bench/surge.py [N ...] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import timedelta
from typing import Any

from bench.common import Citizen, cpu_seconds_of, make_app, postgres_cpu_seconds, save, summary
from bot.services.values.dates import today


def thread_cpu_seconds() -> dict[str, float]:
    """CPU time used so far by this process's threads, by what they do (the names our threads are given)."""
    import threading

    parts = {"sskdt-db": "database threads", "sskdt-pictures": "pictures (stored)", "MainThread": "event loop"}
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        part = next((v for k, v in parts.items() if thread.name.startswith(k)), "other")
        out[part] = out.get(part, 0.0) + cpu_seconds_of(f"/proc/self/task/{thread.native_id}/stat")
    return out


def hash_seconds(app: Any, rounds: int = 10) -> float:
    """One password hash at the app's cost, on one thread (the best of ``rounds``)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        app.engine.services.passwords.hash("mat-khau-do-thoi-gian")
        times.append(time.perf_counter() - started)
    return min(times)


async def surge(backend: str, n: int, *, owasp_hash: bool) -> dict[str, Any]:
    app, cleanup = make_app(backend, owasp_hash=owasp_hash)
    one_hash = hash_seconds(app)
    soon = (today() + timedelta(days=10)).strftime("%d/%m/%Y")
    citizens = [Citizen(app, i) for i in range(n)]
    pusher = asyncio.create_task(app.pusher.run())
    database = postgres_cpu_seconds() if backend == "postgresql" else 0.0
    threads = thread_cpu_seconds()
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(c.register(soon, relogin=not owasp_hash) for c in citizens))
    while await app.pusher.run_once():  # the QR pictures: rendered and delivered
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    threads = {part: used - threads.get(part, 0.0) for part, used in thread_cpu_seconds().items()}
    database = postgres_cpu_seconds() - database if backend == "postgresql" else 0.0
    pusher.cancel()
    latencies = [x for c in citizens for x in c.latencies]
    hashes = [x for c in citizens for x in c.hash_latencies]
    cleanup()
    cores = os.cpu_count() or 1
    bound = cores / one_hash
    return {
        "hash_ms": round(one_hash * 1e3, 2), "cores": cores, "hash_bound_registrations_per_s": round(bound, 1),
        "of_hash_bound": round(n / wall / bound, 3),
        "backend": backend, "citizens": n, "argon2": "owasp-minimum" if owasp_hash else "trivial",
        "wall_s": round(wall, 2), "registrations_per_s": round(n / wall, 1),
        "updates": len(latencies) + len(hashes), "updates_per_s": round((len(latencies) + len(hashes)) / wall, 1),
        "latency_without_hash_steps": summary(latencies), "latency_hash_steps": summary(hashes),
        "cpu_s_per_registration": round(cpu / n, 4),
        # Our process's CPU per update; the database server's beside it (its own machine in production).
        "cpu_ms_per_update": round(cpu / max(len(latencies) + len(hashes), 1) * 1e3, 4),
        "cpu_ms_per_update_by_thread": {part: round(used / max(len(latencies) + len(hashes), 1) * 1e3, 4)
                                        for part, used in sorted(threads.items())},
        "database_cpu_ms_per_update": round(database / max(len(latencies) + len(hashes), 1) * 1e3, 4),
        "updates_per_registration": round((len(latencies) + len(hashes)) / n, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        for n in args.sizes:
            for owasp in (False, True):
                row = asyncio.run(surge(backend, n, owasp_hash=owasp))
                rows.append(row)
                print(f"{backend:<10} N={n:<6} argon2={row['argon2']:<13} {row['registrations_per_s']:>7} reg/s "
                      f"{row['updates_per_s']:>8} upd/s  p50 {row['latency_without_hash_steps']['p50_ms']:>7} ms "
                      f"p99 {row['latency_without_hash_steps']['p99_ms']:>8} ms  "
                      f"{row['cpu_s_per_registration'] * 1e3:.1f} ms CPU/registration"
                      + (f"  {row['of_hash_bound']:.0%} of {row['cores']} cores ÷ {row['hash_ms']} ms/hash"
                         if owasp else ""), flush=True)
    save("surge", {"runs": rows})


if __name__ == "__main__":
    main()
