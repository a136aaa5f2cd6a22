"""Sending to a messenger at the rates it allows: one limiter for every message the bot sends (at most N a
second overall and M a second per chat, and a full stop for as long as a 429's ``retry_after`` says; messages
are never dropped by the limiter) and one retry loop that turns the platform's answers into what to do next.

WebPolicy are kept as the server sees them, not as we stamp them: a request may arrive anywhere between its
start and its response, so a request only counts as finished when its response is back, a chat's next
message may start one interval after the previous one *finished*, and a new request starts only while
fewer than N requests are in flight or finished within the last second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager

from bot.engine import metrics

log = logging.getLogger(__name__)
POLL = 0.005  # re-check while a slot is held by a request still in flight
INLINE_SHARE = 0.8  # of the global rate, the most a webhook's answers may use (see Pacer.take_now)


class RetryAfter(Exception):
    """429: the platform asks for a pause (of ``seconds``) before anything else is sent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Blocked(Exception):
    """403: the user blocked the bot or deleted the chat; sending again will not help."""


class Transient(Exception):
    """5xx or a network failure: worth retrying with backoff."""


class Pacer:
    """Per chat a token bucket: ``per_chat_burst`` messages at once (a greeting and its menu arrive together),
    then ``per_chat_per_second``. A token is spent when the request's answer is back, so the server, which
    counts arrivals, never sees more than we counted."""

    def __init__(self, global_per_second: float = 30, per_chat_per_second: float = 1, per_chat_burst: int = 1,
                 channel: str = "") -> None:
        self.channel = channel  # the messenger, for the metrics and the other workers
        self.configured_global = max(int(global_per_second), 1)
        self.global_limit = self.configured_global
        self.announce: Callable[[str, float], None] | None = None  # tells the other workers of a 429
        self.chat_rate = per_chat_per_second
        self.chat_burst = max(int(per_chat_burst), 1)
        self._finished: deque[float] = deque()
        self._in_flight: set[Hashable] = set()
        self._in_flight_count = 0
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # chat → (tokens, when counted)
        self._paused_until = 0.0

    @asynccontextmanager
    async def sending(self, chat_id: Hashable) -> AsyncIterator[None]:
        """Hold a slot for one request to ``chat_id`` for as long as the request takes."""
        while True:
            wait = self._wait(chat_id, time.monotonic())
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        tokens = self._tokens(chat_id, time.monotonic())
        self._in_flight.add(chat_id)
        self._in_flight_count += 1
        try:
            yield
        finally:
            now = time.monotonic()
            self._in_flight.discard(chat_id)
            self._in_flight_count -= 1
            self._finished.append(now)
            self._buckets[chat_id] = (tokens - 1, now)
            if len(self._buckets) > 10_000:  # chats whose bucket is full again need no entry
                self._buckets = {c: b for c, b in self._buckets.items() if self._tokens(c, now) < self.chat_burst}

    def take_now(self, chat_id: Hashable) -> bool:
        """Count a message the platform sends on our behalf right now (a webhook's answer) when the limits
        allow it without waiting, with room to spare; False when it must wait its turn through :meth:`sending`.

        Room to spare: the platform runs a webhook's answer when the answer reaches it, and a 429 for it reaches
        nobody (the message is simply lost), so answers go that way only while the last second's count is below
        ``INLINE_SHARE`` of the limit; near the limit they are sent by us, where a 429 is seen and retried."""
        now = time.monotonic()
        if self._wait(chat_id, now) > 0:
            return False
        if self._in_flight_count + len(self._finished) >= self.global_limit * INLINE_SHARE:
            return False
        self._finished.append(now)
        self._buckets[chat_id] = (self._tokens(chat_id, now) - 1, now)
        return True

    def _tokens(self, chat_id: Hashable, now: float) -> float:
        tokens, counted = self._buckets.get(chat_id, (float(self.chat_burst), now))
        return min(float(self.chat_burst), tokens + (now - counted) * self.chat_rate)

    def _wait(self, chat_id: Hashable, now: float) -> float:
        while self._finished and now - self._finished[0] >= 1.0:
            self._finished.popleft()
        waits = [self._paused_until - now, (1.0 - self._tokens(chat_id, now)) / self.chat_rate]
        if chat_id in self._in_flight:
            waits.append(POLL)
        if self._in_flight_count + len(self._finished) >= self.global_limit:
            waits.append(self._finished[0] + 1.0 - now if self._finished else POLL)
        return max(waits)

    def pause(self, seconds: float, *, heard: bool = False) -> None:
        """Obey a 429: nothing goes out until ``retry_after`` has passed; the other workers are told, unless
        the pause was ``heard`` from one of them."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        if not heard and self.announce is not None:
            self.announce(self.channel, seconds)

    def pause_left(self) -> float:
        """Seconds until sending may go on after a 429 (0 when not paused)."""
        return max(self._paused_until - time.monotonic(), 0.0)

    def share(self, workers: int) -> None:
        """Send at this worker's share of the messenger's global rate, ``workers`` sending at once."""
        self.global_limit = max(self.configured_global // max(workers, 1), 1)


async def send_paced(pacer: Pacer, chat_id: Hashable, action: Callable[[], Awaitable[object]], *,
                     attempts: int = 6) -> bool:
    """Run one platform call within the pacer's limits: True when it went through, False when the user blocked
    the bot. A 429 pauses every sender and is retried; a 5xx or a network failure is retried with backoff
    (0.5 s doubling, at most 30 s) and raised after ``attempts``."""
    delay = 0.5
    sends = metrics.SENDS
    for attempt in range(attempts):
        try:
            async with pacer.sending(chat_id):
                await action()
            sends.labels(pacer.channel, "sent").inc()
            return True
        except RetryAfter as limit:
            metrics.RATE_LIMITED.labels(pacer.channel).inc()
            pacer.pause(limit.seconds)
        except Blocked:
            sends.labels(pacer.channel, "blocked").inc()
            return False
        except Transient:
            if attempt == attempts - 1:
                sends.labels(pacer.channel, "failed").inc()
                raise
            sends.labels(pacer.channel, "retried").inc()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)
    sends.labels(pacer.channel, "failed").inc()
    raise Transient("gave up after repeated 429 answers")
