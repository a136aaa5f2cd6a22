"""What channels hand the engine (:class:`Incoming`) and what they get back (:class:`Reply`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.engine.storage.conversations import conversation_key
from bot.services.values.text import printable


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can do. Flows read these; nothing below the channels tests a channel's name."""

    buttons: bool = True
    request_contact: bool = False
    delete_messages: bool = False
    photo_upload: bool = True
    max_text: int = 4096
    documents: bool = True  # people can send files here (Zalo's bots receive none)

    @property
    def secrets_by_link(self) -> bool:
        """A password typed here would stay in the chat for good (nothing can delete it): passwords are typed
        on a one-time page of ours instead, and a password typed in the chat is refused."""
        return not self.delete_messages


@dataclass(slots=True)
class Incoming:
    channel: str
    chat_id: str
    user_id: str
    update_key: str
    text: str | None = None
    button: str | None = None
    contact_phone: str | None = None
    contact_is_own: bool = False
    photo: bytes | None = None
    photo_fallbacks: tuple[bytes, ...] = ()  # smaller sizes of the same picture (Telegram sends several)
    document: bytes | None = None  # a file sent (a site's CSV or XLSX)
    document_name: str = ""
    command: str | None = None
    other: str | None = None  # a sticker, voice note, location …: answered politely, never parsed
    source: str = ""  # who is typing, as far as the channel can tell (the client address on the web)
    secret_token: str | None = None  # the text was typed on the one-time password page this token opened
    shown: str = ""  # what the person saw they sent, where it differs from the text: a button's label

    def __post_init__(self) -> None:
        # Phones send NFD too: normalise once, here, so nothing downstream meets two spellings; and nothing
        # stored may carry control characters, bidi overrides or lone surrogates (which no database takes).
        if self.text is not None:
            self.text = unicodedata.normalize("NFC", printable(self.text))
            stripped = self.text.strip()
            if stripped.startswith("/") and self.command is None:
                head = stripped.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
                if head.isascii() and head.replace("_", "").isalnum():
                    self.command = head

    @property
    def conversation_key(self) -> str:
        return conversation_key(self.channel, self.chat_id)


@dataclass(slots=True)
class Reply:
    text: str
    choices: list[Choice] = field(default_factory=list)
    image_key: str | None = None  # a media token: the picture is stored once and sent by reference
    secret_prompt: bool = False
    request_contact: bool = False
    contact_label: str | None = None  # the contact button's text, in the chat's language
    keypad: str | None = None  # "numeric": the answer is digits or a date (a page opens the number keypad)
    autocomplete: str | None = None  # what a page's field holds: "one-time-code", "current-password", "new-password"
    delete_incoming: bool = False
    id: int | None = None  # its place in the transcript, for channels that keep one
    locale: str = ""  # the chat's language (a channel's own words around the reply: menu hints)
    secret_link: str | None = None  # the one-time password page's token (the link is the text's last paragraph)
    detached: bool = False  # choices that answer this message (a pushed notice), not the chat's current question
    document_key: str | None = None  # a file for this chat (an export, a report), kept a while in the file store
    document_name: str | None = None
    numbered: bool = True  # a menu may number the choices (False: the question's answer is typed numbers)


def reply_payload(reply: Reply) -> dict[str, Any]:
    """A reply as the outbox keeps it until it is sent (what a messenger needs; not the web page's extras)."""
    payload: dict[str, Any] = {"text": reply.text}
    if reply.choices:
        payload["choices"] = [[c.label, c.payload] for c in reply.choices]
    for name in ("image_key", "contact_label", "document_key", "document_name", "locale"):
        if getattr(reply, name):
            payload[name] = getattr(reply, name)
    if reply.request_contact:
        payload["request_contact"] = True
    if reply.detached:
        payload["detached"] = True
    if not reply.numbered:
        payload["numbered"] = False
    return payload


def reply_from_payload(payload: dict[str, Any]) -> Reply:
    return Reply(
        str(payload.get("text") or ""), choices=[Choice(str(label), str(data)) for label, data in
                                                 payload.get("choices") or []],
        image_key=payload.get("image_key"), request_contact=bool(payload.get("request_contact")),
        contact_label=payload.get("contact_label"), document_key=payload.get("document_key"),
        document_name=payload.get("document_name"), locale=str(payload.get("locale") or ""),
        detached=bool(payload.get("detached")), numbered=payload.get("numbered") is not False,
    )
