"""Signed credentials for the QR.

- No dose: a registration card under our own prefix ``SSKDT1:`` (same COSE/zlib/Base45 transport).
- One or more doses: an EU-DCC-conformant ``HC1:`` vaccination certificate carrying the latest dose
  (``dn``/``sd``), valid 12 months.

Each new dose issues a new credential; the older ones stay verifiable but report "superseded" when checked
against the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography import x509
from sqlalchemy import Connection, insert, select

from bot.services.certificates import cose
from bot.services.certificates.keys import SigningKey, is_development
from bot.services.reference import vaccines
from bot.services.values import dates
from bot.services.values.dates import utcnow
from bot.services.values.text import fold
from models.db import execute, first, stored_date, time_param
from models.tables import Credential, Person, RevokedCredential, table

HC1, CARD = "HC1:", "SSKDT1:"
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_HCERT, CLAIM_CARD = 1, 4, 6, -260, -70001
VALIDITY = dt.timedelta(days=365)
ISSUER = "Ministry of Health of Viet Nam"
CREDENTIAL, PERSON, REVOKED_TABLE = table(Credential), table(Person), table(RevokedCredential)


@dataclass(frozen=True, slots=True)
class Issued:
    id: str
    person_id: int
    kind: str
    text: str
    dose_count: int
    level: str
    full_name: str


def _transliterate(text: str) -> str:
    """ICAO 9303 style, as the DCC's ``fnt``/``gnt`` want: A–Z, digits, "<" between words."""
    return "<".join("".join(ch for ch in word if ch.isalnum()) for word in fold(text).upper().split())


def _names(full_name: str) -> dict[str, str]:
    family, _, given = full_name.partition(" ")
    return {"fn": family, "fnt": _transliterate(family), "gn": given, "gnt": _transliterate(given)}


def _timestamp(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


# Raw (models.db.execute): every registration and every dose issues a credential, and its picture reads it. On
# PostgreSQL the reads travel together, and so do the writes: two round trips, not five.
_PERSON = "SELECT full_name, birth_date FROM person WHERE id = ?"
_DOSES = "SELECT vaccine, given_on FROM dose WHERE person_id = ? ORDER BY given_on, id"
_SUPERSEDE = "UPDATE credential SET superseded_at = ? WHERE person_id = ? AND superseded_at IS NULL"
_INSERT = ("INSERT INTO credential (id, person_id, kind, dose_count, level, qr_text, issued_at, expires_at, "
           "superseded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)")
_POINT = "UPDATE person SET credential_id = ? WHERE id = ?"
_CURRENT = ("SELECT c.id, c.kind, c.qr_text, c.dose_count, c.level, p.full_name FROM credential c "
            "JOIN person p ON p.id = c.person_id WHERE c.person_id = ? AND c.superseded_at IS NULL")


def issue(conn: Connection, person_id: int, key: SigningKey, now: dt.datetime | None = None) -> Issued:
    """Sign a credential for the person's current doses, supersede the previous one, and store it."""
    now = now or utcnow()
    people, doses = execute(conn, (_PERSON, (person_id,)), (_DOSES, (person_id,)))
    if not people:
        raise LookupError(f"no person {person_id}")
    full_name, birth_date = people[0]
    doses = doses or []
    claims: dict[int, Any] = {
        CLAIM_ISS: "VN", CLAIM_IAT: _timestamp(now), CLAIM_EXP: _timestamp(now + VALIDITY),
    }
    body: dict[str, Any] = {"ver": "1.3.0", "nam": _names(full_name), "dob": stored_date(birth_date).isoformat()}
    if doses:
        vaccine_code, given_on = doses[-1]
        vaccine = vaccines.VACCINES[vaccine_code]
        series = max(vaccines.series_doses(vaccine_code), 1)
        credential_id = "URN:UVCI:01:VN:" + secrets.token_hex(12).upper()
        body["v"] = [{
            "tg": "840539006", "vp": vaccine.prophylaxis, "mp": vaccine.product, "ma": vaccine.manufacturer,
            "dn": len(doses), "sd": series, "dt": stored_date(given_on).isoformat(), "co": "VN", "is": ISSUER,
            "ci": credential_id,
        }]
        claims[CLAIM_HCERT] = {1: body}
        kind, prefix, level = "hc1", HC1, vaccines.level(len(doses), series)
    else:
        credential_id = "SSKDT:" + secrets.token_hex(12).upper()
        body["id"] = credential_id
        claims[CLAIM_CARD] = body
        kind, prefix, level = "card", CARD, vaccines.NONE
    text = cose.wrap(prefix, cose.sign(cbor2.dumps(claims), key.private, key.kid))
    stamp = time_param(conn, now)
    execute(conn, (_SUPERSEDE, (stamp, person_id)),
            (_INSERT, (credential_id, person_id, kind, len(doses), level, text, stamp,
                       time_param(conn, now + VALIDITY))),
            (_POINT, (credential_id, person_id)))
    return Issued(credential_id, person_id, kind, text, len(doses), level, full_name)


def current(conn: Connection, person_id: int) -> Issued | None:
    row = first(conn, _CURRENT, person_id)
    if row is None:
        return None
    credential_id, kind, qr_text, dose_count, level, full_name = row
    return Issued(credential_id, person_id, kind, qr_text, dose_count, level, full_name)


def holders(conn: Connection, account_id: int) -> list[tuple[int, str]]:
    """(person id, name) of everyone the account registered who holds a credential."""
    rows = conn.execute(
        select(PERSON.c.id, PERSON.c.full_name)
        .where(PERSON.c.owner_account_id == account_id, PERSON.c.credential_id.is_not(None))
        .order_by(PERSON.c.id)
    )
    return [(r.id, r.full_name) for r in rows]


def superseded(conn: Connection, credential_id: str) -> bool | None:
    """True when a newer credential replaced this one; None when the database does not know it."""
    row = conn.execute(select(CREDENTIAL.c.superseded_at).where(CREDENTIAL.c.id == credential_id)).first()
    return None if row is None else row.superseded_at is not None


@dataclass
class Verdict:
    valid: bool
    reason: str  # "valid" or what failed
    kind: str | None = None
    credential_id: str | None = None
    name: str | None = None
    birth_date: str | None = None
    dose_number: int = 0
    series: int = 0
    level: str = vaccines.NONE
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    payload: dict[str, Any] | None = None
    kid: bytes | None = None  # the signer's key id


def verify(text: str, trusted: dict[bytes, x509.Certificate], *, now: dt.datetime | None = None) -> Verdict:
    """Check a QR text offline: prefix, Base45, zlib, COSE signature by a trusted key, validity period.

    The colour comes from the signed ``dn``/``sd``, never from the picture.
    """
    text = text.strip()
    prefix = CARD if text.startswith(CARD) else HC1
    decoded = cose.decode(text, prefix, trusted)
    claims = decoded.claims
    verdict = Verdict(valid=False, reason=decoded.error or "valid", kind="card" if prefix == CARD else "hc1",
                      kid=decoded.kid)
    try:
        body = _read_body(verdict, claims, prefix)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError):
        body = None  # a payload of the wrong shape (a dose number of Infinity …): reported below, never a crash
        verdict.dose_number = verdict.series = 0
        verdict.level = vaccines.NONE
    verdict.issued_at, verdict.expires_at = _moment(claims.get(CLAIM_IAT)), _moment(claims.get(CLAIM_EXP))
    if decoded.error:
        return verdict
    if body is None:
        verdict.reason = "malformed payload"
        return verdict
    moment = (now or dates.now()).astimezone(dt.UTC)
    if verdict.expires_at is None or moment > verdict.expires_at:
        verdict.reason = "expired"
        return verdict
    if verdict.issued_at is not None and moment < verdict.issued_at:
        verdict.reason = "not yet valid"
        return verdict
    verdict.valid = True
    return verdict


SUPERSEDED = "superseded"


def person_of(conn: Connection, credential_id: str) -> int | None:
    """Whose credential this is (None when the database does not know it)."""
    found = conn.execute(select(CREDENTIAL.c.person_id).where(CREDENTIAL.c.id == credential_id)).scalar()
    return None if found is None else int(found)


REVOKED = "revoked"


def revoked(conn: Connection, credential_id: str) -> bool:
    """Whether the person of this credential was deleted (their QR no longer stands for anyone)."""
    return conn.execute(select(REVOKED_TABLE.c.id).where(REVOKED_TABLE.c.id == credential_id)).first() is not None


def revoke(conn: Connection, credential_ids: list[str]) -> None:
    if credential_ids:
        now = utcnow()
        conn.execute(insert(REVOKED_TABLE), [{"id": c, "revoked_at": now} for c in credential_ids])


def check(conn: Connection | None, text: str, trusted: dict[bytes, x509.Certificate]) -> Verdict:
    """:func:`verify`, then, with the database at hand, whether the credential was revoked (its person deleted)
    or a newer credential replaced it."""
    verdict = verify(text, trusted)
    if verdict.valid and verdict.credential_id and conn is not None:
        if revoked(conn, verdict.credential_id):
            verdict.valid, verdict.reason = False, REVOKED
        elif superseded(conn, verdict.credential_id):
            verdict.valid, verdict.reason = False, SUPERSEDED
    return verdict


def withdrawal_hash(credential_id: str) -> str:
    """How a withdrawn credential is named in the list a scanner keeps: the first 16 bytes of SHA-256 over its
    id, in hex (as the EU's revocation lists name theirs): the list says nothing of whose it was."""
    return hashlib.sha256(credential_id.encode()).hexdigest()[:32]


def withdrawn(conn: Connection, since: dt.datetime | None = None) -> dict[str, list[str]]:
    """The credentials a scanner must refuse though their signature holds, while they would otherwise be valid:
    replaced by a newer one, or revoked (their person deleted). With ``since``, only those withdrawn from then on
    (a scanner's sync adds them to what it keeps: nothing withdrawn is ever taken back)."""
    now = utcnow()
    replaced = select(CREDENTIAL.c.id).where(CREDENTIAL.c.superseded_at.is_not(None), CREDENTIAL.c.expires_at > now)
    gone = select(REVOKED_TABLE.c.id)
    if since is not None:
        replaced = replaced.where(CREDENTIAL.c.superseded_at >= since)
        gone = gone.where(REVOKED_TABLE.c.revoked_at >= since)
    return {SUPERSEDED: sorted(withdrawal_hash(c) for c in conn.execute(replaced).scalars()),
            REVOKED: sorted(withdrawal_hash(c) for c in conn.execute(gone).scalars())}


def checkpoint_kind(verdict: Verdict, trusted: dict[bytes, x509.Certificate]) -> str:
    """What a checkpoint says, a development key included (its codes are not for checkpoints): the scanner in
    the browser reaches the same words from the same code (tests/channels/test_scanner_page.py)."""
    kind = verdict_kind(verdict)
    signer = trusted.get(verdict.kid) if verdict.kid else None
    if kind == "valid" and signer is not None and is_development(signer):
        return "development"
    return kind


def verdict_kind(verdict: Verdict) -> str:
    """The verdict as a checkpoint says it: valid, superseded, revoked, expired, unknown issuer, or forged."""
    if verdict.valid:
        return "valid"
    if verdict.reason in (SUPERSEDED, REVOKED, "expired", "unknown issuer"):
        return verdict.reason.replace(" ", "_")
    if verdict.reason == "not yet valid":
        return "expired"
    return "forged"


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _count(value: Any) -> int:
    """A dose number or series length as signed: a whole number from 0 to 20, nothing else."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or not 0 <= value <= 20:
        raise ValueError("not a dose count")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not a dose count")
    return int(value)


def _read_body(verdict: Verdict, claims: dict[Any, Any], prefix: str) -> dict[str, Any] | None:
    body = claims.get(CLAIM_CARD) if prefix == CARD else (claims.get(CLAIM_HCERT) or {}).get(1)
    if not isinstance(body, dict):
        return None
    verdict.payload = body
    names = body.get("nam") or {}
    verdict.name = " ".join(str(x) for x in (names.get("fn"), names.get("gn")) if x) or None
    verdict.birth_date = str(body["dob"]) if body.get("dob") else None
    entries = body.get("v") or []
    if entries:
        entry = entries[-1]
        verdict.dose_number, verdict.series = _count(entry.get("dn", 0)), _count(entry.get("sd", 0))
        verdict.credential_id = str(entry.get("ci"))
    else:
        verdict.credential_id = str(body.get("id"))
    verdict.level = vaccines.level(verdict.dose_number, verdict.series)
    return body
