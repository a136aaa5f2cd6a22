"""The checkpoint scanner page in a real headless Chromium (Debian's): its verifier gives the server's verdict for
every kind of code, a fake camera's video is read and judged, and the page works with the network off."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
from cryptography import x509
from playwright.async_api import async_playwright
from sqlalchemy import insert, update

from bot.app import App
from bot.services.access import staff
from bot.services.certificates import cose, credentials, keys, qr_image
from bot.services.certificates.keys import SigningKey
from bot.services.values.dates import utcnow
from models.tables import Credential, table
from tests.channels.test_webchat_page import CHROMIUM, FLAGS
from tests.factories import registered, staff_member
from tests.helpers import Chat

HC1, CARD = credentials.HC1, credentials.CARD


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return CHROMIUM


# ---- a set of codes: every colour, every way a code is not valid ----------------------------------------------

def _claims(level: str, *, iat: int | None = None, exp: int | None = None,
            ci: str = "URN:UVCI:01:VN:TEST") -> dict[Any, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[Any, Any] = {credentials.CLAIM_ISS: "VN", credentials.CLAIM_IAT: now - 60 if iat is None else iat,
                              credentials.CLAIM_EXP: now + 86_400 if exp is None else exp}
    body: dict[str, Any] = {"ver": "1.3.0", "nam": {"fn": "NGUYEN", "gn": "VAN AN"}, "dob": "1959-03-05"}
    if level == "none":
        body["id"] = ci
        claims[credentials.CLAIM_CARD] = body
    else:
        dn = 1 if level == "partial" else 2
        body["v"] = [{"tg": "840539006", "dn": dn, "sd": 2, "dt": "2026-10-01", "co": "VN", "ci": ci}]
        claims[credentials.CLAIM_HCERT] = {1: body}
    return claims


def _signed(claims: dict[Any, Any], key: SigningKey, *, card: bool = False, kid: bytes | None = None) -> str:
    return cose.wrap(CARD if card else HC1, cose.sign(cbor2.dumps(claims), key.private, kid or key.kid))


def _resigned(text: str, change: Callable[[list[Any]], None]) -> str:
    """The same code with its COSE message changed and not signed again."""
    prefix = CARD if text.startswith(CARD) else HC1
    message = cbor2.loads(zlib.decompress(base45.b45decode(text[len(prefix):])))
    parts = list(message.value)
    change(parts)
    encoded: bytes = base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, parts))))
    return prefix + encoded.decode()


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def codes(real: SigningKey, development: SigningKey, other: SigningKey) -> dict[str, str]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    valid = _signed(_claims("complete"), real)

    def tampered(parts: list[Any]) -> None:
        claims = cbor2.loads(parts[2])
        claims[credentials.CLAIM_HCERT][1]["nam"]["fn"] = "TRAN"
        parts[2] = cbor2.dumps(claims)

    def body_of(change: Callable[[dict[str, Any]], None]) -> str:
        claims = _claims("complete")
        change(claims[credentials.CLAIM_HCERT][1])
        return _signed(claims, real)

    return {
        "valid none": _signed(_claims("none"), real, card=True),
        "valid partial": _signed(_claims("partial"), real),
        "valid complete": valid,
        "expired": _signed(_claims("complete", exp=now - 3600), real),
        "not yet valid": _signed(_claims("complete", iat=now + 86_400), real),
        "tampered": _resigned(valid, tampered),
        "other key": _signed(_claims("complete"), other),
        "other key, our kid": _signed(_claims("complete"), other, kid=real.kid),
        "development key": _signed(_claims("partial"), development),
        "replaced": _signed(_claims("complete", ci="URN:UVCI:01:VN:OLD"), real),
        "revoked": _signed(_claims("none", ci="SSKDT:GONE"), real, card=True),
        "huge dose number": body_of(lambda b: b["v"][0].update(dn=2**64)),
        "dose number a float": body_of(lambda b: b["v"][0].update(dn=1.5)),
        "dose number true": body_of(lambda b: b["v"][0].update(dn=True)),
        "dose number none": body_of(lambda b: b["v"][0].update(dn=None)),
        "huge expiry": _signed(_claims("complete", exp=2**70), real),
        "names a list": body_of(lambda b: b.update(nam=["NGUYEN"])),
        "doses a map": body_of(lambda b: b.update(v={"dn": 1})),
        "a dose a string": body_of(lambda b: b.update(v=["dn"])),
        "deep nesting": body_of(lambda b: b.update(extra=_nested(40))),
        "headers a list": _resigned(valid, lambda p: p.__setitem__(1, [1, 2])),
        "signature a number": _resigned(valid, lambda p: p.__setitem__(3, 7)),
        "short signature": _resigned(valid, lambda p: p.__setitem__(3, p[3][:10])),
        "not a map": _resigned(valid, lambda p: p.__setitem__(2, cbor2.dumps([1, 2, 3]))),
        "not base45": HC1 + "!!!!",
        "not zlib": HC1 + base45.b45encode(b"not compressed at all").decode(),
        "not cbor": HC1 + base45.b45encode(zlib.compress(b"\xff\xff\xff")).decode(),
        "no prefix": valid[len(HC1):],
        "empty": "",
    }


def server_verdicts(texts: dict[str, str], trusted: dict[bytes, x509.Certificate],
                    withdrawn: dict[str, list[str]]) -> dict[str, str]:
    """What the server says of each (credentials.check with these withdrawn lists, checkpoint_kind)."""
    out = {}
    for name, text in texts.items():
        verdict = credentials.verify(text, trusted)
        if verdict.valid and verdict.credential_id:
            digest = credentials.withdrawal_hash(verdict.credential_id)
            if digest in withdrawn[credentials.REVOKED]:
                verdict.valid, verdict.reason = False, credentials.REVOKED
            elif digest in withdrawn[credentials.SUPERSEDED]:
                verdict.valid, verdict.reason = False, credentials.SUPERSEDED
        out[name] = credentials.checkpoint_kind(verdict, trusted)
    return out


@pytest.fixture(scope="module")
def signers(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, SigningKey, SigningKey]:
    base = tmp_path_factory.mktemp("keys")
    real = keys.generate(base / "real", issuer="Sở Y tế (test)")
    development = keys.generate(base / "dev", issuer=keys.DEVELOPMENT_ISSUER)
    other = keys.generate(base / "other", issuer="Someone else")
    return real, development, other


async def test_the_browser_gives_the_servers_verdict_for_every_code(
        chromium: str, web_base_url: str, signers: tuple[SigningKey, SigningKey, SigningKey]) -> None:
    real, development, other = signers
    trusted = {real.kid: real.certificate, development.kid: development.certificate}
    withdrawn = {credentials.SUPERSEDED: [credentials.withdrawal_hash("URN:UVCI:01:VN:OLD")],
                 credentials.REVOKED: [credentials.withdrawal_hash("SSKDT:GONE")]}
    texts = codes(real, development, other)
    expected = server_verdicts(texts, trusted, withdrawn)
    assert expected["valid complete"] == "valid" and expected["replaced"] == "superseded"
    assert expected["revoked"] == "revoked" and expected["development key"] == "development"
    assert expected["other key"] == "unknown_issuer" and expected["tampered"] == "forged"
    assert {expected[k] for k in ("huge dose number", "names a list", "deep nesting", "headers a list",
                                  "signature a number")} == {"forged"}
    data = {"keys": keys.scanner_keys(trusted), **withdrawn}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(web_base_url + "/kiemtra")
        got = await page.evaluate(
            """async ([texts, data]) => {
                 const trust = await SSKDTVerify.trustFrom(data), out = {};
                 for (const [name, text] of Object.entries(texts)) {
                   out[name] = (await SSKDTVerify.verify(text, trust)).kind;
                 }
                 return out;
               }""", [texts, data])
        await browser.close()
    assert got == expected


# ---- the camera: a video of a phone screen showing a code, held at an angle, moving in, blurred ---------------

def camera_video(png: bytes, path: Path, *, width: int = 640, height: int = 480, frames: int = 24) -> Path:
    """A Y4M file for Chromium's fake camera: two empty frames (a table), then the code on a phone's screen tilted
    in perspective, growing as it is brought closer, each frame through JPEG at quality 35 (a camera's blur)."""
    import io

    from PIL import Image, ImageDraw, ImageFilter

    code = Image.open(io.BytesIO(png)).convert("RGB")
    out = [f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()]
    for n in range(frames):
        frame = Image.new("RGB", (width, height), (92, 84, 76))
        draw = ImageDraw.Draw(frame)
        draw.rectangle((0, height * 0.7, width, height), fill=(120, 110, 100))
        if n >= 2:
            size = int(min(width, height) * (0.35 + 0.2 * min(1.0, (n - 2) / 10)))
            phone = Image.new("RGB", (size + 24, int(size * 1.35)), (20, 20, 20))
            phone.paste(code.resize((size, int(size * code.height / code.width))), (12, 30))
            # Held at an angle: the top edge narrower than the bottom (a perspective), turned a little.
            w, h = phone.size
            tilt = 0.12 * w
            coeffs = _perspective([(tilt, 0), (w - tilt, 0), (w, h), (0, h)], [(0, 0), (w, 0), (w, h), (0, h)])
            phone = phone.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                                    fillcolor=(92, 84, 76)).rotate(8, expand=True, fillcolor=(92, 84, 76))
            frame.paste(phone, ((width - phone.width) // 2 + 20, max(0, (height - phone.height) // 2)))
        frame = frame.filter(ImageFilter.GaussianBlur(0.8))
        buffer = io.BytesIO()
        frame.save(buffer, "JPEG", quality=35)
        frame = Image.open(buffer).convert("YCbCr")
        y, cb, cr = frame.split()
        half = (width // 2, height // 2)
        out += [b"FRAME\n", y.tobytes(), cb.resize(half).tobytes(), cr.resize(half).tobytes()]
    path.write_bytes(b"".join(out))
    return path


def _perspective(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """PIL's 8 coefficients mapping ``target`` corners to ``source`` corners (an 8×8 system, solved by hand)."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    for col in range(8):  # Gauss–Jordan with partial pivoting
        pivot = max(range(col, 8), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [value / lead for value in rows[col]]
        for r in range(8):
            if r != col and rows[r][col]:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [row[8] for row in rows]


async def scanner_link(app: App) -> str:
    """A checker's one-time link for a phone, from "Máy quét kiểm dịch" in the chat."""
    checker = await staff_member(app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra")
    await checker.press("staff:scanner")
    found = re.search(r"/kiemtra/mo/\S+", checker.text)
    assert found, checker.text
    return found.group(0)


CAMERA_CASES = {  # a code on the phone's screen → what the checkpoint's screen says
    "valid complete": "valid", "valid none": "valid", "replaced": "superseded", "development key": "development",
    "tampered": "forged",
}


@pytest.mark.parametrize("case", list(CAMERA_CASES))
async def test_the_camera_reads_a_code_and_the_verdict_shows_online_then_offline(
        case: str, chromium: str, sqlite_app: App, web_base_url: str, tmp_path: Path,
        signers: tuple[SigningKey, SigningKey, SigningKey]) -> None:
    real, development, other = signers
    trusted = sqlite_app.engine.services.trusted
    trusted[real.kid] = real.certificate  # the province's key beside the app's own (a development key)
    trusted[development.kid] = development.certificate
    citizen = Chat(sqlite_app.engine, "citizen")
    await registered(citizen)
    with sqlite_app.store.engine.begin() as conn:  # the replaced code's id, replaced in the database
        now = utcnow()
        conn.execute(insert(table(Credential)).values(
            id="URN:UVCI:01:VN:OLD", person_id=1, kind="hc1", dose_count=2, level="complete", qr_text="-",
            issued_at=now - dt.timedelta(days=30), expires_at=now + dt.timedelta(days=300), superseded_at=now))
    text = codes(real, development, other)[case]
    level = "none" if case == "valid none" else "partial" if case == "development key" else "complete"
    video = camera_video(qr_image.render(text, level=level, label="QR", name="Nguyen Van An"), tmp_path / "cam.y4m")
    link = await scanner_link(sqlite_app)
    camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=[*FLAGS, *camera])
        context = await browser.new_context(viewport={"width": 390, "height": 844}, permissions=["camera"])
        page = await context.new_page()
        await page.goto(web_base_url + link)  # signed in, then the scanner
        assert page.url.endswith("/kiemtra")
        shown = "() => !document.getElementById('verdict').hidden"
        await page.wait_for_function(shown, timeout=20_000)
        assert await page.get_attribute("#verdict", "data-kind") == CAMERA_CASES[case]
        online = await page.evaluate("window.sskdtTimings[0]")
        await page.screenshot(path=str(tmp_path / f"{case}.png"))
        assert await page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")  # the page kept

        await context.set_offline(True)  # the network off, after one visit: the page, decoder and data kept
        await page.reload()
        await page.wait_for_function(shown, timeout=20_000)
        assert await page.get_attribute("#verdict", "data-kind") == CAMERA_CASES[case]
        assert "ngoại tuyến" in await page.inner_text("header")
        offline = await page.evaluate("window.sskdtTimings[0]")
        await page.screenshot(path=os.environ.get("SSKDT_SCREENSHOT_DIR", str(tmp_path)) + f"/verdict-{case}.png")
        await browser.close()
    if os.environ.get("SSKDT_BENCH_OUT"):  # bench/scanner.py collects the timings; the test asserts none
        with open(os.environ["SSKDT_BENCH_OUT"], "a", encoding="utf-8") as out:
            out.write(json.dumps({"case": case, "online": online, "offline": offline}) + "\n")


async def test_a_screenshot_picked_from_the_phone_is_judged_too(chromium: str, sqlite_app: App, web_base_url: str,
                                                                tmp_path: Path) -> None:
    """"Chọn ảnh": the citizen's own QR picture as the chat sent it (this app signs with a development key)."""
    citizen = Chat(sqlite_app.engine, "citizen")
    await registered(citizen)
    with sqlite_app.store.engine.connect() as conn:
        issued = credentials.current(conn, 1)
    assert issued is not None
    picture = tmp_path / "screenshot.png"
    picture.write_bytes(qr_image.render(issued.text, level=issued.level, label="CHƯA TIÊM", name=issued.full_name))
    link = await scanner_link(sqlite_app)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=FLAGS)  # no camera at all
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(web_base_url + link)
        await page.wait_for_function("() => window.sskdtData !== undefined")  # the data synced
        await page.set_input_files("#photo", str(picture))
        await page.wait_for_function("() => !document.getElementById('verdict').hidden", timeout=20_000)
        assert await page.get_attribute("#verdict", "data-kind") == "development"
        assert "Nguyễn Văn An" in await page.inner_text("#verdict")
        assert "dữ liệu cập nhật vừa xong" in await page.inner_text("header")
        await browser.close()


async def test_a_sync_adds_what_was_withdrawn_since_and_keeps_the_whole_offline(
        chromium: str, sqlite_app: App, web_base_url: str, tmp_path: Path) -> None:
    """The service worker asks only for what was withdrawn since the list it kept, adds it to that list, and the
    page (online or not) judges with the whole: a code replaced before the first sync and one replaced after are
    both refused."""
    citizen = Chat(sqlite_app.engine, "citizen")
    await registered(citizen)
    key = sqlite_app.engine.services.signing_key
    with sqlite_app.store.engine.begin() as conn:
        first = credentials.current(conn, 1)
        credentials.issue(conn, 1, key)  # replaced two hours before the device's first sync
        second = credentials.current(conn, 1)
        assert first is not None and second is not None
        conn.execute(update(table(Credential)).where(table(Credential).c.id == first.id)
                     .values(superseded_at=utcnow() - dt.timedelta(hours=2)))
    picture = tmp_path / "second.png"
    picture.write_bytes(qr_image.render(second.text, level=second.level, label="QR", name=second.full_name))
    link = await scanner_link(sqlite_app)
    synced = "() => window.sskdtData !== undefined"
    kept_list = ("caches.open('sskdt-kiemtra-v1').then(c => c.match('/kiemtra/data.json'))"
                 ".then(r => r ? r.json() : {superseded: []})")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=FLAGS)
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        await page.goto(web_base_url + link)
        await page.wait_for_function(synced)
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the worker keeps the whole list
        await page.wait_for_function(f"() => {kept_list}.then(d => d.superseded.length === 1)")
        assert (await page.evaluate(kept_list))["superseded"] == [credentials.withdrawal_hash(first.id)]
        with sqlite_app.store.engine.begin() as conn:
            credentials.issue(conn, 1, key)  # the second replaced after it
        await page.reload()  # the page syncs through the worker now: only what changed is asked for
        await page.wait_for_function(synced)
        kept = await page.evaluate(kept_list)
        assert kept["full"] is False  # a delta (the second only), added to what was kept (the first)
        assert set(kept["superseded"]) == {credentials.withdrawal_hash(c.id) for c in (first, second)}
        assert await page.evaluate("window.sskdtData.superseded") == 2
        await context.set_offline(True)
        await page.reload()
        await page.wait_for_function(synced)
        await page.set_input_files("#photo", str(picture))
        await page.wait_for_function("() => !document.getElementById('verdict').hidden", timeout=20_000)
        assert await page.get_attribute("#verdict", "data-kind") == "superseded"
        await browser.close()
