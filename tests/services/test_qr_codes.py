"""What the QR picture and its caption say: the label is always Vietnamese, the caption the chat's language."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.services.certificates import qr_codes, qr_image
from bot.services.certificates.credentials import Issued
from bot.services.reference import vaccines


def _issued(level: str, doses: int) -> Issued:
    return Issued("id", 1, "hc1", "HC1:x", doses, level, "Nguyễn Văn An")


def test_label_is_vietnamese_with_the_dose_count() -> None:
    assert qr_codes.label(_issued(vaccines.NONE, 0)) == "CHƯA TIÊM"
    assert "1 MŨI" in qr_codes.label(_issued(vaccines.PARTIAL, 1))
    assert qr_codes.label(_issued(vaccines.COMPLETE, 2)).startswith("ĐÃ TIÊM ĐỦ LIỀU")


def test_caption_follows_the_chat_language_and_names_the_person() -> None:
    assert "Nguyễn Văn An" in qr_codes.caption("en", _issued(vaccines.PARTIAL, 1))
    assert qr_codes.caption("en", _issued(vaccines.NONE, 0)) != qr_codes.caption("vi", _issued(vaccines.NONE, 0))


def _rgb(pixel: object) -> tuple[int, int, int]:
    assert isinstance(pixel, tuple) and len(pixel) == 3
    return int(pixel[0]), int(pixel[1]), int(pixel[2])


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("level", [vaccines.NONE, vaccines.PARTIAL, vaccines.COMPLETE])
def test_the_frame_label_is_readable_on_every_colour(level: str) -> None:
    """WCAG contrast of at least 4.5:1 between the label's text and its frame, read off the rendered picture."""
    png = qr_image.render("HC1:TEST", level=level, label="ĐÃ TIÊM 1 MŨI", name="Nguyễn Văn An")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    band = image.crop((qr_image.FRAME_PX, 0, image.width - qr_image.FRAME_PX, qr_image.BAND_PX))
    colours = [_rgb(colour) for _, colour in band.getcolors(maxcolors=1 << 16) or []]
    frame = _rgb(band.getpixel((2, 2)))
    ink = max(colours, key=lambda c: _contrast(c, frame))  # the text's solid pixels
    assert _contrast(ink, frame) >= 4.5, (level, frame, ink)


def test_a_chat_in_english_gets_the_label_in_english_beside_the_vietnamese_the_officer_reads() -> None:
    assert qr_codes.label(_issued(vaccines.NONE, 0), "en") == "CHƯA TIÊM\nNOT VACCINATED"
    assert qr_codes.label(_issued(vaccines.COMPLETE, 2), "en").endswith("\nFULLY VACCINATED · 2 DOSES")
