"""Reading QR codes from a photo (zxing-cpp; zbar as a second opinion when installed)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

# QR codes only, as a checkpoint reads them: the frame's label is text, which a 1D decoder may take for a
# barcode.
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def read_codes(data: bytes) -> list[str]:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError):
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
