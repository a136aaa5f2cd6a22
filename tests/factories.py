"""Tests start where they test: an account with its chat logged in, a staff member of a site — made through the
services, not replayed from /start (signing up, logging in and registering have walks of their own in
tests/handlers/test_account.py and test_registration_path.py). Praekelt's ``AppTester.setup_state`` is the model,
and ``tests.helpers.setup_state`` puts a chat at any step."""

from __future__ import annotations

from sqlalchemy import Connection

from bot.app import App
from bot.engine.storage import conversations
from bot.services.access import staff
from bot.services.people import accounts
from bot.services.values.dates import utcnow
from bot.services.values.phones import parse_mobile
from tests.helpers import PASSWORD, WEB, Chat


async def logged_in(chat: Chat, *, name: str = "Nguyễn Văn An", phone: str = "0912345678") -> int:
    """An account (``PASSWORD``, proven ``phone``) whose chat is logged in and shown the menu, as ``signup`` leaves
    it without walking the sign-up; the account's id."""
    password_hash = chat.engine.services.passwords.hash(PASSWORD)

    def make(conn: Connection) -> int:
        account_id = accounts.create(conn, phone=parse_mobile(phone), name=name,
                                     password_hash=password_hash, locale="vi")
        accounts.bind_chat(conn, channel=chat.channel, chat_id=chat.chat_id,
                           user_id=chat.chat_id, account_id=account_id)
        key = conversations.conversation_key(chat.channel, chat.chat_id)
        state = conversations.load(conn, key, default_locale="vi", lock=False)
        state.flow, state.step, state.account_id, state.logged_in_at = "menu", "choice", account_id, utcnow()
        conversations.save(conn, state)
        return account_id

    account_id = await chat.engine.store.run(make)
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
