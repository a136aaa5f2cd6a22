"""Reading QR codes from a photo (zxing-cpp; zbar as a second opinion when installed)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

# QR codes only, as a checkpoint reads them: the frame's label is text, which a 1D decoder may take for a
# barcode.
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


MAX_PIXELS = 40_000_000  # a phone's photo is 12-50 MP; beyond, decoding it costs more than it can show


class PictureTooLarge(Exception):
    """A picture with more pixels than :data:`MAX_PIXELS` (its header is read, its pixels never decoded)."""


def read_codes(data: bytes) -> list[str]:
    """The QR texts in a picture; raises :class:`PictureTooLarge` before decoding one too large."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise PictureTooLarge
        image.load()
    except Image.DecompressionBombError:
        raise PictureTooLarge from None
    except (UnidentifiedImageError, OSError, ValueError):
        return []
    found = [r.text for r in zxingcpp.read_barcodes(image, formats=QR_ONLY) if r.text]
    if found:
        return found
    try:
        from pyzbar import pyzbar
    except ImportError:  # zbar is optional at run time
        return []
    decoded = pyzbar.decode(image.convert("L"), symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [r.data.decode("utf-8", "replace") for r in decoded]
