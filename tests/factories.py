"""Tests start where they test: an account with its chat logged in, a staff member of a site — made through the
services, not replayed from /start (signing up, logging in and registering have walks of their own in
tests/handlers/test_account.py and test_registration_path.py). Praekelt's ``AppTester.setup_state`` is the model,
and ``tests.helpers.setup_state`` puts a chat at any step."""

from __future__ import annotations

import re
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from bot.app import App, build
from bot.engine.storage import conversations
from bot.services.access import staff
from bot.services.people import accounts
from bot.services.values.phones import parse_mobile
from bot.services.values.text import fold
from models.tables import Account, ChannelIdentity, Person, Registration, table
from tests.conftest import cheap_settings
from tests.helpers import PASSWORD, WEB, Chat, answer_form, setup_state
from tests.scripts import details, history


async def logged_in(chat: Chat, *, name: str = "Nguyễn Văn An", phone: str = "0912345678") -> int:
    """An account (``PASSWORD``, proven ``phone``) whose chat is logged in and shown the menu, as ``signup`` leaves
    it without walking the sign-up; the account's id."""
    password_hash = chat.engine.services.passwords.hash(PASSWORD)

    def make(conn: Connection) -> int:
        account_id = accounts.create(conn, phone=parse_mobile(phone), name=name,
                                     password_hash=password_hash, locale="vi")
        accounts.bind_chat(conn, channel=chat.channel, chat_id=chat.chat_id,
                           user_id=chat.chat_id, account_id=account_id)
        return account_id

    account_id = await chat.engine.store.run(make)
    setup_state(chat, "menu", account_id=account_id)
    await chat.send("/menu")
    return account_id


async def staff_member(app: App, role: str, site: str | None = "HCM-BT-01", *, phone: str = "0901000003",
                       name: str = "Phạm Bến Thành", chat_id: str = "", channel: str = "test") -> Chat:
    """A staff member (``role`` at ``site``) logged in just now, at the menu with their staff buttons."""
    chat = Chat(app.engine, chat_id or f"staff-{phone}", channel=channel, caps=WEB)
    await logged_in(chat, name=name, phone=phone)
    await app.store.run(lambda conn: staff.add(conn, phone=parse_mobile(phone), role=role,
                                               site_code=site if role == staff.SITE_STAFF else None))
    await chat.send("/menu")  # the menu again, now with the role's buttons
    return chat


_FORM: dict[str, Any] = {}  # a full self-registration's answers as the conversation keeps them, walked once


async def _standard_form() -> dict[str, Any]:
    """The answers of ``tests.scripts.details()`` and ``history()``, captured from one walk through the form in an
    app of its own (the sites and wards are the same in every fresh database: the demo seed is deterministic)."""
    if not _FORM:
        with tempfile.TemporaryDirectory() as data_dir:
            app = build(cheap_settings(Path(data_dir)))
            try:
                walker = Chat(app.engine, "walker")
                await logged_in(walker)
                await walker.press("register_self")
                await answer_form(walker, details())
                await answer_form(walker, history())
                assert walker.step == "summary", walker.prompt
                key = conversations.conversation_key(walker.channel, walker.chat_id)
                with app.store.engine.connect() as conn:
                    state = conversations.load(conn, key, default_locale="vi", lock=False)
                _FORM.update(answers=dict(state.answers), filled=list(state.filled))
            finally:
                app.close()
    return _FORM


async def registered(chat: Chat) -> str:
    """The chat's account (logged in, see :func:`logged_in`) registers itself with the standard answers: the form
    is put at its summary and sent as a person sends it (consent, the real submit, the QR pushed); the booking
    code. The walk through the form itself is tests/handlers/test_registration_path.py's."""
    form = await _standard_form()
    account_id = await logged_in(chat)

    setup_state(chat, "consent", "summary", encoded=form["answers"], filled=form["filled"], account_id=account_id)
    await chat.send(other="sticker")  # the summary shown again, with its buttons
    for payload in ("ok", "tick", "confirm"):
        await chat.press(payload)
    match = re.search(r"Mã đặt tiêm: (\d{16})", chat.text)
    assert match, chat.text
    return match.group(1)


def waiting_people(conn: Connection, rows: list[dict[str, Any]], *, site_id: int = 1) -> list[int]:
    """People waiting at a site, all of one account with a web chat (written directly: the registration
    conversation has its own tests); each row may say ``group``, ``born``, ``preferred``, ``screening``,
    ``earliest``, ``due``. The registrations' ids, in the order given (also their registration order)."""
    now = datetime(2026, 11, 1, 8, 0)
    account = conn.execute(insert(table(Account)).values(
        phone="+84900000999", name="Gia đình", password_hash="!", locale="vi", created_at=now)
        .returning(table(Account).c.id)).scalar_one()
    conn.execute(insert(table(ChannelIdentity)).values(channel="web", chat_id="family", user_id="family",
                                                       account_id=account, created_at=now))
    ids = []
    for n, row in enumerate(rows):
        born = row.get("born", date(1980, 1, 1))
        person = conn.execute(insert(table(Person)).values(
            owner_account_id=account, relation="self", full_name=row.get("name", f"Người {n}"),
            name_key=fold(row.get("name", f"Người {n}")), birth_date=born, sex="F", id_type="cccd",
            id_number=f"0791{n:08d}", phone="+84900000999", occupation="-", priority_group=row.get("group", 16),
            province_code=79, ward_code=26743, created_at=now, updated_at=now).returning(table(Person).c.id)
        ).scalar_one()
        ids.append(conn.execute(insert(table(Registration)).values(
            person_id=person, booking_code=f"{3 * 10**15 + n}", open_key=f"cccd:{n}", site_id=site_id,
            province_code=79, preferred_date=row.get("preferred", date(2026, 12, 20)), preferred_session="allday",
            dose_number=1, status="submitted", screening=row.get("screening", {}), screening_flags="",
            consent_at=now, consent_version="t", created_at=now + timedelta(minutes=n),
            earliest_on=row.get("earliest"), due_on=row.get("due")).returning(table(Registration).c.id)).scalar_one())
    return ids
