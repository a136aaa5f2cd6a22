"""A scripted chat that talks to the engine the way a channel does, and a way to start it anywhere."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import re
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Connection, select

from bot.app import App
from bot.engine import Capabilities, Engine, Incoming, Reply, payload_of
from bot.engine.storage import conversations
from bot.services.values.dates import utcnow
from bot.services.values.phones import parse_mobile
from models.tables import Outbox, table
from tests.scripts import PASSWORD, Button, Script
from tests.scripts import signup as signup_script

WEB = Capabilities(buttons=True, delete_messages=True)
_updates = itertools.count(1)

__all__ = [
    "PASSWORD",
    "WEB",
    "Chat",
    "answer_form",
    "at_password",
    "free_port",
    "payload_of",
    "read_sms",
    "send_form",
    "served",
    "setup_state",
    "signup",
    "sms_code",
    "until",
    "until_serving",
]


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """``app`` on a free loopback port (real HTTP); its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def until(check: Callable[[], Any], what: str, seconds: float = 60) -> None:
    """Wait for a condition of a running service (a port to open, a worker to come back, a notice to arrive),
    bounded: the deadline fails the test, the polling decides nothing."""
    for _ in range(int(seconds * 20)):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def until_serving(url: str, proc: subprocess.Popen[Any], seconds: float = 60) -> None:
    """Wait until the `sskdt run` process ``proc`` answers 200 at ``url`` (it must not exit meanwhile)."""
    async with aiohttp.ClientSession() as http:
        async def answers() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "the server exited"
            try:
                async with http.get(url) as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False  # the port is not open yet

        await until(answers, f"{url} to answer", seconds)


def free_port() -> int:
    """A loopback port nobody listens on now (for a server started in another process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Chat:
    engine: Engine
    chat_id: str
    channel: str = "test"
    caps: Capabilities = WEB
    last: list[Reply] = field(default_factory=list)
    flow: str = ""  # where the engine says the chat is now
    step: str = ""

    async def send(self, text: str | None = None, **kwargs: Any) -> list[Reply]:
        incoming = Incoming(
            channel=self.channel, chat_id=self.chat_id, user_id=self.chat_id,
            update_key=f"{self.channel}:{self.chat_id}:{next(_updates)}", text=text, **kwargs,
        )
        outcome = await self.engine.handle(incoming, self.caps)
        self.last = outcome.replies
        self.flow, self.step = outcome.flow, outcome.step
        return outcome.replies

    async def answer(self, answer: str | Button) -> list[Reply]:
        if isinstance(answer, Button):
            # The button as the last message shows it (its payload carries the question's stamp); a chat put at
            # a step by ``setup_state`` has no message yet, and its first button is taken unstamped.
            shown = [c.payload for c in self.last[-1].choices if payload_of(c.payload) == answer.payload] \
                if self.last else []
            return await self.send(button=shown[0] if shown else answer.payload)
        return await self.send(answer)

    async def press(self, label_or_payload: str) -> list[Reply]:
        """Press the button whose label contains the text (or whose payload is it)."""
        for choice in self.last[-1].choices if self.last else []:
            if payload_of(choice.payload) == label_or_payload or label_or_payload in choice.label:
                return await self.send(button=choice.payload)
        raise AssertionError(f"no button {label_or_payload!r} in {self.choices()}")

    def payloads(self) -> list[str]:
        """The last message's buttons' payloads, without the stamp of the question they belong to."""
        return [payload_of(c.payload) for c in self.last[-1].choices] if self.last else []

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def prompt(self) -> str:
        return self.last[-1].text if self.last else ""

    def choices(self) -> list[str]:
        return [c.label for c in self.last[-1].choices] if self.last else []


async def answer_form(chat: Chat, script: Script, *, until: str | None = None) -> None:
    """Answer each question the chat is asked from the script, by field name, until a question the script
    does not answer (or the field ``until``). Every answer must be accepted: the chat must move on."""
    while chat.step in script and chat.step != until:
        before = (chat.flow, chat.step)
        await chat.answer(script[chat.step])
        assert (chat.flow, chat.step) != before, f"{before} not accepted: {chat.prompt}"


async def at_password(engine: Engine, chat_id: str, phone: str = "0912345678") -> Chat:
    """Another device at the log-in's password question for ``phone`` (its own source)."""
    chat = Chat(engine, chat_id)
    await chat.send("/start")
    await chat.press("login")
    await chat.send(phone)
    return chat


async def send_form(chat: Chat) -> None:
    """From the summary: "Thông tin đã đúng", tick the consent, "Xác nhận"."""
    for payload in ("ok", "tick", "confirm"):
        await chat.press(payload)


def sms_code(conn: Connection, phone: str) -> str:
    """The code of the last SMS queued to ``phone`` (what the person reads on their phone)."""
    outbox = table(Outbox)
    number = parse_mobile(phone)
    text = conn.execute(select(outbox.c.payload).where(outbox.c.channel == "sms", outbox.c.chat_id == number)
                        .order_by(outbox.c.id.desc()).limit(1)).scalar_one()["text"]
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


async def read_sms(engine: Engine, phone: str) -> str:
    return await engine.store.run(lambda conn: sms_code(conn, phone))


async def signup(chat: Chat, name: str = "Nguyễn Văn An", phone: str = "0912345678") -> None:
    await chat.send("/start")
    await chat.press("signup")
    script = signup_script(name, phone)
    await answer_form(chat, script)
    assert chat.step == "signup_code", chat.prompt  # the number is proven by the SMS code
    await chat.send(await read_sms(chat.engine, phone))
    await answer_form(chat, script)
    assert chat.payloads()[0] == "register_self", chat.text


def setup_state(
    chat: Chat, flow: str, step: str = "", answers: dict[str, Any] | None = None, *,
    account_id: int | None = None, for_family: bool = False, locale: str = "vi", encoded: dict[str, Any] | None = None,
    filled: list[str] | None = None,
) -> None:
    """Put the chat at ``step`` of ``flow`` with these answers (typed values: dates as dates; or ``encoded``, as a
    conversation keeps them), as if the person had answered them; the next message is handled from there.
    Praekelt's ``setup_state`` is the model; ``tests/factories.py`` builds on it."""
    registry = chat.engine.registry
    target = registry[flow]
    fields = {s.name: s for f in (*registry.flows.values(), target) for s in f.steps}  # the flow's own win
    kept: dict[str, Any] = dict(encoded or {})  # answers as a conversation keeps them (copied from another)
    for name, value in (answers or {}).items():
        step_of = fields.get(name)
        kept[name] = value if step_of is None or value is None else step_of.codec.dump(value)
    key = conversations.conversation_key(chat.channel, chat.chat_id)
    with chat.engine.store.engine.begin() as conn:
        state = conversations.load(conn, key, default_locale=locale, lock=False)
        state.flow, state.step = target.name, step or target.steps[0].name
        state.answers, state.account_id, state.locale = kept, account_id, locale
        state.filled = list(filled or [])
        state.logged_in_at = utcnow() if account_id is not None else None  # logged in just now
        state.subject = conversations.FAMILY if for_family else conversations.SELF
        state.offered, state.editing = [], False
        state.asked, state.asked_at = "", 0  # no message shown yet: the first button is taken unstamped
        conversations.save(conn, state)
    chat.flow, chat.step, chat.last = state.flow, state.step, []


def photographed_qr(app: App, person_id: int, width: int = 640) -> bytes:
    """A person's current QR as a phone's photo of it: a JPEG ``width`` pixels wide, at quality 60."""
    import io

    from PIL import Image

    from bot.services.certificates import credentials

    with app.store.engine.connect() as conn:
        issued = credentials.current(conn, person_id)
    assert issued is not None
    qr = app.engine.services.qr
    png = qr.media.get(qr.ensure(issued, "CHƯA TIÊM"))
    assert png is not None
    image = Image.open(io.BytesIO(png)).convert("RGB")
    jpeg = io.BytesIO()
    image.resize((width, round(image.height * width / image.width))).save(jpeg, format="JPEG", quality=60)
    return jpeg.getvalue()
