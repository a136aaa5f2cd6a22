"""Registration surge: N citizens complete the whole path concurrently through the engine in one process
(account, logout/login, details, 12 history questions, consent, QR pushed and rendered).

Run twice per back end: with the OWASP-minimum argon2id (complete registrations/s, hash included) and with
a trivial hash cost (updates/s and latency without the deliberately slow hash).

    PYTHONPATH=. .venv/bin/python bench/surge.py [N ...] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta
from typing import Any

from bench.common import Citizen, make_app, save, summary
from bot.services.dates import today


async def surge(backend: str, n: int, *, owasp_hash: bool) -> dict[str, Any]:
    app, cleanup = make_app(backend, owasp_hash=owasp_hash)
    soon = (today() + timedelta(days=10)).strftime("%d/%m/%Y")
    citizens = [Citizen(app, i) for i in range(n)]
    pusher = asyncio.create_task(app.pusher.run())
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(c.register(soon) for c in citizens))
    while await app.pusher.run_once():  # the QR pictures: rendered and delivered
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pusher.cancel()
    latencies = [x for c in citizens for x in c.latencies]
    hashes = [x for c in citizens for x in c.hash_latencies]
    cleanup()
    return {
        "backend": backend, "citizens": n, "argon2": "owasp-minimum" if owasp_hash else "trivial",
        "wall_s": round(wall, 2), "registrations_per_s": round(n / wall, 1),
        "updates": len(latencies) + len(hashes), "updates_per_s": round((len(latencies) + len(hashes)) / wall, 1),
        "latency_without_hash_steps": summary(latencies), "latency_hash_steps": summary(hashes),
        "cpu_s_per_registration": round(cpu / n, 4),
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
                      f"{row['cpu_s_per_registration'] * 1e3:.1f} ms CPU/registration", flush=True)
    save("surge", {"runs": rows})


if __name__ == "__main__":
    main()
