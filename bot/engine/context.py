"""What a flow step sees while an event is handled: the answers so far, the person's locale, services."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from bot import i18n
from bot.engine.types import Capabilities, Choice, Incoming, Reply
from bot.services import accounts
from bot.services.conversations import State
from bot.services.keys import SigningKey
from bot.services.passwords import Passwords
from bot.services.qr_codes import QrImages


class NeedsCompute(Exception):
    """Raised inside the DB thread for CPU work (a password hash): the engine undoes this event's partial
    effects, runs ``fn(*args)`` on a worker pool, and handles the event again with the result in
    ``ctx.extras[key]``. The inputs (a password) live only in memory for that time."""

    def __init__(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.fn = fn
        self.args = args


@dataclass(frozen=True, slots=True)
class Services:
    passwords: Passwords
    cpu: Executor
    signing_key: SigningKey
    qr: QrImages
    idle_after: timedelta = timedelta(days=30)
    draft_ttl: timedelta = timedelta(days=7)
    preferred_date_window_days: int = 180


class Ctx:
    """One event's view. ``go`` moves the conversation; ``say`` queues a message before the next prompt."""

    def __init__(
        self, conn: Connection, incoming: Incoming, caps: Capabilities, services: Services, state: State,
        extras: dict[str, Any],
    ) -> None:
        self.conn = conn
        self.incoming = incoming
        self.caps = caps
        self.services = services
        self.state = state
        self.extras = extras
        self.replies: list[Reply] = []
        self.moved = False
        self._account: accounts.AccountView | None = None
        self._memo: dict[str, Any] = {}
        self.pushed = False  # something was queued in the outbox: wake the pusher after the commit
        self.secret_input = False  # the message just handled was a password: ask the channel to delete it

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    @property
    def locale(self) -> str:
        return self.state.locale

    @property
    def account_id(self) -> int | None:
        return self.state.account_id

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per event: a step's prompt, choices and parser often need the same lookup."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def account(self) -> accounts.AccountView | None:
        """The logged-in account, read once per event (prompts, choices and parsers all ask for it)."""
        if self._account is None or self._account.id != self.state.account_id:
            self._account = accounts.get(self.conn, self.state.account_id) if self.state.account_id else None
        return self._account

    def t(self, key: str, **params: Any) -> str:
        return i18n.t(self.state.locale, key, **params)

    def say(self, key: str, **params: Any) -> None:
        self.replies.append(Reply(self.t(key, **params)))

    def say_text(self, text: str, choices: list[Choice] | None = None) -> None:
        self.replies.append(Reply(text, choices=choices or []))

    def go(self, flow: str, step: str = "", *, fresh: bool = False) -> None:
        """Continue at ``flow`` (its first step that applies, unless ``step`` is named)."""
        if fresh:
            self.state.data = {}
        self.state.flow = flow
        self.state.step = step
        self.moved = True

    def compute(self, key: str, fn: Callable[..., Any], *args: Any) -> Any:
        if key in self.extras:
            return self.extras[key]
        raise NeedsCompute(key, fn, *args)
