"""``sskdt run --workers N``: N worker processes serving one port, watched by this one.

    sskdt run --workers 2
      ├─ prepare (once, before any worker starts): migrations, demo sites, the data directory's secrets
      ├─ worker 0  ─┐  each: the whole service on SO_REUSEPORT; per-chat order by the conversation's row lock,
      ├─ worker 1  ─┘  a repeated update applied once (its key); one of them leads (bot/leadership.py)
      └─ watches: a worker that exits is started again (after 1 s, longer if it keeps failing)

Several machines run one ``sskdt run`` each against the same PostgreSQL; the load balancer spreads requests.
Counts for Prometheus are added up across the workers of a machine (prometheus-client's multiprocess mode);
worker 0 serves them.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from bot.config import Settings

log = logging.getLogger("sskdt.workers")
WORKER_INDEX = "SSKDT_WORKER_INDEX"
CHECK_EVERY = 0.5
MAX_BACKOFF = 30.0


def refusal(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve these settings, said plainly (None: they can)."""
    from models.db import is_sqlite

    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    if is_sqlite(settings.effective_database_url):
        return ("--workers > 1 needs PostgreSQL (SSKDT_DATABASE_URL): SQLite has one writer, a second process only "
                "waits for it")
    polling = [name for name, token, hook in (("Telegram", settings.telegram_token, settings.telegram_webhook_url),
                                              ("Zalo", settings.zalo_token, settings.zalo_webhook_url))
               if token and not hook]
    if polling:
        return (f"--workers > 1 needs webhooks: {' and '.join(polling)} would be polled by every worker at once "
                "(set SSKDT_TELEGRAM_WEBHOOK_URL / SSKDT_ZALO_WEBHOOK_URL, or run one worker)")
    return None


def supervise(settings: Settings, workers: int, argv: list[str]) -> int:
    problem = refusal(settings, workers)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from bot.app import build

    # Once, before any worker: migrations, the demo sites of an empty database, the secrets and keys of a new
    # data directory (two workers creating them at once would collide).
    build(settings).close()
    metrics_dir = Path(tempfile.mkdtemp(prefix="sskdt-metrics-"))
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start(index: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "bot", *argv], env={**env, WORKER_INDEX: str(index)})

    procs = {i: start(i) for i in range(workers)}
    started = dict.fromkeys(procs, time.monotonic())
    backoff = dict.fromkeys(procs, 1.0)
    due: dict[int, float] = {}
    log.info("%d workers started", workers)
    try:
        while not stopping:
            time.sleep(CHECK_EVERY)
            now = time.monotonic()
            for index, proc in list(procs.items()):
                code = proc.poll()
                if code is None or index in due:
                    continue
                _forget_metrics(metrics_dir, proc.pid)
                # A worker that ran a while gets a quick restart; one that keeps dying, a slower one each time.
                backoff[index] = 1.0 if now - started[index] > 60 else min(backoff[index] * 2, MAX_BACKOFF)
                due[index] = now + backoff[index]
                log.error("worker %d exited (code %s); starting it again in %.0f s", index, code, backoff[index])
            for index, when in list(due.items()):
                if now >= when and not stopping:
                    procs[index] = start(index)
                    started[index] = now
                    del due[index]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _forget_metrics(directory: Path, pid: int) -> None:
    """A dead worker's gauges no longer count (its counters still do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
