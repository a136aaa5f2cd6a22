"""Announcements from the province's administrators: one message to every citizen chat, or to those of a ward,
a site or a priority group; delivered through the outbox at each messenger's pace; counted when done.

    /thongbao text ─▶ audience ─▶ "Sẽ gửi tới N cuộc trò chuyện" ─ Có ─▶ outbox rows (one batch)
                                                                      └▶ a report row, held until the batch
                                                                         is through: sent · blocked · failed
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from bot.services.messaging import outbox
from bot.services.values.dates import utcnow
from models.tables import ChannelIdentity, Outbox, Person, Registration, Staff, table

IDENTITY, PERSON, REGISTRATION, OUTBOX, STAFF = (table(ChannelIdentity), table(Person), table(Registration),
                                                 table(Outbox), table(Staff))
KIND, REPORT = "announcement", "announcement_report"
AUDIENCES = ("all", "ward", "site", "group")


@dataclass(frozen=True, slots=True)
class Audience:
    kind: str  # all / ward / site / group
    value: int = 0  # the ward code, the site id or the group number


def _accounts(audience: Audience) -> Any:
    """The accounts the audience holds (staff are not citizens: they get no announcement)."""
    staff = select(STAFF.c.account_id)
    if audience.kind == "ward":
        query = select(PERSON.c.owner_account_id).where(PERSON.c.ward_code == audience.value)
    elif audience.kind == "group":
        query = select(PERSON.c.owner_account_id).where(PERSON.c.priority_group == audience.value)
    elif audience.kind == "site":
        query = (select(PERSON.c.owner_account_id).join(REGISTRATION, REGISTRATION.c.person_id == PERSON.c.id)
                 .where(REGISTRATION.c.site_id == audience.value))
    else:
        query = select(IDENTITY.c.account_id)
    return query.where(~query.selected_columns[0].in_(staff))


def _chats(audience: Audience) -> Any:
    return select(IDENTITY.c.channel, IDENTITY.c.chat_id).where(IDENTITY.c.account_id.in_(_accounts(audience))
                                                                ).distinct()


def count(conn: Connection, audience: Audience) -> int:
    """How many chats would receive it."""
    return int(conn.execute(select(func.count()).select_from(_chats(audience).subquery())).scalar_one())


def send(conn: Connection, audience: Audience, text: str, *, report_to: tuple[str, str]) -> tuple[str, int]:
    """Queue the announcement to the audience's chats and its report to ``report_to`` (channel, chat id);
    returns the batch id and the number of chats."""
    batch = secrets.token_hex(8)
    now = utcnow()
    rows = [{"channel": c.channel, "chat_id": c.chat_id, "kind": KIND, "payload": {"text": text}, "state": "pending",
             "attempts": 0, "not_before": now, "created_at": now, "batch": batch}
            for c in conn.execute(_chats(audience))]
    if rows:
        conn.execute(insert(OUTBOX), rows)
    outbox.enqueue(conn, channel=report_to[0], chat_id=report_to[1], kind=REPORT,
                   payload={"batch": batch, "total": len(rows)})
    return batch, len(rows)


def progress(conn: Connection, batch: str) -> dict[str, int]:
    """Rows of the batch by state: pending, sent, blocked, failed."""
    rows = conn.execute(select(OUTBOX.c.state, func.count()).where(OUTBOX.c.batch == batch, OUTBOX.c.kind == KIND)
                        .group_by(OUTBOX.c.state)).all()
    found = {"pending": 0, "sent": 0, "blocked": 0, "failed": 0}
    for state, n in rows:
        key = state if state in found else "failed"
        found[key] += int(n)
    return found
