"""Conversation rows, processed update keys and the web transcript: the engine's own storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Text, cast, delete, select, update

from bot.services.access import staff
from bot.services.people import accounts
from bot.services.values.dates import utcnow
from models import json_text
from models.db import execute, stored_json, stored_time, time_param
from models.tables import ChatMessage, Conversation, ProcessedUpdate, table

CONVERSATION = table(Conversation)
PROCESSED = table(ProcessedUpdate)
MESSAGE = table(ChatMessage)


def conversation_key(channel: str, chat_id: str) -> str:
    """The one place a chat's key is built: ``<channel>:<chat id>``."""
    return f"{channel}:{chat_id}"


@dataclass(slots=True)
class Draft:
    """A half-finished form kept for a while and offered back ("Tiếp tục đăng ký đang dở?")."""

    flow: str
    step: str
    answers: dict[str, Any]
    subject: str
    saved_at: datetime
    filled: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"flow": self.flow, "step": self.step, "answers": self.answers, "subject": self.subject,
                "saved_at": self.saved_at.isoformat(), "filled": self.filled}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Draft:
        return cls(str(raw["flow"]), str(raw["step"]), dict(raw.get("answers") or {}),
                   str(raw.get("subject") or SELF), datetime.fromisoformat(str(raw["saved_at"])),
                   [str(n) for n in raw.get("filled") or []])


SELF, FAMILY = "self", "family"
OFFERED, CONFIRM_CANCEL = "offered", "confirm_cancel"


@dataclass(slots=True)
class State:
    """A chat's place in the conversation. Every field is named: nothing hides in the answers."""

    key: str
    locale: str
    flow: str
    step: str
    answers: dict[str, Any] = field(default_factory=dict)  # the flow's answers, as their codecs keep them
    offered: list[list[str]] = field(default_factory=list)  # [label, payload] of the choices last shown
    # What the choices last shown were: "" the step's own, OFFERED candidates for a typed answer (typed
    # numbers pick them even on a free-text question), CONFIRM_CANCEL the "discard the form?" question.
    pending: str = ""
    filled: list[str] = field(default_factory=list)  # answers given in passing by another step: not asked
    logged_in_at: datetime | None = None  # when this chat logged in to its account
    editing: bool = False  # answering again from a summary: only what the change invalidated is asked
    subject: str = SELF  # for whom the form is: the account holder or a family member
    resume_form: bool = False  # the language was changed mid-form: go back to it afterwards
    # The question last asked ("flow.step") and the version at which the chat came to it: its buttons carry
    # both, so a button left on an older message never answers a later question.
    asked: str = ""
    asked_at: int = 0
    draft: Draft | None = None
    account_id: int | None = None
    version: int = 0
    updated_at: datetime | None = None
    is_new: bool = True
    # Read with the state (not kept in it): its account and staff role at the event's start, which most
    # prompts need; the context reads them again once the chat's account changes.
    account: accounts.AccountView | None = None
    role: staff.Role | None = None

    def data_json(self) -> str:
        data: dict[str, Any] = {"answers": self.answers}
        if self.offered:
            data["offered"] = self.offered
        if self.pending:
            data["pending"] = self.pending
        if self.filled:
            data["filled"] = self.filled
        if self.logged_in_at is not None:
            data["logged_in_at"] = self.logged_in_at.isoformat()
        if self.editing:
            data["editing"] = True
        if self.subject != SELF:
            data["subject"] = self.subject
        if self.resume_form:
            data["resume_form"] = True
        if self.asked:
            data["asked"] = [self.asked, self.asked_at]
        return json_text.dumps(data)


# The per-message statements go straight to the DB-API connection SQLAlchemy holds (same transaction):
# building and caching Core statements cost ~0.15 ms each, more than SQLite's own work; on PostgreSQL an
# event's statements travel together (models.db.execute).
_LOAD = (
    "SELECT c.locale, c.flow, c.step, c.data, c.draft, c.account_id, c.version, c.updated_at, a.phone, a.name, "
    "a.locale, s.role, s.site_id, (SELECT p.birth_date FROM person p WHERE p.owner_account_id = c.account_id "
    "AND p.relation = 'self' ORDER BY p.id DESC LIMIT 1) "  # the account holder's birth date: "Ông/Bà" from 60
    "FROM conversation c LEFT JOIN account a ON a.id = c.account_id "
    "LEFT JOIN staff s ON s.account_id = c.account_id WHERE c.key = ?"
)
_INSERT = (
    "INSERT INTO conversation (key, locale, flow, step, data, draft, account_id, version, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE = (
    "UPDATE conversation SET locale = ?, flow = ?, step = ?, data = ?, draft = ?, account_id = ?, version = ?, "
    "updated_at = ? WHERE key = ?"
)
_CLAIM = "INSERT INTO processed_update (update_key, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1"


Statement = tuple[str, tuple[Any, ...]]


def _load_statement(key: str, lock: bool) -> Statement:
    return _LOAD + (" FOR UPDATE OF c" if lock else ""), (key,)


def _state(key: str, rows: list[Any] | None, default_locale: str) -> State:
    if not rows:
        return State(key=key, locale=default_locale, flow="", step="")
    (locale, flow, step, data, draft, account_id, version, updated_at, phone, name, account_locale, role, site,
     born) = rows[0]
    updated_at = stored_time(updated_at)
    data = stored_json(data) or {}
    draft = stored_json(draft)
    if data and "answers" not in data:
        flow = ""  # written by the first version, whose answers are not typed: start over politely
    return State(
        key=key, locale=locale, flow=flow, step=step, answers=dict(data.get("answers") or {}),
        offered=list(data.get("offered") or []), pending=str(data.get("pending") or ""),
        filled=[str(n) for n in data.get("filled") or []],
        logged_in_at=datetime.fromisoformat(data["logged_in_at"]) if data.get("logged_in_at") else None,
        editing=bool(data.get("editing")),
        subject=str(data.get("subject") or SELF), resume_form=bool(data.get("resume_form")),
        asked=str((data.get("asked") or ["", 0])[0]), asked_at=int((data.get("asked") or ["", 0])[1]),
        draft=Draft.from_json(draft) if draft and "answers" in draft else None,
        account_id=account_id, version=version, updated_at=updated_at, is_new=False,
        account=accounts.AccountView(account_id, phone, name, account_locale, accounts.stored_day(born))
        if phone is not None else None,
        role=staff.Role(account_id, role, site) if role is not None else None,
    )


def load(conn: Connection, key: str, *, default_locale: str, lock: bool) -> State:
    (rows,) = execute(conn, _load_statement(key, lock))
    return _state(key, rows, default_locale)


def _claim_statement(update_key: str, stamp: Any) -> Statement:
    return _CLAIM, (update_key, stamp)


def claim_update(conn: Connection, update_key: str) -> bool:
    """Record the update key; False when it was applied before (a retry or a redelivery)."""
    (rows,) = execute(conn, _claim_statement(update_key, time_param(conn, utcnow())))
    return bool(rows)


def open_event(conn: Connection, key: str, update_key: str, *, default_locale: str,
               lock: bool, now: datetime) -> tuple[State, bool]:
    """The chat's state and whether ``update_key`` is new (claimed ``now``): one round trip on PostgreSQL."""
    rows, claimed = execute(conn, _load_statement(key, lock), _claim_statement(update_key, time_param(conn, now)))
    return _state(key, rows, default_locale), bool(claimed)


def _save_statement(state: State, stamp: Any) -> Statement:
    values = (
        state.locale, state.flow, state.step, state.data_json(),
        None if state.draft is None else json_text.dumps(state.draft.to_json()), state.account_id,
        state.version + 1, stamp,
    )
    if state.is_new:
        return _INSERT, (state.key, *values)
    return _UPDATE, (*values, state.key)


def save(conn: Connection, state: State) -> None:
    execute(conn, _save_statement(state, time_param(conn, utcnow())))
    state.is_new = False
    state.version += 1


def _append_statement(key: str, payloads: list[dict[str, Any]], stamp: Any) -> Statement:
    rows = ", ".join(["(?, ?, ?)"] * len(payloads))
    values = tuple(v for p in payloads for v in (key, json_text.dumps(p), stamp))
    return f"INSERT INTO chat_message (conversation_key, payload, created_at) VALUES {rows} RETURNING id", values


def append_messages(conn: Connection, key: str, payloads: list[dict[str, Any]]) -> list[int]:
    """Insert an event's replies in one statement; their ids come back in order."""
    if not payloads:
        return []
    (rows,) = execute(conn, _append_statement(key, payloads, time_param(conn, utcnow())))
    return sorted(int(row[0]) for row in rows or [])


def close_event(conn: Connection, state: State, payloads: list[dict[str, Any]],
                *also: Statement, now: datetime) -> tuple[list[int], list[list[Any] | None]]:
    """Save the state, keep the event's replies in the transcript (their ids, in order) and run ``also`` (their
    rows), all as of ``now``: one round trip on PostgreSQL."""
    stamp = time_param(conn, now)
    statements = [_save_statement(state, stamp), *also]
    if payloads:
        statements.append(_append_statement(state.key, payloads, stamp))
    results = execute(conn, *statements)
    state.is_new = False
    state.version += 1
    ids = sorted(int(row[0]) for row in results[-1] or []) if payloads else []
    return ids, results[1:1 + len(also)]


def expire(conn: Connection, *, updates_after: timedelta, drafts_after: timedelta) -> None:
    """Forget old update keys (retries come within minutes) and drafts nobody came back to (personal data)."""
    now = utcnow()
    conn.execute(delete(PROCESSED).where(PROCESSED.c.created_at < now - updates_after))
    conn.execute(
        update(CONVERSATION)
        .where(CONVERSATION.c.draft.is_not(None), CONVERSATION.c.updated_at < now - drafts_after)
        .values(draft=None)
    )


ABANDONED_SIGNUP = timedelta(days=1)


def forget_old(conn: Connection, *, keep: timedelta, signup_flow: str) -> None:
    """Personal data kept only as long as needed (Decree 13/2023): transcripts older than ``keep`` and
    conversations idle that long are deleted; a sign-up abandoned for a day loses its answers (name, phone,
    the password's fingerprint)."""
    now = utcnow()
    conn.execute(delete(MESSAGE).where(MESSAGE.c.created_at < now - keep))
    conn.execute(delete(CONVERSATION).where(CONVERSATION.c.updated_at < now - keep))
    conn.execute(
        update(CONVERSATION)
        .where(CONVERSATION.c.flow == signup_flow, CONVERSATION.c.updated_at < now - ABANDONED_SIGNUP)
        .values(flow="", step="", data={"answers": {}})
    )


def shows(conn: Connection, key: str, text: str) -> bool:
    """Whether a kept message of this chat contains ``text`` (a picture's link)."""
    return conn.execute(select(MESSAGE.c.id).where(
        MESSAGE.c.conversation_key == key, cast(MESSAGE.c.payload, Text).contains(text, autoescape=True)).limit(1)
    ).first() is not None


def messages_after(conn: Connection, key: str, after: int, limit: int = 200) -> list[tuple[int, dict[str, Any]]]:
    """The messages after ``after``, oldest first; from the start (a reloaded page), the latest ``limit``."""
    query = select(MESSAGE.c.id, MESSAGE.c.payload).where(MESSAGE.c.conversation_key == key, MESSAGE.c.id > after)
    if after == 0:
        latest = conn.execute(query.order_by(MESSAGE.c.id.desc()).limit(limit)).all()
        return [(r.id, r.payload) for r in reversed(latest)]
    return [(r.id, r.payload) for r in conn.execute(query.order_by(MESSAGE.c.id).limit(limit))]
