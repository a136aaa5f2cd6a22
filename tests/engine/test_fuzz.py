"""Arbitrary text, buttons, commands, photos and stickers at every step of every flow: always a reply, never
a crash, and the chat always at a step that exists."""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App, build
from bot.engine import Incoming
from bot.engine.storage.conversations import conversation_key, load
from bot.services.access import staff
from handlers import FLOWS
from tests.conftest import cheap_settings
from tests.factories import logged_in
from tests.helpers import WEB, Chat, answer_form, send_form, setup_state
from tests.scripts import Button, details, history

COMMANDS = ["/start", "/help", "/menu", "/huy", "/cancel", "/quaylai", "/back", "/lang", "/x", "/", "quay lại"]
PAYLOADS = ["nav:back", "nav:skip", "yes", "no", "ok", "tick", "confirm", "edit:full_name", "edit:q1",
            "group:99", "group:²", "prov:²", "ward:³",
            "prov:99999", "ward:1", "site:pool", "site:999", "cancel:1", "M", "F", "cccd", "x" * 300,
            "account_phone", "account_name", "person:1", "person:999", "signup", "login", "logout", "records",
            "all", "next", "previous", "again", "done", "appt:yes:1", "appt:no:999", "appt:x", "ward:26743", "ward:x",
            "link_chat", "link_code", "staff:allocate", "staff:announce", "group"]

event = st.one_of(
    st.text(max_size=300).map(lambda t: {"text": t}),
    st.sampled_from(COMMANDS).map(lambda t: {"text": t}),
    st.sampled_from(PAYLOADS).map(lambda p: {"button": p}),
    st.integers(1, 25).map(lambda n: {"text": str(n)}),
    st.just({"photo": b"\x89PNG"}),
    st.just({"document": b"Ho va ten,Ngay sinh\n", "document_name": "a.csv"}),
    st.just({"document": b"PK\x03\x04 no", "document_name": "a.xlsx"}),
    st.sampled_from(["05/12/2030 3", "01/01/2020 5 sang", "31/02/2031 2", "99", "Phường Bến Thành, Hồ Chí Minh",
                     "HCM-BT-01", "123456"]).map(lambda t: {"text": t}),
    st.just({"other": "sticker"}),
    st.just({"contact_phone": "0912345678", "contact_is_own": False}),
    st.just({"contact_phone": "0912345678", "contact_is_own": True}),
)
EVERY_STEP = [(flow.name, step.name) for flow in FLOWS for step in flow.steps]
_keys = itertools.count()


class World:
    """One app with an account that has a registration, and the answers of a whole form to start from."""

    def __init__(self, app: App, account_id: int, answers: dict[str, Any]) -> None:
        self.app, self.account_id, self.answers = app, account_id, answers


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    app = build(cheap_settings(Path(tmp_path_factory.mktemp("fuzz"))))

    async def prepare() -> World:
        chat = Chat(app.engine, "fz-holder")
        await logged_in(chat)
        await chat.press("register_family")
        await chat.press("child")
        await answer_form(chat, details(full_name="Nguyễn Văn Bé", birth_date="01/07/2015", id_number="001215123456",
                                        phone=Button("account_phone")))
        await answer_form(chat, history(q1=Button("yes"), q1_agent="penicillin"))
        assert chat.step == "summary", chat.prompt
        with app.store.engine.connect() as conn:
            state = load(conn, conversation_key(chat.channel, chat.chat_id), default_locale="vi", lock=False)
        await send_form(chat)
        assert state.account_id is not None
        # The holder also works for a site, as an administrator: the staff commands are fuzzed for real too.
        with app.store.engine.begin() as conn:
            staff.add(conn, phone="+84912345678", role=staff.ADMIN, site_code="HCM-BT-01")
        return World(app, state.account_id, state.answers)

    return asyncio.run(prepare())


def test_the_fuzz_covers_every_step_of_every_flow() -> None:
    names = {flow for flow, _ in EVERY_STEP}
    assert {"menu", "signup", "login", "details", "history", "consent", "records", "cancel_registration",
            "certificate", "language", "resume"} <= names
    assert len(EVERY_STEP) == sum(len(flow.steps) for flow in FLOWS)


@pytest.mark.parametrize(("flow", "step"), EVERY_STEP)
def test_random_input_at_every_step(world: World, flow: str, step: str, caplog: pytest.LogCaptureFixture) -> None:
    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(events=st.lists(event, min_size=1, max_size=10), family=st.booleans())
    def run(events: list[dict[str, Any]], family: bool) -> None:
        asyncio.run(_run(world, flow, step, events, family))

    with caplog.at_level(logging.ERROR):
        run()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def _run(world: World, flow: str, step: str, events: list[dict[str, Any]], family: bool) -> None:
    app = world.app
    chat = Chat(app.engine, f"fz{next(_keys)}")
    logged_out = flow in ("signup", "login")
    setup_state(chat, flow, step, encoded=world.answers, for_family=family,
                account_id=None if logged_out else world.account_id)
    for fields in events:
        incoming = Incoming(channel="test", chat_id=chat.chat_id, user_id=chat.chat_id,
                            update_key=f"fz-{next(_keys)}", **fields)
        outcome = await app.engine.handle(incoming, WEB)
        assert outcome.replies, fields
        assert all(r.text for r in outcome.replies)
        assert "sự cố" not in outcome.replies[-1].text  # not the internal-error apology
        assert app.engine.registry[outcome.flow].step(outcome.step)  # a step that exists


@pytest.mark.parametrize(("flow", "step"), EVERY_STEP)
def test_stale_buttons_change_nothing_at_every_step(world: World, flow: str, step: str) -> None:
    """The buttons of the menu and of another question of the same flow, pressed on their old messages while the
    chat is at this step: each is told it belongs to an earlier question, and no answer, flow or step changes."""
    asyncio.run(_stale(world, flow, step))


async def _stale(world: World, flow: str, step: str) -> None:
    app = world.app
    chat = Chat(app.engine, f"fz{next(_keys)}")
    logged_out = flow in ("signup", "login")
    account = None if logged_out else world.account_id
    steps = [s.name for s in app.engine.registry[flow].steps]
    other = steps[steps.index(step) - 1] if len(steps) > 1 else None
    old: list[str] = []
    for earlier_flow, earlier_step in [("menu", "choice"), *([(flow, other)] if other else [])]:
        setup_state(chat, earlier_flow, earlier_step, encoded=world.answers, account_id=account)
        await chat.send(other="sticker")  # asked again: its buttons, stamped with this visit
        old += [c.payload for r in chat.last if not r.detached for c in r.choices]
    setup_state(chat, flow, step, encoded=world.answers, account_id=account)
    await chat.send(other="sticker")
    key = conversation_key(chat.channel, chat.chat_id)
    for button in old:
        with app.store.engine.connect() as conn:
            before = load(conn, key, default_locale="vi", lock=False)
        await chat.send(button=button)
        with app.store.engine.connect() as conn:
            after = load(conn, key, default_locale="vi", lock=False)
        assert "Nút này thuộc câu hỏi trước" in chat.text, (button, chat.text)
        assert (after.flow, after.step, after.answers) == (before.flow, before.step, before.answers), button
