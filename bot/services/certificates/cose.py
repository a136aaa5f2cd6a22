"""COSE_Sign1 (RFC 9052) for ES256, and the EU DCC transport: "HC1:" + Base45(zlib(COSE)).

Signing is ours (ES256, P-256). Verifying also accepts PS256, which other issuers' certificates use, so
that real certificates can be checked. Each stage of the pipeline is reported on its own: a verifier that
says *where* a code failed is one staff can act on.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

import base45
import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

ES256, PS256 = -7, -37
HEADER_ALG, HEADER_KID = 1, 4
COSE_SIGN1_TAG = 18


def key_id(certificate: x509.Certificate) -> bytes:
    """DCC key id: the first 8 bytes of SHA-256 over the DER signing certificate."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest()[:8]


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return bytes(cbor2.dumps(["Signature1", protected, b"", payload]))


def sign(payload: bytes, private_key: ec.EllipticCurvePrivateKey, kid: bytes) -> bytes:
    protected = cbor2.dumps({HEADER_ALG: ES256, HEADER_KID: kid})
    der = private_key.sign(_sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return bytes(cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])))


def wrap(prefix: str, cose: bytes) -> str:
    encoded: bytes = base45.b45encode(zlib.compress(cose, 9))
    return prefix + encoded.decode("ascii")


@dataclass
class Decoded:
    """What each stage found. ``None`` means the stage was not reached."""

    unprefix: bool | None = None
    base45: bool | None = None
    compression: bool | None = None
    cose: bool | None = None
    signature: bool | None = None
    issuer_known: bool | None = None
    claims: dict[Any, Any] = field(default_factory=dict)
    kid: bytes | None = None
    error: str | None = None


def _verify_signature(certificate: x509.Certificate, alg: int, protected: bytes, payload: bytes, sig: bytes) -> bool:
    message = _sig_structure(protected, payload)
    public = certificate.public_key()
    try:
        if alg == ES256 and isinstance(public, ec.EllipticCurvePublicKey):
            half = len(sig) // 2
            der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
            public.verify(der, message, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == PS256 and isinstance(public, rsa.RSAPublicKey):
            public.verify(sig, message, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


MAX_DEPTH, MAX_ITEMS = 16, 10_000  # a certificate's claims are a few levels and a few dozen items


def _bounded(value: Any) -> None:
    """Claims nested deeper or holding more items than any certificate are malformed (the scanner in the browser
    draws the same line: static/verify.js)."""
    items = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        items += 1
        if depth > MAX_DEPTH or items > MAX_ITEMS:
            raise ValueError("claims nested too deep or too many")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for pair in item.items() for v in pair)
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, cbor2.CBORTag):
            stack.append((item.value, depth + 1))


def decode(text: str, prefix: str, trusted: dict[bytes, x509.Certificate]) -> Decoded:
    """Run the pipeline on a QR text; never raises on bad input."""
    out = Decoded()
    out.unprefix = text.startswith(prefix)
    if not out.unprefix:
        out.error = "prefix"
        return out
    try:
        compressed = base45.b45decode(text[len(prefix):])
        out.base45 = True
    except (ValueError, KeyError, IndexError):
        out.base45, out.error = False, "base45"
        return out
    try:
        raw = zlib.decompress(compressed)
        out.compression = True
    except zlib.error:
        out.compression, out.error = False, "compression"
        return out
    try:
        message = cbor2.loads(raw)
        while isinstance(message, cbor2.CBORTag):  # COSE_Sign1 (18), possibly inside a CWT tag (61)
            message = message.value
        protected_bytes, unprotected, payload, sig = message
        if not all(isinstance(part, bytes) for part in (protected_bytes, payload, sig)):
            raise ValueError("a COSE_Sign1 holds byte strings")  # a number as the signature: malformed, no crash
        protected = cbor2.loads(protected_bytes) if protected_bytes else {}
        claims = cbor2.loads(payload)
        if not isinstance(claims, dict):
            raise ValueError("claims are not a map")
        for part in (claims, unprotected, protected):
            _bounded(part)
        # Headers of the wrong type (a list where a map belongs) are a malformed message, never a crash.
        headers = {**(unprotected or {}), **(protected or {})}
        out.claims, out.cose = claims, True
    except Exception:  # any malformed structure: cbor2 raises many kinds
        out.cose, out.error = False, "cose"
        return out
    kid = headers.get(HEADER_KID)
    out.kid = bytes(kid) if isinstance(kid, bytes | bytearray) else None
    certificate = trusted.get(out.kid) if out.kid else None
    out.issuer_known = certificate is not None
    if certificate is None:
        out.signature, out.error = False, "unknown issuer"
        return out
    out.signature = _verify_signature(certificate, headers.get(HEADER_ALG, 0), protected_bytes, payload, sig)
    if not out.signature:
        out.error = "signature"
    return out
