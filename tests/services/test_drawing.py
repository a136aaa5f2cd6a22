"""QR pictures drawn in the drawing process: the same picture, and still drawn when that process dies."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import zxingcpp
from PIL import Image

from bot.services.certificates import drawing, qr_image
from bot.services.reference import vaccines
from tests.helpers import until

TEXT = "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH"


def _draw() -> bytes:
    return drawing.render(TEXT, level=vaccines.PARTIAL, label="ĐÃ TIÊM 1 MŨI", name="Nguyễn Thị Ánh Tuyết")


def _scanned(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_drawing_process_draws_the_same_picture() -> None:
    png = _draw()
    assert png == qr_image.render(TEXT, level=vaccines.PARTIAL, label="ĐÃ TIÊM 1 MŨI", name="Nguyễn Thị Ánh Tuyết")
    assert _scanned(png) == [TEXT]
    pid = drawing.drawing_pid()
    assert pid is not None and pid != os.getpid()


async def test_a_picture_still_arrives_when_the_drawing_process_dies() -> None:
    _draw()
    first = drawing.drawing_pid()
    assert first is not None
    os.kill(first, signal.SIGKILL)

    def drawn_by_a_new_process() -> bool:
        # Every picture arrives: on a surviving process, here while the death is noticed, or on a new process.
        assert _scanned(_draw()) == [TEXT]
        return drawing.drawing_pid() not in (None, first)

    await until(drawn_by_a_new_process, "a new drawing process to draw", seconds=20)


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


async def test_a_killed_service_leaves_no_drawing_process_behind() -> None:
    """SIGKILL (the OOM killer, a supervisor's last resort) gives the service no chance to stop its drawing
    processes: they notice by themselves and end, with the fork server they kept alive."""
    script = ("from bot.services.certificates import drawing\nfrom bot.services.reference import vaccines\n"
              "drawing.render('HC1:X', level=vaccines.NONE, label='CHƯA TIÊM', name='An')\n"
              "print(drawing.drawing_pid(), flush=True)\n"
              "import time; time.sleep(120)\n")
    service = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[2])
    try:
        assert service.stdout is not None
        drawer = int(service.stdout.readline())
        assert _running(drawer)
        service.kill()
        service.wait()
        await until(lambda: not _running(drawer), "the drawing process to end after its service", seconds=20)
    finally:
        service.kill()
        service.wait()
