"""Fair use under a flood: token buckets (per client address, per chat, per source on password steps) and a
bounded gate for CPU work (argon2), with room kept for log-ins so that a flood of sign-ups cannot starve them.

Counted in memory, for the deployment: each worker allows its share of the configured limit (``share``: the
limit ÷ the workers of every node, counted by bot/peers.py), so an address spread over all of them gets the
limit, not a multiple. A counter row in PostgreSQL would cost a round trip per request instead (~100× the CPU:
bench/round_trips.py).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.engine import metrics


class TokenBuckets:
    """``rate`` tokens a second, up to ``burst``, per key; the least recently used keys are forgotten."""

    def __init__(self, rate: float, burst: float, *, keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_keys, self.clock = rate, burst, keys, clock
        self.configured = (rate, burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def share(self, workers: int) -> None:
        """Allow this worker's share of the deployment's limit, ``workers`` serving at once (on every machine):
        an address spread over all of them gets the whole limit, never more (bot/peers.py counts them)."""
        rate, burst = self.configured
        workers = max(workers, 1)
        self.rate, self.burst = rate / workers, max(burst / workers, 1.0)

    def take(self, key: str) -> float:
        """0 when allowed (a token is spent), else the seconds to wait for the next token."""
        now = self.clock()
        tokens, stamp = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(wait))


class CpuGate:
    """At most ``capacity`` CPU jobs waiting or running; ``reserved`` of them only for priority work (checking
    a log-in's password), so that a flood of new passwords to hash is refused quickly instead of queueing
    everyone for seconds."""

    def __init__(self, capacity: int, reserved: int) -> None:
        self.capacity, self.reserved = capacity, reserved
        self.busy = 0

    def enter(self, priority: bool) -> bool:
        limit = self.capacity if priority else self.capacity - self.reserved
        if self.busy >= limit:
            return False
        self.busy += 1
        metrics.CPU_QUEUE.set(self.busy)
        return True

    def leave(self) -> None:
        self.busy -= 1
        metrics.CPU_QUEUE.set(self.busy)
