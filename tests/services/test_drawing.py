"""QR pictures drawn in the drawing process: the same picture, and still drawn when that process dies."""

from __future__ import annotations

import io
import os
import signal

import zxingcpp
from PIL import Image

from bot.services import drawing, qr_image, vaccines

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


def test_a_picture_still_arrives_when_the_drawing_process_dies() -> None:
    _draw()
    first = drawing.drawing_pid()
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert _scanned(_draw()) == [TEXT]  # drawn here while the dead process is noticed
    assert _scanned(_draw()) == [TEXT]  # and by a new drawing process after it
    second = drawing.drawing_pid()
    assert second is not None and second != first
