"""The speed targets as issue 30 restates them, each term measured in the same run on this machine:

    5. registrations/s with the OWASP hash ≥ 0.85 × cores ÷ (hash + picture + the aiogram floor's cost of the
       registration's updates)
    4. our process's CPU per update on PostgreSQL ≤ 1.5 × on SQLite (the database server's CPU beside it, not
       counted: it has its own machine in production)
    1. the full registration path per update ≤ 2.0 × the aiogram floor
    7. two nodes on one PostgreSQL ≥ 1.6 × one node's rate, the load from a separate process; on a 2-core machine
       bounded by the cores: each node's share of the machine's CPU, and the projection for one node per machine

    PYTHONPATH=. .venv/bin/python bench/speed_targets.py [CITIZENS]     (also part of `make bench`)

Results: bench/results/speed_targets.json, and the table on stdout.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from typing import Any

from bench import faults, floors, qr_render, round_trips, surge
from bench.common import save


def _row(name: str, measured: float, goal: str, met: bool, detail: str) -> dict[str, Any]:
    return {"target": name, "measured": round(measured, 3), "goal": goal, "met": met, "detail": detail}


def restated(floor: dict[str, float], picture_ms: float, runs: list[dict[str, Any]],
             nodes: dict[str, Any], trips: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    aiogram = floor["aiogram_fsm_ms_per_update"]
    storage = floor["raw_sqlite_ms_per_update"]
    fast = {r["backend"]: r for r in runs if r["argon2"] == "trivial"}
    hashed = next(r for r in runs if r["argon2"] != "trivial" and r["backend"] == "sqlite")
    per_update = {b: r["wall_s"] * 1e3 / r["updates"] for b, r in fast.items()}
    # What the aiogram floor leaves out: it keeps its state in memory. A bot that keeps each update durably pays
    # at least the storage floor too (a raw sqlite3 transaction per update, WAL, synchronous=FULL).
    durable = (aiogram + storage) / aiogram
    rows = [_row("1. full registration path per update ÷ aiogram floor", per_update["sqlite"] / aiogram,
                 "≤ 2.0×", per_update["sqlite"] / aiogram <= 2.0,
                 f"{per_update['sqlite']:.3f} vs {aiogram:.3f} ms/update (SQLite, N={fast['sqlite']['citizens']}); "
                 f"the floor keeps its state in memory; one durable SQLite transaction an update costs {storage:.3f} "
                 f"ms by itself (raw sqlite3, WAL, FULL: {durable:.2f}× the floor with it), ours commits a batch "
                 f"at a time; our process's CPU an update is {fast['sqlite']['cpu_ms_per_update']:.3f} ms, "
                 f"{fast['sqlite'].get('cpu_ms_per_update_by_thread', {}).get('database threads', 0.0):.3f} of "
                 f"it in the database thread, where the flows run")]
    if "postgresql" in fast:
        ours = {b: r["cpu_ms_per_update"] for b, r in fast.items()}
        detail = (f"{ours['postgresql']:.3f} vs {ours['sqlite']:.3f} ms CPU/update; the PostgreSQL server "
                  f"itself {fast['postgresql']['database_cpu_ms_per_update']:.3f} ms CPU/update (not counted)")
        by_thread = {b: r.get("cpu_ms_per_update_by_thread", {}) for b, r in fast.items()}
        if by_thread["postgresql"]:
            detail += "; by thread (PostgreSQL / SQLite): " + ", ".join(
                f"{part} {used:.3f} / {by_thread['sqlite'].get(part, 0.0):.3f}"
                for part, used in by_thread["postgresql"].items())
        if trips:
            cpu, count = trips["client_cpu_us"], trips["round_trips"]["per_update"]
            bare_us = (cpu["psycopg_client_binding_read"] + cpu["psycopg_client_binding_write"]) / 2
            lite_us = (cpu["sqlite_read"] + cpu["sqlite_write"]) / 2
            detail += (f"; a bare round trip costs our process {bare_us:.0f} µs of CPU in psycopg (libpq alone "
                       f"{cpu['libpq_alone_read']:.0f} µs) against {lite_us:.1f} µs a statement in SQLite, and an "
                       f"update makes {count} (its state in, its state out, what its flow reads): that alone puts "
                       f"the ratio at ≥ {(ours['sqlite'] + count * (bare_us - lite_us) / 1e3) / ours['sqlite']:.2f}×")
            threads = by_thread["postgresql"].get("database threads", 0.0) - by_thread["sqlite"].get(
                "database threads", 0.0)
            if threads > 0:
                in_situ_us = threads * 1e3 / count
                detail += (f"; in the surge the database threads spend {threads:.3f} ms/update more, "
                           f"{in_situ_us:.0f} µs a round trip (ours carry several statements, kilobytes of state, "
                           f"14 columns back): the 1.5× allowance ({0.5 * ours['sqlite']:.3f} ms) pays for "
                           f"{0.5 * ours['sqlite'] * 1e3 / in_situ_us:.1f} of them, and every update needs 2")
        rows.append(_row("4. our CPU per update, PostgreSQL ÷ SQLite", ours["postgresql"] / ours["sqlite"], "≤ 1.5×",
                         ours["postgresql"] / ours["sqlite"] <= 1.5, detail))
    updates = hashed["updates_per_registration"]
    cost_ms = hashed["hash_ms"] + picture_ms + aiogram * updates
    bound = hashed["cores"] * 1e3 / cost_ms
    ours_ms = hashed["cpu_s_per_registration"] * 1e3
    # rate = cores ÷ (hash + picture + ours beyond the hash), drawn in parallel: ≥ 0.85 × bound when ours beyond
    # the hash ≤ cost ÷ 0.85 − hash − picture.
    reachable = cost_ms / 0.85 - hashed["hash_ms"] - picture_ms
    rows.append(_row("5. registrations/s with the OWASP hash ÷ cores ÷ (hash + picture + floor × updates)",
                     hashed["registrations_per_s"] / bound, "≥ 0.85", hashed["registrations_per_s"] >= 0.85 * bound,
                     f"{hashed['registrations_per_s']} reg/s; {hashed['cores']} cores ÷ ({hashed['hash_ms']} ms hash "
                     f"+ {picture_ms:.2f} ms picture + {updates:.0f} × {aiogram:.3f} ms floor) = {bound:.1f}/s; "
                     f"a registration costs our process {ours_ms:.1f} ms of CPU (the hash included, the picture drawn "
                     f"in other processes), {ours_ms - hashed['hash_ms']:.1f} ms beyond the hash; 0.85 is reached "
                     f"when that is ≤ {reachable:.1f} ms, {reachable / updates:.3f} ms an update "
                     f"({reachable / updates / aiogram:.1f}× the floor: target 5 stands or falls with target 1)"))
    one, two = nodes["one_node"], nodes["two_nodes"]
    shares = two["node_cpu_share"]
    projected = 2 * one["updates_per_s"]
    rows.append(_row("7. two nodes on one PostgreSQL ÷ one node (updates/s)", nodes["ratio"], "≥ 1.6×",
                     nodes["ratio"] >= 1.6,
                     f"{two['updates_per_s']} vs {one['updates_per_s']} updates/s on {nodes['cores']} cores; one "
                     f"node used {one['node_cpu_share'][0]:.0%} of the machine, the two {shares[0]:.0%} + "
                     f"{shares[1]:.0%}; the load generator and PostgreSQL the rest. One node per machine: "
                     f"≈ {projected:.0f} updates/s (2 × one node's, while PostgreSQL keeps up)"))
    return rows


def aiogram_floor(updates: int = 20_000, rounds: int = 3) -> dict[str, float]:
    """The floors, the aiogram one as the median of ``rounds`` (one round moved by 30 % between runs here)."""
    measured = [floors.main(updates) for _ in range(rounds)]
    found = dict(measured[-1])
    found["aiogram_fsm_ms_per_update"] = statistics.median(m["aiogram_fsm_ms_per_update"] for m in measured)
    found["raw_sqlite_ms_per_update"] = statistics.median(m["raw_sqlite_ms_per_update"] for m in measured)
    return found


def main(citizens: int = 300) -> list[dict[str, Any]]:
    floor = aiogram_floor()
    pictures = qr_render.main(50)
    picture_ms = statistics.median(v["median_ms"] for k, v in pictures.items() if k.startswith("fresh"))
    runs = [asyncio.run(surge.surge(backend, citizens, owasp_hash=owasp))
            for backend, owasp in (("sqlite", False), ("postgresql", False), ("sqlite", True))]
    nodes = asyncio.run(faults.nodes_throughput(min(citizens, 200)))
    trips = round_trips.main(100)
    rows = restated(floor, picture_ms, runs, nodes, trips)
    width = max(len(r["target"]) for r in rows)
    print("\n== the targets of issue 30, measured in this run")
    for r in rows:
        print(f"{r['target']:<{width}}  {r['measured']:>8}  {r['goal']:<7} {'met' if r['met'] else 'NOT met':<8} "
              f"{r['detail']}")
    save("speed_targets", {"citizens": citizens, "targets": rows, "runs": runs, "nodes": nodes, "round_trips": trips})
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
