"""A scripted chat that talks to the engine the way a channel does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from bot.engine.runner import Engine
from bot.engine.types import Capabilities, Incoming, Reply
from bot.services.dates import today

WEB = Capabilities(buttons=True, delete_messages=True, transcript=True)
_updates = itertools.count(1)


@dataclass
class Chat:
    engine: Engine
    chat_id: str
    channel: str = "test"
    caps: Capabilities = WEB
    last: list[Reply] = field(default_factory=list)

    async def send(self, text: str | None = None, **kwargs: object) -> list[Reply]:
        incoming = Incoming(
            channel=self.channel, chat_id=self.chat_id, user_id=self.chat_id,
            update_key=f"{self.channel}:{self.chat_id}:{next(_updates)}", text=text, **kwargs,  # type: ignore[arg-type]
        )
        outcome = await self.engine.handle(incoming, self.caps)
        self.last = outcome.replies
        return outcome.replies

    async def press(self, label_or_payload: str) -> list[Reply]:
        """Press the button whose label contains the text (or whose payload is it)."""
        for choice in self.last[-1].choices if self.last else []:
            if choice.payload == label_or_payload or label_or_payload in choice.label:
                return await self.send(button=choice.payload)
        raise AssertionError(f"no button {label_or_payload!r} in {self.choices()}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def prompt(self) -> str:
        return self.last[-1].text if self.last else ""

    def choices(self) -> list[str]:
        return [c.label for c in self.last[-1].choices] if self.last else []


PASSWORD = "mật-khẩu-an-toàn-1"


async def signup(chat: Chat, name: str = "Nguyễn Văn An", phone: str = "0912345678") -> None:
    await chat.send("/start")
    await chat.press("signup")
    await chat.send(name)
    await chat.send(phone)
    await chat.send(PASSWORD)
    await chat.send(PASSWORD)
    assert chat.last[-1].choices[0].payload == "register_self", chat.text


def soon(days: int = 10) -> str:
    return (today() + timedelta(days=days)).strftime("%d/%m/%Y")


DETAILS_SELF: list[str | tuple[str, str]] = [
    "Nguyễn Văn An",  # name
    "01/07/1990",  # birth date
    ("button", "M"),
    ("button", "cccd"),
    "001090123456",
    ("button", "account_phone"),
    ("button", "nav:skip"),  # insurance
    "Kỹ sư phần mềm",
    ("button", "nav:skip"),  # workplace
    ("button", "group:8"),
    "hcm",
    "bến thành",
    ("button", "nav:skip"),  # address
    "1",  # first site
    soon(),
    ("button", "morning"),
    ("button", "1"),
]


async def answer_all(chat: Chat, answers: list[str | tuple[str, str]]) -> None:
    for answer in answers:
        if isinstance(answer, tuple):
            await chat.send(button=answer[1])
        else:
            await chat.send(answer)


async def answer_history(chat: Chat, answer: str = "no") -> None:
    while chat.last and any(c.payload == "unknown" for c in chat.last[-1].choices):
        await chat.send(button=answer)
