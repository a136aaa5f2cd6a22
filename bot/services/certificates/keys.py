"""The issuer's signing key (P-256) and self-signed certificate, in files readable by the owner only.

The private key never enters the database or the logs. Public certificates form the trust list verifiers
download; ``<keys>/trusted/*.pem`` adds other issuers' certificates.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.services.certificates.cose import key_id

KEY_FILE, CERT_FILE = "signing-key.pem", "signing-cert.pem"
DEVELOPMENT_ISSUER = "SSKDT development key (not valid at checkpoints)"


@dataclass(frozen=True)
class SigningKey:
    private: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @cached_property
    def kid(self) -> bytes:
        """The certificate's key id (a hash of it: made once, every credential carries it)."""
        return key_id(self.certificate)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def generate(directory: Path, *, issuer: str = "SSKDT demo issuer", years: int = 2) -> SigningKey:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .sign(private, hashes.SHA256())
    )
    _write_private(
        directory / KEY_FILE,
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    (directory / CERT_FILE).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return SigningKey(private, certificate)


def load(directory: Path) -> SigningKey | None:
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    if not key_path.exists() or not cert_path.exists():
        return None
    return load_pair(key_path, cert_path)


def load_pair(key_path: Path, cert_path: Path) -> SigningKey:
    """A key and its certificate from two files (mounted read-only on every node of a deployment)."""
    return from_pem(key_path.read_bytes(), cert_path.read_bytes(), str(key_path))


def from_pem(key_pem: bytes, cert_pem: bytes, where: str = "the key") -> SigningKey:
    """A key and its certificate from their PEM text (files, or environment variables)."""
    private = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{where} is not an EC private key")
    certificate = x509.load_pem_x509_certificate(cert_pem)
    if certificate.public_key() != private.public_key():
        raise ValueError(f"{where} and its certificate do not belong together")
    return SigningKey(private, certificate)


def trusted(directory: Path) -> dict[bytes, x509.Certificate]:
    """Our certificate and every certificate in ``<keys>/trusted``, by key id."""
    certificates = []
    if (directory / CERT_FILE).exists():
        certificates.append(x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes()))
    for path in sorted((directory / "trusted").glob("*.pem")):
        certificates.append(x509.load_pem_x509_certificate(path.read_bytes()))
    return {key_id(c): c for c in certificates}


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 over the DER certificate, in hex: how a deployment names the key it signs with."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def is_development(certificate: x509.Certificate) -> bool:
    """A key the service generated for itself on a first start: QR codes it signs are not for checkpoints."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return any(str(n.value) == DEVELOPMENT_ISSUER for n in names)


def trust_list(certificates: dict[bytes, x509.Certificate]) -> dict[str, Any]:
    return {
        "keys": [
            {
                "kid": base64.b64encode(kid).decode(),
                "country": "VN",
                "certificate": base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode(),
                **({"development": True} if is_development(c) else {}),
            }
            for kid, c in certificates.items()
        ]
    }


def scanner_keys(certificates: dict[bytes, x509.Certificate]) -> list[dict[str, Any]]:
    """The trust list as a browser's WebCrypto imports it: each key id with its public key (SPKI, DER, base64)
    and whether it is a development key."""
    return [
        {"kid": base64.b64encode(kid).decode(),
         "spki": base64.b64encode(c.public_key().public_bytes(serialization.Encoding.DER,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo)).decode(),
         "development": is_development(c)}
        for kid, c in certificates.items()
    ]
