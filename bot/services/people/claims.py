"""When a document is registered by another account: the real holder's way out, and what checking it costs.

    citizen types an ID another account registered ──▶ "Số giấy tờ này đã có đăng ký …" + "Báo điểm tiêm"
        ──▶ claim (open) ──notice──▶ the site's staff (an admin for the province's pool: outbox.tell_site)
    staff check the papers ──/chuyen N có──▶ the person moves to the claimant's account (both accounts told,
                                              the QR pushed to the claimant, before and after audited)
                           ──/chuyen N không──▶ rejected (the claimant told)

Telling whether a document has an open registration is an answer a stranger could harvest: each check of a
document that is not one of the account's own people is audited and counted, :data:`CHECKS_PER_DAY` an account
a day; past that the question says nothing until the form is sent (the whole form is the cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, func, insert, select, update

from bot.services.access import audit
from bot.services.access.staff import ADMIN, Role
from bot.services.certificates import credentials
from bot.services.certificates.keys import SigningKey
from bot.services.messaging import outbox
from bot.services.values import states
from bot.services.values.dates import utcnow
from models.db import integrity_errors
from models.tables import Account, AuditLog, DocumentClaim, Person, Registration, table

CLAIM, PERSON, REGISTRATION, AUDIT, ACCOUNT = (
    table(DocumentClaim), table(Person), table(Registration), table(AuditLog), table(Account),
)
CHECKS_PER_DAY = 5
CHECK = "id_check"  # the audit action of a document checked for an open registration


# ---- checking a document costs -------------------------------------------------------------------------------


def checks_left(conn: Connection, account_id: int) -> int:
    """How many more documents this account may check today (the last 24 hours)."""
    used = conn.execute(select(func.count()).select_from(AUDIT).where(
        AUDIT.c.actor_account_id == account_id, AUDIT.c.action == CHECK,
        AUDIT.c.created_at > utcnow() - timedelta(days=1))).scalar_one()
    return max(0, CHECKS_PER_DAY - int(used))


def note_check(conn: Connection, account_id: int, *, found: bool) -> None:
    audit.record(conn, None, CHECK, how="registration form", result="registered" if found else "free",
                 actor_account_id=account_id)


# ---- a claim -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    person_id: int
    full_name: str
    claimant_account_id: int
    claimant_name: str
    owner_account_id: int
    site_id: int | None
    state: str


def open_claim(conn: Connection, account_id: int, open_key: str) -> int | None:
    """Claim the person of the open registration ``open_key`` ("cccd:0010…") for ``account_id``; the site is told.
    None when there is nothing to claim (no open registration, or it is the account's own). Claiming again
    while a claim is open changes nothing."""
    row = conn.execute(
        select(REGISTRATION.c.person_id, REGISTRATION.c.site_id, REGISTRATION.c.booking_code,
               PERSON.c.owner_account_id)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id).where(REGISTRATION.c.open_key == open_key)
    ).first()
    if row is None or row.owner_account_id == account_id:
        return None
    key = f"{row.person_id}:{account_id}"
    existing = conn.execute(select(CLAIM.c.id).where(CLAIM.c.open_key == key)).scalar()
    if existing is not None:
        return int(existing)
    try:
        claim_id = int(conn.execute(insert(CLAIM).values(
            person_id=row.person_id, claimant_account_id=account_id, site_id=row.site_id, state=states.Claim.OPEN,
            open_key=key, created_at=utcnow()).returning(CLAIM.c.id)).scalar_one())
    except integrity_errors():  # the same claim a moment ago
        return int(conn.execute(select(CLAIM.c.id).where(CLAIM.c.open_key == key)).scalar_one())
    audit.record(conn, None, "claim", person_id=row.person_id, how=f"claim {claim_id}", result="open",
                 actor_account_id=account_id)
    outbox.tell_site(conn, row.site_id, "claim.staff_notice", claim=claim_id, code=row.booking_code)
    return claim_id


def find(conn: Connection, claim_id: int) -> Claim | None:
    owner = ACCOUNT.alias("claimant")
    row = conn.execute(
        select(CLAIM.c.id, CLAIM.c.person_id, PERSON.c.full_name, CLAIM.c.claimant_account_id,
               owner.c.name, PERSON.c.owner_account_id, CLAIM.c.site_id, CLAIM.c.state)
        .join(PERSON, PERSON.c.id == CLAIM.c.person_id).join(owner, owner.c.id == CLAIM.c.claimant_account_id)
        .where(CLAIM.c.id == claim_id)
    ).first()
    return None if row is None else Claim(*row)


def open_for(conn: Connection, person_id: int) -> list[int]:
    """The open claims on this person (``/tra`` shows them to the staff who decide)."""
    found = select(CLAIM.c.id).where(CLAIM.c.person_id == person_id, CLAIM.c.state == states.Claim.OPEN)
    return [int(c) for c in conn.execute(found.order_by(CLAIM.c.id)).scalars()]


def may_decide(role: Role, claim: Claim) -> bool:
    """The claim's site's staff (whose registration it is), or an administrator."""
    return role.role == ADMIN or (role.site_id is not None and role.site_id == claim.site_id)


def decide(conn: Connection, role: Role, claim: Claim, *, move: bool, signing_key: SigningKey) -> str:
    """After the papers were checked: move the person to the claimant's account ("moved"), or reject the claim
    ("rejected"). Both accounts are told; the before and after are audited. "decided" when it was decided
    meanwhile; "conflict" when the claimant's account already holds another entry with this document."""
    clash = conn.execute(select(PERSON.c.id).where(
        PERSON.c.owner_account_id == claim.claimant_account_id,
        PERSON.c.id_number == select(PERSON.c.id_number).where(PERSON.c.id == claim.person_id).scalar_subquery(),
        PERSON.c.id_type == select(PERSON.c.id_type).where(PERSON.c.id == claim.person_id).scalar_subquery(),
    )).first()
    if move and clash is not None:
        return "conflict"
    done = conn.execute(update(CLAIM).where(CLAIM.c.id == claim.id, CLAIM.c.state == states.Claim.OPEN).values(
        state=states.Claim.MOVED if move else states.Claim.REJECTED, open_key=None, decided_by=role.account_id,
        decided_at=utcnow()))
    if not done.rowcount:
        return "decided"
    if not move:
        audit.record(conn, role, "claim", person_id=claim.person_id, how=f"claim {claim.id}", result="rejected")
        outbox.enqueue_for_account(conn, claim.claimant_account_id, kind="notice",
                                   payload={"key": "claim.citizen_rejected", "params": {"claim": claim.id}})
        return "rejected"
    conn.execute(update(PERSON).where(PERSON.c.id == claim.person_id).values(
        owner_account_id=claim.claimant_account_id, updated_at=utcnow()))
    audit.record(conn, role, "claim", person_id=claim.person_id, result="moved",
                 how=f"claim {claim.id}: account {claim.owner_account_id} -> {claim.claimant_account_id}")
    outbox.enqueue_for_account(conn, claim.owner_account_id, kind="notice",
                               payload={"key": "claim.moved_away", "params": {"name": claim.full_name}})
    outbox.enqueue_for_account(conn, claim.claimant_account_id, kind="notice",
                               payload={"key": "claim.moved_here", "params": {"name": claim.full_name}})
    issued = credentials.issue(conn, claim.person_id, signing_key)  # the QR now belongs to the claimant's chats
    outbox.enqueue_for_account(conn, claim.claimant_account_id, kind="registration_qr",
                               payload={"person_id": claim.person_id, "credential_id": issued.id})
    return "moved"
