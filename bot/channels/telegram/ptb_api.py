"""The python-telegram-bot (v22) runtime of :class:`TelegramApi`. The engine owns conversation state, so
no ConversationHandler: only the library's typed Bot API client is used."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

# Opt in to v22's future behaviour (retry_after as a timedelta); both forms are handled below.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import Forbidden, NetworkError, TimedOut
from telegram.error import RetryAfter as PtbRetryAfter
from telegram.request import HTTPXRequest

from bot.channels.telegram.api import Blocked, Keyboard, RetryAfter, Transient

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


def _markup(keyboard: Keyboard | None) -> Markup:
    if keyboard is None:
        return None
    if keyboard.contact_label is not None:
        rows = [[KeyboardButton(keyboard.contact_label, request_contact=True)]]
        rows += [[KeyboardButton(b.label) for b in row] for row in keyboard.rows]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in keyboard.rows])


class PtbApi:
    def __init__(self, token: str, api_url: str) -> None:
        base = api_url.rstrip("/")
        self.bot = Bot(
            token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
            request=HTTPXRequest(connection_pool_size=64),
            get_updates_request=HTTPXRequest(read_timeout=40),
        )

    async def _do(self, call: Any) -> Any:
        try:
            return await call
        except PtbRetryAfter as exc:
            wait = exc.retry_after
            raise RetryAfter(wait.total_seconds() if isinstance(wait, timedelta) else float(wait)) from exc
        except Forbidden as exc:
            raise Blocked() from exc
        except (TimedOut, NetworkError) as exc:
            raise Transient(str(exc)) from exc

    async def start(self) -> None:
        await self.bot.initialize()

    async def close(self) -> None:
        await self.bot.shutdown()

    async def get_updates(self, offset: int, timeout: int) -> list[dict[str, Any]]:
        updates = await self._do(self.bot.get_updates(offset=offset, timeout=timeout))
        return [u.to_dict() for u in updates]

    async def send_message(self, chat_id: int, text: str, keyboard: Keyboard | None) -> None:
        await self._do(self.bot.send_message(chat_id, text, reply_markup=_markup(keyboard)))

    async def send_photo(self, chat_id: int, photo: bytes | str, caption: str | None, keyboard: Keyboard | None) -> str:
        message = await self._do(self.bot.send_photo(chat_id, photo, caption=caption, reply_markup=_markup(keyboard)))
        return str(message.photo[-1].file_id) if message.photo else ""

    async def send_document(self, chat_id: int, data: bytes, name: str, caption: str | None) -> None:
        await self._do(self.bot.send_document(chat_id, data, filename=name, caption=caption))

    async def delete_message(self, chat_id: int, message_id: int) -> None:
        await self._do(self.bot.delete_message(chat_id, message_id))

    async def answer_callback(self, callback_id: str) -> None:
        await self._do(self.bot.answer_callback_query(callback_id))

    async def send_typing(self, chat_id: int) -> None:
        await self._do(self.bot.send_chat_action(chat_id, "typing"))

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        await self._do(self.bot.set_my_commands([BotCommand(c, d) for c, d in commands], language_code=language))

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._do(self.bot.set_webhook(url, secret_token=secret))

    async def delete_webhook(self) -> None:
        await self._do(self.bot.delete_webhook())

    async def download(self, file_id: str) -> bytes:
        file = await self._do(self.bot.get_file(file_id))
        return bytes(await self._do(file.download_as_bytearray()))
