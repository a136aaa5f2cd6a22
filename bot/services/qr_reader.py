"""Reading QR codes from a photo (zxing-cpp; zbar as a second opinion when installed)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError


def read_codes(data: bytes) -> list[str]:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError):
        return []
    found = [r.text for r in zxingcpp.read_barcodes(image) if r.text and r.format == zxingcpp.BarcodeFormat.QRCode]
    if found:
        return found
    try:
        from pyzbar import pyzbar
    except ImportError:  # zbar is optional at run time
        return []
    return [r.data.decode("utf-8", "replace") for r in pyzbar.decode(image.convert("L"))]
