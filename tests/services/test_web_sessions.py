"""Web chat sessions: a session in use stays alive; one unused for 30 days is gone."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from bot.app import App
from bot.engine.storage import web_sessions
from bot.services.values.dates import utcnow
from models.tables import WebSession, table


async def test_a_session_in_use_stays_alive_and_an_idle_one_ends(app: App) -> None:
    def run(conn: Connection) -> tuple[str | None, str | None, str | None]:
        token, chat = web_sessions.create(conn)
        sessions = table(WebSession)
        conn.execute(update(sessions).values(seen_at=utcnow() - timedelta(days=29)))
        used = web_sessions.chat_of(conn, token)  # used on day 29: kept alive
        conn.execute(update(sessions).values(seen_at=utcnow() - timedelta(days=31)))
        idle = web_sessions.chat_of(conn, token)
        return chat, used, idle

    chat, used, idle = await app.store.run(run)
    assert used == chat and idle is None


async def test_a_used_session_is_renewed(app: App) -> None:
    def run(conn: Connection) -> object:
        token, _ = web_sessions.create(conn)
        conn.execute(update(table(WebSession)).values(seen_at=utcnow() - timedelta(days=29)))
        web_sessions.chat_of(conn, token)
        return conn.execute(select(table(WebSession).c.seen_at)).scalar_one()

    seen = await app.store.run(run)
    assert isinstance(seen, datetime) and utcnow() - seen < timedelta(minutes=1)  # its 30 days start again
