"""The aiogram runtime of :class:`TelegramApi` (the default)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.channels.telegram.api import Blocked, Keyboard, RetryAfter, Transient

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


def _markup(keyboard: Keyboard | None) -> Markup:
    if keyboard is None:
        return None
    if keyboard.contact_label is not None:
        rows = [[KeyboardButton(text=keyboard.contact_label, request_contact=True)]]
        rows += [[KeyboardButton(text=b.label) for b in row] for row in keyboard.rows]
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row] for row in keyboard.rows
    ])


class AiogramApi:
    def __init__(self, token: str, api_url: str) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
        self.bot = Bot(token=token, session=session)

    async def _do(self, call: Any) -> Any:
        try:
            return await call
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise Blocked() from exc
        except (TelegramServerError, TelegramNetworkError) as exc:
            raise Transient(str(exc)) from exc

    async def start(self) -> None:
        await self._do(self.bot.get_me())

    async def close(self) -> None:
        await self.bot.session.close()

    async def get_updates(self, offset: int, timeout: int) -> list[dict[str, Any]]:
        updates = await self._do(self.bot.get_updates(offset=offset, timeout=timeout, request_timeout=timeout + 10))
        return [u.model_dump(mode="json", exclude_none=True, by_alias=True) for u in updates]

    async def send_message(self, chat_id: int, text: str, keyboard: Keyboard | None) -> None:
        await self._do(self.bot.send_message(chat_id, text, reply_markup=_markup(keyboard)))

    async def send_photo(self, chat_id: int, photo: bytes | str, caption: str | None, keyboard: Keyboard | None) -> str:
        file = BufferedInputFile(photo, filename="qr.png") if isinstance(photo, bytes) else photo
        message = await self._do(self.bot.send_photo(chat_id, file, caption=caption, reply_markup=_markup(keyboard)))
        return str(message.photo[-1].file_id) if message.photo else ""

    async def send_document(self, chat_id: int, data: bytes, name: str, caption: str | None) -> None:
        await self._do(self.bot.send_document(chat_id, BufferedInputFile(data, filename=name), caption=caption))

    async def delete_message(self, chat_id: int, message_id: int) -> None:
        await self._do(self.bot.delete_message(chat_id, message_id))

    async def answer_callback(self, callback_id: str) -> None:
        await self._do(self.bot.answer_callback_query(callback_id))

    async def send_typing(self, chat_id: int) -> None:
        await self._do(self.bot.send_chat_action(chat_id, "typing"))

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        await self._do(self.bot.set_my_commands([BotCommand(command=c, description=d) for c, d in commands],
                                                language_code=language))

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._do(self.bot.set_webhook(url, secret_token=secret, drop_pending_updates=False))

    async def delete_webhook(self) -> None:
        await self._do(self.bot.delete_webhook())

    async def download(self, file_id: str) -> bytes:
        file = await self._do(self.bot.get_file(file_id))
        data = await self._do(self.bot.download_file(file.file_path))
        return bytes(data.read()) if data is not None else b""
