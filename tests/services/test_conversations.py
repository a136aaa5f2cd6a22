"""A chat's state round-trips with every field named; the first version's shape restarts politely."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert

from bot.app import App
from bot.services import conversations
from models.tables import Conversation, table


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
