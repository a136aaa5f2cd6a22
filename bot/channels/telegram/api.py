"""What the channel needs from a Telegram library, and the errors it must translate into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.channels.pacing import Blocked, RetryAfter, Transient

__all__ = ["Blocked", "Button", "Keyboard", "RetryAfter", "TelegramApi", "Transient"]


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Keyboard:
    """Inline buttons, or (``contact``) a reply keyboard whose first button shares the phone number."""

    rows: tuple[tuple[Button, ...], ...] = ()
    contact_label: str | None = None


class TelegramApi(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def get_updates(self, offset: int, timeout: int) -> list[dict[str, Any]]: ...
    async def send_message(self, chat_id: int, text: str, keyboard: Keyboard | None) -> None: ...
    async def send_photo(self, chat_id: int, photo: bytes | str, caption: str | None,
                         keyboard: Keyboard | None) -> str: ...
    async def delete_message(self, chat_id: int, message_id: int) -> None: ...
    async def answer_callback(self, callback_id: str) -> None: ...
    async def send_typing(self, chat_id: int) -> None: ...
    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None: ...
    async def set_webhook(self, url: str, secret: str) -> None: ...
    async def delete_webhook(self) -> None: ...
    async def download(self, file_id: str) -> bytes: ...
