"""What the service counts for Prometheus (served by ``bot/channels/ops.py`` on its own listener).

Labels are small fixed sets (channel names, outcomes), never a chat, a phone or anything a person typed.
With several worker processes (``sskdt run --workers N``) each writes its own files under
``PROMETHEUS_MULTIPROC_DIR`` and the listener adds them up.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter("sskdt_updates_total", "Updates handled, by channel and outcome", ["channel", "outcome"])
LATENCY = Histogram("sskdt_update_seconds", "Time from an update's arrival at the engine to its committed answer",
                    ["channel"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SENDS = Counter("sskdt_sends_total", "Messages sent to a messenger, by result (sent, blocked, retried, failed)",
                ["channel", "result"])
RATE_LIMITED = Counter("sskdt_rate_limited_total", "429 answers a messenger gave us", ["channel"])
CPU_QUEUE = Gauge("sskdt_cpu_queue", "Password hashes and picture reads waiting or running", multiprocess_mode="sum")
OUTBOX_DEPTH = Gauge("sskdt_outbox_pending", "Pushes waiting to be delivered", multiprocess_mode="max")
OUTBOX_AGE = Gauge("sskdt_outbox_oldest_seconds", "Age of the oldest push waiting to be delivered",
                   multiprocess_mode="max")


@cache
def updates(channel: str, outcome: str) -> Any:
    """The counter of one channel and outcome, looked up once (``labels()`` takes a lock on every call)."""
    return UPDATES.labels(channel, outcome)


@cache
def latency(channel: str) -> Any:
    return LATENCY.labels(channel)
