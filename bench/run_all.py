"""All six benchmarks in one run (ratios are only comparable inside one run on a shared machine).

    make bench                      # the sizes of the issue (long: the 10,000-citizen surges take many minutes)
    make bench BENCH_QUICK=1        # smaller sizes, minutes
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from bench import floors, growth, http_surge, qr_render, surge, telegram_fanout, telegram_reply_latency
from bench.common import RESULTS


def main() -> None:
    quick = bool(os.environ.get("BENCH_QUICK"))
    sizes = [300] if quick else [1000, 10000]
    print("== floors")
    floor = floors.main(5000 if quick else 20000)
    print("== surge")
    sys.argv = ["surge", *map(str, sizes), "--backends", "sqlite,postgresql"]
    surge.main()
    print("== http")
    asyncio.run(http_surge.main(100 if quick else 200, 20))
    print("== growth")
    growth.main([10_000, 100_000] if quick else [10_000, 1_000_000])
    print("== qr")
    qr_render.main(50 if quick else 200)
    print("== fanout")
    asyncio.run(telegram_fanout.main(2000 if quick else 10_000, 500 if quick else 1000, 300, 10, "aiogram"))
    print("== a two-message reply on Telegram (target: the last message within 150 ms)")
    asyncio.run(telegram_reply_latency.main(30 if quick else 100))
    runs = json.loads((RESULTS / "surge.json").read_text())["runs"]
    fast = [r for r in runs if r["argon2"] == "trivial"]
    print("\n== our cost per update as a multiple of the floors (no-hash surges)")
    for row in fast:
        per_update_ms = 1e3 / row["updates_per_s"]
        print(f"{row['backend']:<10} N={row['citizens']:<6} {per_update_ms:.3f} ms/update = "
              f"×{per_update_ms / floor['aiogram_fsm_ms_per_update']:.2f} aiogram floor, "
              f"×{per_update_ms / floor['raw_sqlite_ms_per_update']:.2f} raw sqlite floor")


if __name__ == "__main__":
    main()
