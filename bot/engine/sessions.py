"""Server-issued chat sessions for channels that have no identity of their own (the web chat): a channel
asks the engine, which keeps them in the database beside the conversations (every worker sees them)."""

from __future__ import annotations

from bot.engine.storage import web_sessions
from bot.engine.store import Store


class Sessions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self) -> tuple[str, str]:
        """(token, chat id) of a new session."""
        return await self.store.run(web_sessions.create)

    async def chat_of(self, token: str | None) -> str | None:
        return await self.store.run(lambda conn: web_sessions.chat_of(conn, token))

    async def after_login(self, token: str) -> str:
        """A new token for the same chat (the one seen before the log-in stops working)."""
        return await self.store.run(lambda conn: web_sessions.rotate(conn, token))

    async def after_logout(self, token: str, channel: str) -> tuple[str, str]:
        """A new token and chat; the conversation moves there, the old transcript is deleted."""
        return await self.store.run(lambda conn: web_sessions.restart(conn, token, channel))
