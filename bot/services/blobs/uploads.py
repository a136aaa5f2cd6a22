"""Files people send, read apart from the conversations and within bounds.

A spreadsheet is a zip of XML: 394 KB can unpack to 400 MB, and a 4.8 KB sheet can claim a million rows of
16,384 columns. Read on the threads that hash passwords, two such files held a citizen's log-in for 37 s and
took the server from 205 MB to 3.4 GB. So an upload is

- bounded before it is parsed (:func:`check_zip`: its size, the size and ratio of what it unpacks to), and while
  it is parsed (columns, characters of a cell, rows: :mod:`bot.services.vaccination.site_records`);
- read in a process of its own (:class:`UploadPool`), one file at a time with :data:`QUEUE` more waiting, each
  process capped at :data:`MEMORY_BYTES` of memory and :data:`CPU_SECONDS` of CPU: whatever a file does, the
  conversations' process and its threads do not feel it, and a file past a cap is answered with a reason.
"""

from __future__ import annotations

import io
import logging
import resource
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.services.blobs import processes
from bot.services.values.errors import Invalid

log = logging.getLogger(__name__)

MAX_RATIO = 200  # a part this many times larger than it is packed is a bomb, not a sheet (sheets: 5-50×)
MAX_PARTS = 500


@dataclass(frozen=True, slots=True)
class Bounds:
    """What a file may be: its size, and what its parts unpack to."""

    file_bytes: int
    unpacked_bytes: int


CHAT = Bounds(20 * 1024 * 1024, 64 * 1024 * 1024)  # what a messenger carries (Telegram's bots: 20 MB)
# ``sskdt dose import`` on the server, by its operator: a province's whole sheet, still no bomb.
SERVER = Bounds(2 * 1024 * 1024 * 1024, 4 * 1024 * 1024 * 1024)
MEMORY_BYTES = 1024 * 1024 * 1024
CPU_SECONDS = 30
QUEUE = 2  # files waiting behind the one being read; more: "busy", at once


class TooCostly(Invalid):
    """A file refused for what reading it would cost, with the reason for the person who sent it."""


def check_size(data: bytes, bounds: Bounds = CHAT) -> None:
    if len(data) > bounds.file_bytes:
        raise TooCostly("import.file_too_large", mb=bounds.file_bytes // (1024 * 1024))


def check_zip(data: bytes, bounds: Bounds = CHAT) -> None:
    """A spreadsheet's parts, before anything is unpacked: how many, how large, how compressed."""
    check_size(data, bounds)
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Invalid("import.not_a_table") from None
    too_large = TooCostly("import.unpacks_too_large", mb=bounds.unpacked_bytes // (1024 * 1024))
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > bounds.unpacked_bytes:
        raise too_large
    for part in parts:
        if part.file_size > 1024 * 1024 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise too_large


def _capped() -> None:
    """In the reading process: its memory and CPU capped (a cap reached ends the process, not the service)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))


class UploadPool(Executor):
    """One process a file (a fresh one each time: the caps count from zero), :data:`QUEUE` waiting at most. A
    file that ends its process or raises is answered ``on_failure()`` instead: a reason, never an error."""

    def __init__(self, on_failure: Callable[[str], Any]) -> None:
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sskdt-uploads")
        self._busy = 0

    def _processes(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, initializer=_capped, max_tasks_per_child=1,
                                             mp_context=processes.context())
        return self._pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        answer: Future[Any] = Future()
        with self._lock:
            if self._busy > QUEUE:
                answer.set_result(self._on_failure("import.busy"))
                return answer
            self._busy += 1
            try:
                inner = self._processes().submit(fn, *args, **kwargs)
            except Exception:  # a pool broken by an earlier file: a new one for this file
                self._pool = None
                try:
                    inner = self._processes().submit(fn, *args, **kwargs)
                except Exception:  # no process can be started here (a restricted host): read on a thread,
                    log.warning("uploads are read without a process of their own: no process could be started")
                    inner = self._threads.submit(fn, *args, **kwargs)  # still within the readers' own bounds

        def done(inner: Future[Any]) -> None:
            with self._lock:
                self._busy -= 1
            error = inner.exception()
            if error is None:
                answer.set_result(inner.result())
                return
            # Past a cap the process is killed (SIGXCPU) or cannot allocate: the pool is broken, or MemoryError.
            log.warning("an upload could not be read: %s", type(error).__name__)
            with self._lock:
                broken, self._pool = self._pool, None
            if broken is not None:
                broken.shutdown(wait=False)
            answer.set_result(self._on_failure("import.too_costly"))

        inner.add_done_callback(done)
        return answer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._threads.shutdown(wait=wait, cancel_futures=cancel_futures)
