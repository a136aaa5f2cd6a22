"""Arbitrary text, buttons, commands, photos and stickers at every step: always a reply, never a crash."""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App, build
from bot.engine.types import Incoming
from bot.services.conversations import load
from tests.conftest import cheap_settings
from tests.helpers import DETAILS_SELF, WEB, Chat, answer_all, answer_history, signup

COMMANDS = ["/start", "/help", "/menu", "/huy", "/cancel", "/quaylai", "/back", "/lang", "/x", "/", "quay lại"]
PAYLOADS = ["nav:back", "nav:skip", "yes", "no", "ok", "tick", "confirm", "edit:full_name", "edit:q1",
            "group:99", "prov:99999", "ward:1", "site:pool", "site:999", "cancel:1", "M", "F", "cccd", "x" * 300]

event = st.one_of(
    st.text(max_size=300).map(lambda t: {"text": t}),
    st.sampled_from(COMMANDS).map(lambda t: {"text": t}),
    st.sampled_from(PAYLOADS).map(lambda p: {"button": p}),
    st.integers(1, 25).map(lambda n: {"text": str(n)}),
    st.just({"photo": b"\x89PNG"}),
    st.just({"other": "sticker"}),
    st.just({"contact_phone": "0912345678", "contact_is_own": False}),
)
_keys = itertools.count()


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return build(cheap_settings(Path(tmp_path_factory.mktemp("fuzz"))))


async def _walk_to(chat: Chat, depth: int) -> None:
    await signup(chat, phone=f"09{next(_keys):08d}")
    await chat.press("register_self")
    await answer_all(chat, DETAILS_SELF[:depth])
    if depth >= len(DETAILS_SELF):
        await answer_history(chat)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(0, len(DETAILS_SELF)), events=st.lists(event, min_size=1, max_size=12))
def test_random_input_at_every_step(
    fuzz_app: App, depth: int, events: list[dict[str, object]], caplog: pytest.LogCaptureFixture
) -> None:
    async def run() -> None:
        chat = Chat(fuzz_app.engine, f"fz{next(_keys)}")
        await _walk_to(chat, depth)
        for fields in events:
            incoming = Incoming(channel="test", chat_id=chat.chat_id, user_id=chat.chat_id,
                                update_key=f"fz-{next(_keys)}", **fields)  # type: ignore[arg-type]
            outcome = await fuzz_app.engine.handle(incoming, WEB)
            assert outcome.replies, fields
            assert all(r.text for r in outcome.replies)
            assert "sự cố" not in outcome.replies[-1].text  # not the internal-error apology
        with fuzz_app.store.engine.connect() as conn:
            state = load(conn, f"test:{chat.chat_id}", default_locale="vi", lock=False)
        flow = fuzz_app.engine.registry[state.flow]
        assert flow.step(state.step)  # a step that exists

    with caplog.at_level(logging.ERROR):
        asyncio.run(run())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
