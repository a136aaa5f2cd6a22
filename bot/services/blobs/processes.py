"""The service's helper processes (QR drawing, reading uploads) come from one fork server, which has imported what
they run: a new process then starts in milliseconds instead of importing for ~0.45 s (a fresh process reads each
upload, so that its memory and CPU caps count from zero)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import ForkServerContext

PRELOAD = ["bot.services.certificates.qr_image", "bot.services.vaccination.site_records"]


def context() -> ForkServerContext:
    found = multiprocessing.get_context("forkserver")
    found.set_forkserver_preload(PRELOAD)  # taken when the fork server starts (the first process), else ignored
    return found
