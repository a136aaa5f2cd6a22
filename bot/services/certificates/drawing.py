"""QR pictures drawn in processes of their own.

Why: drawing a picture (zxing-cpp's encoder, PIL's text and PNG) holds the interpreter lock for ~3 ms, and the
service's Python work is bound to that one lock: drawn on a thread, every picture stalls the conversations for
its whole length (py-spy ``--gil``, ``bench/surge.py``: 13 % of the lock's time). Drawing processes run beside
them on the other cores: as many as cores, started when the service starts (:func:`start`) or else with the
first picture (``forkserver``: forking a process that runs threads is not safe), and ending by themselves once
the service is gone. If one dies, the next picture starts them again, and the picture it was drawing is drawn
here instead of being lost. Processes that cannot be started at all (a frozen or restricted
environment) leave the pictures to be drawn here, said once in the log.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.services.blobs import processes
from bot.services.certificates import qr_image
from bot.services.reference import vaccines

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_unable = False  # the drawing process could not be started: draw here from now on
FOLLOW_SECONDS = 1.0  # how often a drawing process looks whether the service still runs


def _warm(service: int) -> None:
    """In the new process: load the encoder and the fonts before the first picture waits for them, and follow
    the service that started it."""
    threading.Thread(target=_follow, args=(service,), name="sskdt-drawing-follow", daemon=True).start()
    qr_image.render("warm", level=vaccines.NONE, label="warm", name="warm")


def _follow(service: int) -> None:
    """End this drawing process once the service is gone. A service killed outright (SIGKILL, the OOM killer)
    cannot say so, and a pool's process waits for work forever: it, and the fork server it keeps alive, would
    outlive the service (seen: three processes, ~70 MB, after each killed worker)."""
    while not _service_gone(service):
        time.sleep(FOLLOW_SECONDS)
    os._exit(0)


def _service_gone(service: int) -> bool:
    """Whether the fork server this process came from no longer belongs to ``service`` (Linux: it is given to
    another parent when the service dies). Elsewhere this cannot be told, and the process stays."""
    try:
        with open(f"/proc/{os.getppid()}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1]) != service
    except (OSError, ValueError, IndexError):
        return False


def _shared() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # One a core: a burst of pictures (registrations finishing together) is drawn side by side.
            _pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_warm, initargs=(os.getpid(),),
                                        mp_context=processes.context())
        return _pool


def _ready() -> None:
    """A job that returns once its process has started and warmed up."""


def start(*, wait: bool = False) -> None:
    """Start the drawing processes now, on a thread of their own, so that the first pictures do not wait for them
    (~0.15 s on an idle machine, measured up to 2 s in the middle of a surge; ~0.9 s of both cores when the
    fork server first imports the service's main module). With ``wait``, return once they are ready."""
    with _lock:
        if _pool is not None or _unable:
            return
    if wait:
        _start_now()
    else:
        threading.Thread(target=_start_now, name="sskdt-drawing-start", daemon=True).start()


def _start_now() -> None:
    try:
        pool = _shared()
        for job in [pool.submit(_ready) for _ in range(os.cpu_count() or 1)]:
            job.result()
    except Exception:  # the first picture tries again, and falls back to drawing here if it must
        log.warning("the drawing processes did not start ahead of the first picture", exc_info=True)


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def render(text: str, *, level: str, label: str, name: str) -> bytes:
    """:func:`qr_image.render` in the drawing process (blocking the calling thread, not the others)."""
    global _unable
    if not _unable:
        pool = _shared()
        try:
            return pool.submit(qr_image.render, text, level=level, label=label, name=name).result()
        except BrokenProcessPool:
            log.warning("the drawing process ended; the next picture starts another")
            _discard(pool)
        except (OSError, RuntimeError):
            log.exception("the drawing process cannot be started: pictures are drawn in the service's process")
            _unable = True
            _discard(pool)
    return qr_image.render(text, level=level, label=label, name=name)


def drawing_pid() -> int | None:
    """The drawing process's id once it has started (tests end it to check a picture still arrives)."""
    with _lock:
        processes = dict(_pool._processes) if _pool is not None and _pool._processes else {}
    return next(iter(processes), None)
