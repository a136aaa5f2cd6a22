"""Bot API method bodies as plain JSON: the answer carried in a webhook's HTTP response (Telegram runs it as if
we had called it), built without a library's models because it is on every update's path."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram.api import Keyboard


def reply_markup(keyboard: Keyboard | None) -> dict[str, Any] | None:
    if keyboard is None:
        return None
    if keyboard.contact_label is not None:
        rows: list[list[dict[str, Any]]] = [[{"text": keyboard.contact_label, "request_contact": True}]]
        rows += [[{"text": b.label} for b in row] for row in keyboard.rows]
        return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row] for row in keyboard.rows]}


def send_message(chat_id: int, text: str, keyboard: Keyboard | None) -> dict[str, Any]:
    body: dict[str, Any] = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    markup = reply_markup(keyboard)
    if markup is not None:
        body["reply_markup"] = markup
    return body


def send_photo(chat_id: int, file_id: str, caption: str | None, keyboard: Keyboard | None) -> dict[str, Any]:
    """A picture Telegram already has (by ``file_id``): an upload cannot ride in a JSON answer."""
    body: dict[str, Any] = {"method": "sendPhoto", "chat_id": chat_id, "photo": file_id}
    if caption is not None:
        body["caption"] = caption
    markup = reply_markup(keyboard)
    if markup is not None:
        body["reply_markup"] = markup
    return body
