""""Dữ liệu của tôi" (Decree 13/2023): what the service holds about an account, and deleting it.

Deleting removes the account's log-in, its chats' conversations and transcripts, and the people it registered
who have no dose recorded (with their registrations and QR codes). Dose records belong to the health system:
the people who received a dose are kept with their doses and QR codes, without the account's phone, name or
password; the audit log keeps what staff did, pointing to no one where the person was deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, delete, select, update

from bot.services.access import audit
from bot.services.certificates import credentials
from bot.services.people import link_codes
from bot.services.values import states
from bot.services.values.dates import json_ready
from models.tables import (
    Account,
    AuditLog,
    ChannelIdentity,
    ChatMessage,
    Conversation,
    Credential,
    Dose,
    Outbox,
    Person,
    Registration,
    Staff,
    table,
)

ACCOUNT, PERSON, REGISTRATION, DOSE = table(Account), table(Person), table(Registration), table(Dose)
CREDENTIAL, IDENTITY, CONVERSATION, MESSAGE = (
    table(Credential), table(ChannelIdentity), table(Conversation), table(ChatMessage),
)
OUTBOX, AUDIT, STAFF = table(Outbox), table(AuditLog), table(Staff)
ACCOUNT_FIELDS = ("phone", "name", "locale", "created_at")
PERSON_SKIP = ("owner_account_id", "name_key", "credential_id")
REGISTRATION_SKIP = ("person_id", "open_key")


def export(conn: Connection, account_id: int) -> dict[str, Any]:
    """Everything kept about the account and the people it registered, as JSON-ready data."""
    account = conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == account_id)).one()._mapping
    people = []
    for person in conn.execute(select(PERSON).where(PERSON.c.owner_account_id == account_id).order_by(PERSON.c.id)):
        row = person._mapping
        registrations = [
            json_ready({k: v for k, v in r._mapping.items() if k not in REGISTRATION_SKIP and k != "id"})
            for r in conn.execute(select(REGISTRATION).where(REGISTRATION.c.person_id == row["id"]))
        ]
        doses = [
            json_ready({k: v for k, v in d._mapping.items() if k in ("dose_number", "vaccine", "lot", "given_on")})
            for d in conn.execute(select(DOSE).where(DOSE.c.person_id == row["id"]).order_by(DOSE.c.given_on))
        ]
        people.append({
            **json_ready({k: v for k, v in row.items() if k not in PERSON_SKIP and k != "id"}),
            "registrations": registrations, "doses": doses,
        })
    seen = [{"site": s.site_name, "role": s.role, "action": s.action, "person": s.person_name, "at": s.at.isoformat()}
            for s in audit.seen_by(conn, account_id, limit=1000)]
    chats = [f"{r.channel}:{r.chat_id}" for r in conn.execute(
        select(IDENTITY.c.channel, IDENTITY.c.chat_id).where(IDENTITY.c.account_id == account_id))]
    return {"account": json_ready({k: account[k] for k in ACCOUNT_FIELDS}), "chats": chats, "people": people,
            "seen_by_staff": seen}


def delete_account(conn: Connection, account_id: int, *, current_chat: str = "",
                   forget_pictures: Callable[[list[str]], None] | None = None) -> int:
    """Delete what the module docstring says; returns how many people were kept for their dose records.

    ``current_chat`` (the conversation asking) keeps its row, which the engine then resets to the menu. The
    deleted people's credentials are revoked and ``forget_pictures`` removes their QR pictures."""
    chats = [(r.channel, r.chat_id) for r in conn.execute(
        select(IDENTITY.c.channel, IDENTITY.c.chat_id).where(IDENTITY.c.account_id == account_id))]
    keys = [f"{channel}:{chat}" for channel, chat in chats]
    conn.execute(delete(MESSAGE).where(MESSAGE.c.conversation_key.in_(keys)))
    conn.execute(delete(CONVERSATION).where(CONVERSATION.c.account_id == account_id,
                                            CONVERSATION.c.key != current_chat))
    for channel, chat in chats:
        conn.execute(delete(OUTBOX).where(OUTBOX.c.channel == channel, OUTBOX.c.chat_id == chat))
    conn.execute(delete(IDENTITY).where(IDENTITY.c.account_id == account_id))
    conn.execute(delete(STAFF).where(STAFF.c.account_id == account_id))
    link_codes.forget_account(conn, account_id)
    people = list(conn.execute(select(PERSON.c.id).where(PERSON.c.owner_account_id == account_id)).scalars())
    dosed = set(conn.execute(select(DOSE.c.person_id).where(DOSE.c.person_id.in_(people))).scalars())
    gone = [p for p in people if p not in dosed]
    conn.execute(update(AUDIT).where(AUDIT.c.person_id.in_(gone)).values(person_id=None))
    # Their QR codes stand for no one now: revoked (a checkpoint is told so), and their pictures removed.
    issued = [str(c) for c in conn.execute(select(CREDENTIAL.c.id).where(CREDENTIAL.c.person_id.in_(gone))).scalars()]
    credentials.revoke(conn, issued)
    if forget_pictures is not None:
        forget_pictures(issued)
    conn.execute(delete(CREDENTIAL).where(CREDENTIAL.c.person_id.in_(gone)))
    conn.execute(delete(REGISTRATION).where(REGISTRATION.c.person_id.in_(gone)))
    conn.execute(delete(PERSON).where(PERSON.c.id.in_(gone)))
    conn.execute(update(REGISTRATION).where(REGISTRATION.c.person_id.in_(dosed), REGISTRATION.c.open_key.is_not(None))
                 .values(status=states.Registration.CANCELLED, open_key=None))
    # The account row stays only as the owner of dose records: nothing in it says who it was.
    conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(
        phone=f"deleted:{account_id}", name="", password_hash="!"))
    return len(dosed)
