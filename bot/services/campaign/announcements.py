"""Announcements: the province's administrators to every citizen chat, or to those of a ward, a site or a priority
group; a site's staff to their own site's people (all of them, those booked on a day, those due for dose N);
delivered through the outbox at each messenger's pace; counted when done.

    /thongbao text ─▶ audience ─▶ "Sẽ gửi tới N cuộc trò chuyện" ─ Có ─▶ outbox rows (one batch)
                                                                      └▶ a report row, held until the batch
                                                                         is through: sent · blocked · failed
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from bot.services.messaging import outbox
from bot.services.values import states
from bot.services.values.dates import today, utcnow
from models.tables import Appointment, ChannelIdentity, Outbox, Person, Registration, Staff, table

IDENTITY, PERSON, REGISTRATION, OUTBOX, STAFF, APPOINTMENT = (
    table(ChannelIdentity), table(Person), table(Registration), table(Outbox), table(Staff), table(Appointment))
KIND, REPORT = "announcement", "announcement_report"
AUDIENCES = ("all", "ward", "site", "group", "booked", "due")
SITE_AUDIENCES = ("site", "booked", "due")  # what a site's own staff may reach: their site's people


@dataclass(frozen=True, slots=True)
class Audience:
    kind: str  # all / ward / site / group; booked (on a day, at a site) / due (for dose N, at a site)
    value: int = 0  # the ward code, the site id or the group number
    day: date | None = None  # booked: the appointments' day
    dose: int = 0  # due: the dose due


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
    elif audience.kind == "booked":  # "tomorrow we vaccinate from 7:30"
        query = (select(PERSON.c.owner_account_id).join(REGISTRATION, REGISTRATION.c.person_id == PERSON.c.id)
                 .join(APPOINTMENT, APPOINTMENT.c.registration_id == REGISTRATION.c.id)
                 .where(APPOINTMENT.c.site_id == audience.value, APPOINTMENT.c.day == audience.day,
                        APPOINTMENT.c.state.in_(states.OPEN_APPOINTMENT)))
    elif audience.kind == "due":
        query = (select(PERSON.c.owner_account_id).join(REGISTRATION, REGISTRATION.c.person_id == PERSON.c.id)
                 .where(REGISTRATION.c.site_id == audience.value, REGISTRATION.c.dose_number == audience.dose,
                        REGISTRATION.c.status.in_(states.OPEN_REGISTRATION),
                        or_(REGISTRATION.c.due_on.is_(None), REGISTRATION.c.due_on <= today())))
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
