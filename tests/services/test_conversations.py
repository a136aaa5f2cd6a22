"""A chat's state round-trips with every field named; the first version's shape restarts politely."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bot.app import App
from bot.engine.storage import conversations
from bot.services.values.dates import utcnow
from models.tables import ChatMessage, Conversation, table


async def test_state_and_draft_round_trip(app: App) -> None:
    def write(conn: object) -> None:
        state = conversations.load(conn, "web:abc", default_locale="vi", lock=False)  # type: ignore[arg-type]
        state.flow, state.step, state.answers = "details", "sex", {"birth_date": "1990-07-01"}
        state.subject, state.editing, state.offered = conversations.FAMILY, True, [["Nam", "M"]]
        state.draft = conversations.Draft("details", "sex", {"full_name": "An"}, conversations.FAMILY,
                                          datetime(2026, 11, 1, 8, 0))
        conversations.save(conn, state)  # type: ignore[arg-type]

    await app.store.run(write)
    state = await app.store.run(lambda conn: conversations.load(conn, "web:abc", default_locale="vi", lock=False))
    assert (state.flow, state.step, state.answers) == ("details", "sex", {"birth_date": "1990-07-01"})
    assert state.subject == conversations.FAMILY and state.editing and state.offered == [["Nam", "M"]]
    assert state.draft is not None and state.draft.answers == {"full_name": "An"}
    assert state.draft.saved_at == datetime(2026, 11, 1, 8, 0)


async def test_first_version_rows_start_over(app: App) -> None:
    with app.store.engine.begin() as conn:
        conn.execute(insert(table(Conversation)).values(
            key="web:old", locale="vi", flow="details", step="ward", data=json.loads('{"province": 79, "_edit": true}'),
            draft=None, version=3, updated_at=datetime(2026, 11, 1)))
    state = await app.store.run(lambda conn: conversations.load(conn, "web:old", default_locale="vi", lock=False))
    assert state.flow == "" and state.answers == {}


def test_one_conversation_key() -> None:
    assert conversations.conversation_key("telegram", "42") == "telegram:42"


async def test_old_transcripts_idle_conversations_and_abandoned_sign_ups_are_deleted(app: App) -> None:
    def run(conn: Connection) -> tuple[list[str], list[str], dict[str, Any]]:
        now = utcnow()
        conversations.append_messages(conn, "web:old", [{"text": "old"}])
        conversations.append_messages(conn, "web:new", [{"text": "new"}])
        message = table(ChatMessage)
        conn.execute(update(message).where(message.c.conversation_key == "web:old")
                     .values(created_at=now - timedelta(days=31)))
        for key, flow, age in (("web:idle", "menu", 31), ("web:signup", "signup", 2), ("web:active", "signup", 0)):
            state = conversations.State(key=key, locale="vi", flow=flow, step="phone", answers={"full_name": "Ân"})
            conversations.save(conn, state)
            conn.execute(update(table(Conversation)).where(table(Conversation).c.key == key)
                         .values(updated_at=now - timedelta(days=age)))
        conversations.forget_old(conn, keep=timedelta(days=30), signup_flow="signup")
        new = [p["text"] for _, p in conversations.messages_after(conn, "web:new", 0)]
        old = [p["text"] for _, p in conversations.messages_after(conn, "web:old", 0)]
        rows = {r.key: (r.flow, r.data) for r in conn.execute(select(table(Conversation)))}
        return new, old, rows

    new, old, rows = await app.store.run(run)
    assert new == ["new"] and old == []
    assert "web:idle" not in rows  # deleted with what it held
    assert rows["web:signup"][0] == "" and _json(rows["web:signup"][1]) == {"answers": {}}  # sign-up forgotten
    assert _json(rows["web:active"][1])["answers"] == {"full_name": "Ân"}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
