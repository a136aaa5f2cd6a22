"""The QR picture: black modules on white with a 4-module quiet zone, inside a thick frame whose colour
and label say the status, with the person's name under the code.

Fast path (measured in bench/qr_render.py): zxing-cpp's encoder (~2 ms; segno needs ~13 ms even with a
fixed mask, ~49 ms with its mask search), one 8-bit canvas whose palette maps 0 → black, 255 → white,
128 → the frame colour, 129–254 → the blend of frame and white that anti-aliased white text needs and
1–127 the blend of black and frame for dark text (on amber), and a
fast PNG deflate. CPU work all the same: callers run it off the event loop and cache it per credential.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from bot.services.reference.vaccines import LOOKS

FONT = Path(__file__).with_name("fonts") / "DejaVuSans-Bold.ttf"
MODULE_PX = 6
FRAME_PX = 28
BAND_PX = 80
MAX_SIDE = 1280
FRAME_INDEX = 128


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


@cache
def _palette(frame_hex: str) -> list[int]:
    frame = [int(frame_hex[i : i + 2], 16) for i in (1, 3, 5)]
    palette = [0, 0, 0] * 256
    for index in range(1, FRAME_INDEX):
        t = index / FRAME_INDEX
        palette[index * 3 : index * 3 + 3] = [round(c * t) for c in frame]
    for index in range(FRAME_INDEX, 256):
        t = (index - FRAME_INDEX) / (255 - FRAME_INDEX)
        palette[index * 3 : index * 3 + 3] = [round(c + (255 - c) * t) for c in frame]
    return palette


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, size: int) -> ImageFont.FreeTypeFont:
    while size > 12 and draw.textlength(text, font=_font(size)) > width:
        size -= 2
    return _font(size)


def symbol(text: str, module_px: int = MODULE_PX) -> Image.Image:
    """The bare code, black on white, 4-module quiet zone included, ``module_px`` pixels a module."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    pixels = memoryview(barcode.to_image(scale=module_px, add_quiet_zones=True))
    assert pixels.shape is not None
    height, width = pixels.shape
    return Image.frombuffer("L", (width, height), bytes(pixels))


def render(text: str, *, level: str, label: str, name: str) -> bytes:
    """PNG bytes, at most 1280 px on a side."""
    code = symbol(text)
    if code.width + 2 * FRAME_PX > MAX_SIDE:
        code = symbol(text, module_px=2)
    width, height = code.width + 2 * FRAME_PX, code.height + 2 * BAND_PX
    canvas = Image.new("L", (width, height), FRAME_INDEX)
    canvas.paste(code, (FRAME_PX, BAND_PX))
    draw = ImageDraw.Draw(canvas)
    inner = width - 2 * FRAME_PX
    ink = 0 if LOOKS[level].dark_text else 255
    first, _, second = label.partition("\n")  # a second line: the chat's own language under the Vietnamese
    if second:
        draw.text((width / 2, BAND_PX * 0.36), first, font=_fit(draw, first, inner, 36), fill=ink, anchor="mm")
        draw.text((width / 2, BAND_PX * 0.78), second, font=_fit(draw, second, inner, 24), fill=ink, anchor="mm")
    else:
        draw.text((width / 2, BAND_PX / 2), label, font=_fit(draw, label, inner, 44), fill=ink, anchor="mm")
    draw.text((width / 2, height - BAND_PX / 2), name, font=_fit(draw, name, inner, 36), fill=ink, anchor="mm")
    image = Image.frombuffer("P", canvas.size, canvas.tobytes())
    image.putpalette(_palette(LOOKS[level].frame))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
