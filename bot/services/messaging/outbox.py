"""Pushes waiting to be delivered, written in the same transaction as what caused them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from bot.services.values import states
from bot.services.values.dates import utcnow
from models import json_text
from models.db import first, process_alive, rows, stored_json, time_param
from models.tables import ChannelIdentity, Outbox, Staff, table

OUTBOX, IDENTITY = table(Outbox), table(ChannelIdentity)
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


# Raw (models.db.rows): every registration queues an SMS and a QR push, and sends both.
_ENQUEUE = ("INSERT INTO outbox (channel, chat_id, kind, payload, state, attempts, not_before, created_at) "
            "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)")
_PENDING = "SELECT id FROM outbox WHERE id = ? AND state = 'pending'"
_PENDING_LOCKED = _PENDING + " FOR UPDATE SKIP LOCKED"  # PostgreSQL: another worker sending it skips it
_MARK_SENT = "UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ?"
_MARK_SENT_FORGET = "UPDATE outbox SET state = 'sent', sent_at = ?, payload = '{}' WHERE id = ?"


def enqueue(conn: Connection, *, channel: str, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
    stamp = time_param(conn, utcnow())
    rows(conn, _ENQUEUE, channel, chat_id, kind, json_text.dumps(payload), stamp, stamp)


REPLY = "reply"  # an answer to an update, kept until the channel says it went out
# A kept answer's ``batch`` names the process sending it (an announcement's rows use it for their batch id).


def replies_statement(conn: Connection, *, channel: str, chat_id: str, payloads: list[dict[str, Any]],
                      recover_after: timedelta, process: str) -> tuple[str, tuple[Any, ...]]:
    """An event's answers as outbox rows (``?`` placeholders; their ids come back), owned by the ``process``
    sending them: it marks them sent once they are out; rows still pending ``recover_after`` later whose process
    has died (or given up) are the pusher's to send."""
    now = utcnow()
    stamp, due_stamp = time_param(conn, now), time_param(conn, now + recover_after)
    rows = ", ".join(["(?, ?, ?, ?, 'pending', 0, ?, ?, ?)"] * len(payloads))
    values = tuple(v for p in payloads for v in (channel, chat_id, REPLY, json_text.dumps(p),
                                                 due_stamp, stamp, process))
    return (f"INSERT INTO outbox (channel, chat_id, kind, payload, state, attempts, not_before, created_at, batch) "
            f"VALUES {rows} RETURNING id", values)


def still_sending(conn: Connection, item_id: int, process: str) -> bool:
    """Whether the process that kept this answer is alive and still sending it (``process`` is the asker's
    own); False once it died or gave up."""
    return _sending(conn, conn.execute(select(OUTBOX.c.batch).where(OUTBOX.c.id == item_id)).scalar(), process)


def _sending(conn: Connection, sender: str | None, process: str) -> bool:
    """Whether ``sender``, the process a kept answer belongs to, is ``process`` or alive (None: given up)."""
    return sender is not None and (sender == process or process_alive(conn, sender))


_KEPT_FOR_CHAT = ("SELECT id, payload, batch FROM outbox WHERE channel = ? AND chat_id = ? AND kind = 'reply' "
                  "AND state = 'pending' ORDER BY id")
_TAKE_OVER = "UPDATE outbox SET batch = ? WHERE id = ?"


def take_orphaned_replies(conn: Connection, *, channel: str, chat_id: str, version: int,
                          process: str) -> list[tuple[int, dict[str, Any]]]:
    """The chat's latest answers (kept for its conversation at ``version``) whose process died before sending
    them, now ``process``'s to send: (id, payload) in order. A messenger redelivers an update when its answer
    did not come back — the process that applied it died — so the redelivery carries them at once, rather than
    the pusher ``recover_after`` later (by which time the person may have typed on, and they would be lost)."""
    taken = []
    for item_id, payload, sender in rows(conn, _KEPT_FOR_CHAT, channel, chat_id):
        kept = stored_json(payload)
        if kept.get("version") != version or sender is None or _sending(conn, sender, process):
            continue  # an older answer; given up (the pusher's); or its process is alive and still sending it
        rows(conn, _TAKE_OVER, process, item_id)
        taken.append((int(item_id), kept))
    return taken


def release(conn: Connection, item_ids: list[int]) -> None:
    """Kept answers their process could not send (the messenger kept failing): left to the pusher."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(item_ids), OUTBOX.c.state == states.Outbox.PENDING)
                 .values(batch=None))


def mark_all_sent(conn: Connection, item_ids: list[int]) -> None:
    """Answers that went out: marked, and their text forgotten (it is personal data, and delivered)."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(item_ids), OUTBOX.c.state == states.Outbox.PENDING)
                 .values(state=states.Outbox.SENT, sent_at=utcnow(), payload={}))


def forget_answers(conn: Connection, older_than: timedelta) -> int:
    """Answers kept for delivery are deleted once dealt with (sent, blocked, given up) and this old."""
    return int(conn.execute(
        delete(OUTBOX).where(OUTBOX.c.kind == REPLY, OUTBOX.c.state != "pending",
                             OUTBOX.c.created_at < utcnow() - older_than)
    ).rowcount)


def enqueue_for_account(conn: Connection, account_id: int, *, kind: str, payload: dict[str, Any]) -> int:
    """One push to every chat of the account, on every channel; returns how many."""
    chats = conn.execute(
        select(IDENTITY.c.channel, IDENTITY.c.chat_id).where(IDENTITY.c.account_id == account_id)
    ).all()
    for chat in chats:
        enqueue(conn, channel=chat.channel, chat_id=chat.chat_id, kind=kind, payload=payload)
    return len(chats)


def tell_account(conn: Connection, account_id: int, key: str, *, keys: dict[str, str | list[str]] | None = None,
                 **params: Any) -> int:
    """A catalog message to every chat of an account, worded in each chat's language when sent; ``keys``: params
    that are themselves message keys (a vaccine's name), or lists of them (said joined by commas). How many
    chats."""
    payload: dict[str, Any] = {"key": key, "params": params}
    if keys:
        payload["keys"] = keys
    return enqueue_for_account(conn, account_id, kind="notice", payload=payload)


def enqueue_many(conn: Connection, pushes: list[tuple[int, str, dict[str, Any]]]) -> set[int]:
    """Many pushes at once (a sweep's, a plan's): (account, kind, payload) each to every chat of its account, in two
    statements whatever their number. The accounts that have a chat."""
    if not pushes:
        return set()
    chats: dict[int, list[tuple[str, str]]] = {}
    for row in conn.execute(select(IDENTITY.c.account_id, IDENTITY.c.channel, IDENTITY.c.chat_id)
                            .where(IDENTITY.c.account_id.in_({account for account, _, _ in pushes}))):
        chats.setdefault(row.account_id, []).append((row.channel, row.chat_id))
    stamp = utcnow()
    values = [{"channel": channel, "chat_id": chat_id, "kind": kind, "state": states.Outbox.PENDING,
               "payload": payload, "attempts": 0, "not_before": stamp, "created_at": stamp}
              for account, kind, payload in pushes for channel, chat_id in chats.get(account, ())]
    if values:
        conn.execute(OUTBOX.insert(), values)
    return set(chats)


def tell_accounts(conn: Connection, notices: list[tuple[int, str, dict[str, Any]]]) -> int:
    """Many catalog messages at once: (account, key, params) each to every chat of its account. How many
    accounts have a chat."""
    return len(enqueue_many(conn, [(account, "notice", {"key": key, "params": params})
                                   for account, key, params in notices]))


def tell_site(conn: Connection, site_id: int | None, key: str, *, keys: dict[str, str | list[str]] | None = None,
              **params: Any) -> int:
    """A catalog message to every chat of a site's staff, or, for the province's pool (no site), of its
    administrators (``keys`` as :func:`tell_account`'s); how many chats."""
    staff = table(Staff)
    who = staff.c.site_id == site_id if site_id is not None else staff.c.role == "admin"
    return sum(tell_account(conn, int(account), key, keys=keys, **params)
               for account in conn.execute(select(staff.c.account_id).where(who)).scalars())


def due(conn: Connection, limit: int = 50, *, lock: bool = False) -> list[Item]:
    query = (
        select(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.chat_id, OUTBOX.c.kind, OUTBOX.c.payload, OUTBOX.c.attempts)
        .where(OUTBOX.c.state == states.Outbox.PENDING, OUTBOX.c.not_before <= utcnow())
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return [Item(r.id, r.channel, r.chat_id, r.kind, dict(r.payload), r.attempts) for r in conn.execute(query)]


def backlog(conn: Connection) -> tuple[int, float]:
    """How many pushes wait, and for how many seconds the oldest has waited (0 when none)."""
    count, oldest = conn.execute(
        select(func.count(), func.min(OUTBOX.c.created_at)).where(OUTBOX.c.state == states.Outbox.PENDING)
    ).one()
    if oldest is None:
        return 0, 0.0
    return int(count), max(0.0, (utcnow() - oldest).total_seconds())


def still_pending(conn: Connection, item_id: int, *, lock: bool) -> bool:
    return first(conn, _PENDING_LOCKED if lock else _PENDING, item_id) is not None


def mark_sent(conn: Connection, item_id: int, *, forget: bool = False) -> None:
    """Sent; ``forget`` empties the payload (an SMS with a one-time code)."""
    rows(conn, _MARK_SENT_FORGET if forget else _MARK_SENT, time_param(conn, utcnow()), item_id)


def mark_superseded(conn: Connection, item_id: int) -> None:
    """A kept answer never sent because the conversation moved on (the person wrote again and got a newer one):
    sending it late would ask a question already answered. Its words are forgotten."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == item_id)
                 .values(state=states.Outbox.SUPERSEDED, sent_at=utcnow(), payload={}))


def mark_blocked(conn: Connection, item_id: int) -> None:
    """Not delivered: the person blocked the bot (counted apart from failures)."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == item_id).values(state=states.Outbox.BLOCKED, sent_at=utcnow()))


def postpone(conn: Connection, item_id: int, delay: timedelta) -> None:
    """Not yet due (a report waiting for its batch), without counting an attempt."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == item_id).values(not_before=utcnow() + delay))


def retry_later(conn: Connection, *, item: Item, delay: timedelta) -> None:
    state = states.Outbox.FAILED if item.attempts + 1 >= MAX_ATTEMPTS else states.Outbox.PENDING
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == item.id)
        .values(attempts=item.attempts + 1, state=state, not_before=utcnow() + delay)
    )


def expire_stale(conn: Connection, older_than: timedelta) -> int:
    """Give up on pushes nobody could deliver for this long (e.g. a channel no longer configured)."""
    return int(conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.state == states.Outbox.PENDING, OUTBOX.c.created_at < utcnow() - older_than)
        .values(state=states.Outbox.EXPIRED)
    ).rowcount)

