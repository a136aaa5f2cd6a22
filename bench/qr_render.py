"""QR rendering: fresh render time per status (median, p99), the encoders we compared, and the cached path.

    .venv/bin/python bench/qr_render.py [rounds]      → table on stdout, bench/results/qr.json

The encoder rows keep the reason we render with zxing-cpp rather than `qrcode` or segno in the table.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import segno
from PIL import Image

from bot.services.blobs.media import MediaStore
from bot.services.certificates import qr_image

# An HC1 certificate of the size we issue (one vaccination entry): 531 characters.
HC1 = ("HC1:" + "6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEPWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHA" * 9)[:531]
LABELS = {"none": "CHƯA TIÊM", "partial": "ĐÃ TIÊM 1 MŨI", "complete": "ĐÃ TIÊM ĐỦ LIỀU · 2 MŨI"}


def timed(fn: Callable[[], object], rounds: int) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e3)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))]}


def segno_png(mask: int | None) -> bytes:
    out = io.BytesIO()
    segno.make(HC1, error="m", micro=False, mask=mask, boost_error=False).save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def qrcode_png(mask: int | None) -> bytes:
    """The `qrcode` package (the product card's name): its default searches all 8 masks; ``mask_pattern`` fixes one."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=4, mask_pattern=mask)
    code.add_data(HC1)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def main(rounds: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for level, label in LABELS.items():
        results[f"fresh {level} (zxing-cpp encoder, framed, PNG)"] = timed(
            partial(qr_image.render, HC1, level=level, label=label, name="Nguyễn Thị Ánh Tuyết"), rounds
        )
    results["symbol only: zxing-cpp encoder"] = timed(lambda: qr_image.symbol(HC1), rounds)
    results["symbol only: segno, fixed mask, plain PNG"] = timed(lambda: segno_png(0), rounds)
    results["symbol only: segno, best of 8 masks, plain PNG"] = timed(lambda: segno_png(None), max(rounds // 4, 5))
    results["symbol only: qrcode, fixed mask, plain PNG"] = timed(lambda: qrcode_png(0), max(rounds // 4, 5))
    results["symbol only: qrcode, best of 8 masks (its default), plain PNG"] = timed(
        lambda: qrcode_png(None), max(rounds // 4, 5))
    media = MediaStore(Path(tempfile.mkdtemp()), b"k" * 32)
    png = qr_image.render(HC1, level="complete", label=LABELS["complete"], name="Nguyễn Thị Ánh Tuyết")
    token = media.token("credential-id")
    media.put(token, png)
    results["cached (read from the media store)"] = timed(lambda: media.get(token), rounds)
    size = Image.open(io.BytesIO(png)).size
    width = max(len(k) for k in results)
    print(f"{'path':<{width}}  median ms  p99 ms")
    for name, r in results.items():
        print(f"{name:<{width}}  {r['median_ms']:9.2f}  {r['p99_ms']:6.2f}")
    print(f"image {size[0]}×{size[1]} px, {len(png):,} bytes")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "qr.json").write_text(json.dumps({"results": results, "image_px": size, "png_bytes": len(png)}, indent=2))
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
