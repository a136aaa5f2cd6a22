"""The checkpoint scanner in the browser (issue 29): the time from a camera frame holding a code to the verdict on
screen, online and with the network off, for each kind of code; the decoder's size; the first verdict after a cold
load (navigation start → verdict, the WebAssembly compiled and the data fetched on the way).

    PYTHONPATH=. .venv/bin/python bench/scanner.py [ROUNDS]

It runs the Chromium camera test (tests/channels/test_scanner_page.py) ROUNDS times with SSKDT_BENCH_OUT set: the
test asserts the verdicts, never a time; this script reads the times it wrote. Results: bench/results/scanner.json
and a table on stdout. Measured on this machine's headless Chromium (software rendering), not on a phone.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import save

VENDOR = Path(__file__).parent.parent / "bot/channels/checkpoint/static/vendor/zxing-wasm"


def main(rounds: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timings.jsonl"
        for _ in range(rounds):
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/channels/test_scanner_page.py", "-k", "camera"],
                           env={**os.environ, "SSKDT_BENCH_OUT": str(out)}, check=True, capture_output=True)
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    result: dict[str, Any] = {
        "decoder_bytes": {p.name: p.stat().st_size for p in sorted(VENDOR.iterdir()) if p.suffix in (".js", ".wasm")},
        "rounds": rounds, "cases": {},
    }
    print(f"{'code':<18} {'frame→verdict online ms':>24} {'offline ms':>11} {'cold load→verdict ms':>21}")
    for case in dict.fromkeys(r["case"] for r in rows):
        mine = [r for r in rows if r["case"] == case]
        online = statistics.median(r["online"]["total_ms"] for r in mine)
        offline = statistics.median(r["offline"]["total_ms"] for r in mine)
        cold = statistics.median(r["online"]["since_load_ms"] for r in mine)
        result["cases"][case] = {"online_ms": round(online, 1), "offline_ms": round(offline, 1),
                                 "cold_load_to_verdict_ms": round(cold, 1),
                                 "decode_ms": round(statistics.median(r["offline"]["decode_ms"] for r in mine), 1),
                                 "verify_ms": round(statistics.median(r["offline"]["verify_ms"] for r in mine), 1),
                                 "first": {k: round(statistics.median(r["online"][k] for r in mine), 1)
                                           for k in ("decode_ms", "verify_ms", "show_ms")}}
        print(f"{case:<18} {online:>24.1f} {offline:>11.1f} {cold:>21.1f}")
    print("decoder:", ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in result["decoder_bytes"].items()))
    save("scanner", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
