"""Signed credentials: they scan, they verify with an independent COSE implementation, tampering is caught,
and real EU DCC test certificates go through our verifier as their test set expects."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cwt import COSE, COSEKey
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol
from sqlalchemy import insert

from bot.services.certificates import cose, credentials, keys, qr_image
from bot.services.certificates.keys import SigningKey
from bot.services.certificates.qr_reader import QR_ONLY
from bot.services.reference import vaccines
from bot.services.values.dates import utcnow
from models.db import make_engine
from models.migrate import upgrade
from models.tables import Account, Dose, Person, table

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "dcc" / "samples.jsonl"
# Upstream samples whose JSON disagrees with their own CBOR field (a different person, or shifted times):
# the signed payload is right and the JSON is wrong, so "payload equals JSON" must fail for them.
INCONSISTENT_UPSTREAM = {
    "FR/2DCode/raw/test_pcr_ok.json", "PL/1.3.0/2DCode/raw/1.json", "PL/1.3.0/2DCode/raw/5.json",
}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return keys.generate(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def issued(key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> dict[str, credentials.Issued]:
    """One person per status: no dose, one AstraZeneca dose, two doses (mixed course)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'c.db'}")
    upgrade(str(engine.url))
    out = {}
    with engine.begin() as conn:
        now = utcnow()
        account = conn.execute(insert(table(Account)).values(
            phone="+84912345678", name="A", password_hash="x", locale="vi", created_at=now,
        )).inserted_primary_key[0]  # type: ignore[index]
        for n, (level, doses) in enumerate(((vaccines.NONE, []), (vaccines.PARTIAL, ["astrazeneca"]),
                                            (vaccines.COMPLETE, ["astrazeneca", "pfizer"]))):
            person = conn.execute(insert(table(Person)).values(
                owner_account_id=account, relation="self", full_name="Nguyễn Thị Ánh Tuyết", name_key="x",
                birth_date=dt.date(1990, 7, 1), sex="F", id_type="cccd", id_number=f"00119012345{n}",
                phone="+84912345678", occupation="x", priority_group=8, province_code=79, ward_code=26743,
                created_at=now, updated_at=now,
            )).inserted_primary_key[0]  # type: ignore[index]
            for i, vaccine in enumerate(doses):
                conn.execute(insert(table(Dose)).values(
                    person_id=person, dose_number=i + 1, vaccine=vaccine, lot="L1",
                    given_on=dt.date(2021, 8, 1) + dt.timedelta(days=60 * i), source="test", created_at=now,
                ))
            out[level] = credentials.issue(conn, int(person), key)
    engine.dispose()
    return out


def _png(item: credentials.Issued) -> bytes:
    return qr_image.render(item.text, level=item.level, label=f"label {item.level}", name=item.full_name)


def _jpeg(png: bytes, scale: float) -> Image.Image:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if scale != 1:
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=75)
    return Image.open(io.BytesIO(out.getvalue()))


def _variants(png: bytes) -> Iterator[tuple[str, Image.Image]]:
    yield "png", Image.open(io.BytesIO(png))
    yield "jpeg75", _jpeg(png, 1)
    yield "jpeg75 at 80 %", _jpeg(png, 0.8)


@pytest.mark.parametrize("level", [vaccines.NONE, vaccines.PARTIAL, vaccines.COMPLETE])
def test_every_status_scans_with_zxing_and_zbar_even_recompressed(
    issued: dict[str, credentials.Issued], level: str
) -> None:
    item = issued[level]
    png = _png(item)
    assert max(Image.open(io.BytesIO(png)).size) <= 1280
    for name, image in _variants(png):  # read as a checkpoint reads: QR codes only (the label is text)
        assert [r.text for r in zxingcpp.read_barcodes(image, formats=QR_ONLY)] == [
            item.text], name
        assert [r.data.decode() for r in pyzbar.decode(image.convert("L"), symbols=[ZBarSymbol.QRCODE])] == [
            item.text], name


def test_levels_follow_the_doses(issued: dict[str, credentials.Issued], key: SigningKey) -> None:
    trusted = {key.kid: key.certificate}
    expected = {vaccines.NONE: (0, "card"), vaccines.PARTIAL: (1, "hc1"), vaccines.COMPLETE: (2, "hc1")}
    for level, (doses, kind) in expected.items():
        verdict = credentials.verify(issued[level].text, trusted)
        assert verdict.valid and verdict.level == level and verdict.dose_number == doses and verdict.kind == kind
        assert verdict.name == "Nguyễn Thị Ánh Tuyết" and verdict.birth_date == "1990-07-01"


def test_course_lengths_are_data() -> None:
    assert vaccines.level(1, vaccines.series_doses("janssen")) == vaccines.COMPLETE
    assert vaccines.level(2, vaccines.series_doses("abdala")) == vaccines.PARTIAL
    assert vaccines.level(3, vaccines.series_doses("abdala")) == vaccines.COMPLETE
    assert vaccines.level(2, vaccines.series_doses("pfizer")) == vaccines.COMPLETE


def _cose_bytes(text: str, prefix: str) -> bytes:
    return zlib.decompress(base45.b45decode(text[len(prefix):]))


def test_an_independent_cose_implementation_verifies_our_certificate(
    issued: dict[str, credentials.Issued], key: SigningKey
) -> None:
    pem = key.certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cose_key = COSEKey.from_pem(pem, alg="ES256", kid=key.kid)
    payload = COSE.new().decode(_cose_bytes(issued[vaccines.COMPLETE].text, "HC1:"), cose_key)
    claims = cbor2.loads(payload)
    entry = claims[-260][1]["v"][0]
    assert claims[1] == "VN" and claims[4] - claims[6] == 365 * 24 * 3600
    assert (entry["dn"], entry["sd"], entry["mp"], entry["co"]) == (2, 2, "EU/1/20/1528", "VN")
    assert claims[-260][1]["nam"]["fnt"] == "NGUYEN" and claims[-260][1]["nam"]["gnt"] == "THI<ANH<TUYET"


def test_one_changed_byte_anywhere_in_the_payload_is_rejected(
    issued: dict[str, credentials.Issued], key: SigningKey
) -> None:
    trusted = {key.kid: key.certificate}
    item = issued[vaccines.PARTIAL]
    message = cbor2.loads(_cose_bytes(item.text, "HC1:"))
    protected, unprotected, payload, signature = message.value
    for position in range(len(payload)):
        changed = bytearray(payload)
        changed[position] ^= 0x01
        forged = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, bytes(changed), signature]))
        verdict = credentials.verify(cose.wrap("HC1:", forged), trusted)
        assert not verdict.valid, position


def test_sskdt_verify_exits_non_zero_for_a_forgery(issued: dict[str, credentials.Issued], tmp_path: Path) -> None:
    item = issued[vaccines.NONE]
    raw = bytearray(_cose_bytes(item.text, "SSKDT1:"))
    raw[-70] ^= 0x01  # inside the payload, before the signature
    forged = cose.wrap("SSKDT1:", bytes(raw))
    result = subprocess.run([sys.executable, "-m", "bot", "verify", "--data-dir", str(tmp_path), forged],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "NOT VALID" in result.stdout


def _samples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]


def _instant(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _instant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_instant(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return value
    return value


def _stages(sample: dict[str, Any], trusted: dict[bytes, x509.Certificate]) -> dict[str, bool]:
    decoded = cose.decode(sample.get("PREFIX") or "", "HC1:", trusted)
    hcert = (decoded.claims.get(-260) or {}).get(1) if decoded.claims else None
    clock_text = sample["TESTCTX"].get("VALIDATIONCLOCK")
    clock = dt.datetime.fromisoformat(clock_text.replace("Z", "+00:00")).timestamp() if clock_text else None
    iat, exp = decoded.claims.get(6), decoded.claims.get(4)
    return {
        "EXPECTEDUNPREFIX": bool(decoded.unprefix),
        "EXPECTEDB45DECODE": bool(decoded.base45),
        "EXPECTEDCOMPRESSION": bool(decoded.compression),
        "EXPECTEDVERIFY": bool(decoded.signature),
        "EXPECTEDVALIDJSON": hcert is not None and _instant(hcert) == _instant(sample.get("JSON")),
        "EXPECTEDEXPIRATIONCHECK": clock is not None and isinstance(exp, int | float) and clock <= exp
        and (not isinstance(iat, int | float) or iat <= clock),
    }


def test_eu_dcc_samples_reach_their_expected_results() -> None:
    passed, mismatched = 0, set()
    for sample in _samples():
        certificate = x509.load_der_x509_certificate(base64.b64decode(sample["TESTCTX"]["CERTIFICATE"]))
        got = _stages(sample, {cose.key_id(certificate): certificate})
        expected = sample["EXPECTEDRESULTS"]
        wrong = [stage for stage, value in got.items() if stage in expected and value != expected[stage]]
        if wrong:
            assert wrong == ["EXPECTEDVALIDJSON"], (sample["SOURCE_FILE"], wrong)
            mismatched.add(sample["SOURCE_FILE"])
        else:
            passed += 1
    assert mismatched == INCONSISTENT_UPSTREAM
    assert passed == 574
    for sample in _samples():
        if sample["SOURCE_FILE"] in INCONSISTENT_UPSTREAM:
            own_cbor = cbor2.loads(bytes.fromhex(sample["CBOR"]))
            own_cbor = own_cbor[-260][1] if -260 in own_cbor else own_cbor
            assert _instant(own_cbor) != _instant(sample["JSON"])  # the sample contradicts itself


def test_eu_dcc_samples_without_their_certificate_report_an_unknown_issuer() -> None:
    decoded_payloads = 0
    for sample in _samples():
        decoded = cose.decode(sample.get("PREFIX") or "", "HC1:", {})
        assert not decoded.signature
        if decoded.cose:
            assert decoded.error == "unknown issuer"
            decoded_payloads += 1
        verdict = credentials.verify(sample.get("PREFIX") or "", {})
        assert not verdict.valid
    assert decoded_payloads > 500


def test_concurrent_renders_of_one_credential_do_not_collide(
    issued: dict[str, credentials.Issued], tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.services.blobs.media import MediaStore
    from bot.services.certificates.qr_codes import QrImages

    images = QrImages(MediaStore(tmp_path, b"k" * 32))
    item = issued[vaccines.PARTIAL]
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda _: images.ensure(item, "ĐÃ TIÊM 1 MŨI"), range(16)))
    assert len(set(tokens)) == 1 and images.media.get(tokens[0]) is not None
    assert not list(tmp_path.glob("*.tmp"))
