"""What a flow step sees while an event is handled, and the only way it changes the conversation.

Flows read answers with :meth:`Ctx.get` (typed by the field's codec) and move with the :class:`Go` their
hooks return, or with the named methods here (log in, start a form, edit from a summary, resume a draft);
they never assign the engine's state themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from bot import i18n
from bot.engine.answers import Field, Go
from bot.engine.storage.conversations import FAMILY, SELF, Draft, State
from bot.engine.types import Capabilities, Choice, Incoming, Reply
from bot.services.access import staff
from bot.services.blobs.files import FileStore
from bot.services.certificates.keys import SigningKey
from bot.services.certificates.qr_codes import QrImages
from bot.services.messaging import outbox
from bot.services.people import accounts
from bot.services.people.budgets import Budgets
from bot.services.people.passwords import Passwords
from bot.services.values.dates import today, utcnow


class NeedsCompute(Exception):
    """Raised inside the DB thread for CPU work (a password hash): the engine undoes this event's partial
    effects, runs ``fn(*args)`` on a worker pool, and handles the event again with the result at hand.
    The inputs (a password) live only in memory for that time."""

    def __init__(self, key: str, fn: Callable[..., Any], *args: Any, on: Executor | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.fn = fn
        self.args = args
        self.on = on  # the pool to run on; None: the services' CPU pool


@dataclass(frozen=True, slots=True)
class Services:
    passwords: Passwords
    cpu: Executor
    signing_key: SigningKey
    qr: QrImages
    trusted: dict[bytes, Any] = field(default_factory=dict)  # key id → certificate: whose QR codes verify
    pepper: bytes = b""  # keys the hashes of one-time codes
    idle_after: timedelta = timedelta(days=30)
    draft_ttl: timedelta = timedelta(days=7)
    preferred_date_window_days: int = 180
    public_url: str = ""  # where people reach this service (the one-time password page's links)
    chat_linking: bool = False  # a channel without in-chat passwords is served: chats link by code (Zalo)
    files: FileStore | None = None  # files handed to a chat (exports, reports)
    uploads: Executor | None = None  # files sent to the service, read apart and bounded (None: the CPU pool)
    budgets: Budgets = field(default_factory=Budgets)  # SMS sent and codes tried, per hour
    hotline: str = ""  # the support number people are told (empty: the catalog's)


class Ctx:
    """One event's view of the conversation."""

    def __init__(
        self, conn: Connection, incoming: Incoming, caps: Capabilities, services: Services, state: State,
        extras: dict[str, Any], home: str,
    ) -> None:
        self.conn = conn
        self.incoming = incoming
        self.caps = caps
        self.services = services
        self.state = state
        self.extras = extras
        self.replies: list[Reply] = []
        self.pushed = False  # something was queued in the outbox: wake the pusher after the commit
        self._home = home
        self._account: accounts.AccountView | None = state.account  # read with the state
        self._role: staff.Role | None = state.role
        self._role_of: int | None = state.account_id  # whose role ``_role`` is
        self._memo: dict[str, Any] = {}
        self._day: date | None = None

    # ---- answers ------------------------------------------------------------------------------------

    def get[T](self, field: Field[T]) -> T | None:
        """The answer to ``field`` with its type (a date is a date), or None when not answered."""
        raw = self.state.answers.get(field.name)
        return None if raw is None else field.codec.load(raw)

    def answered(self, field: Field[Any]) -> bool:
        return field.name in self.state.answers

    def forget(self, *names: str) -> None:
        for name in names:
            self.state.answers.pop(name, None)
            if name in self.state.filled:
                self.state.filled.remove(name)

    def put[T](self, field: Field[T], value: T) -> None:
        """Answer ``field`` in passing (a CCCD tells the sex; a checklist answers every history question):
        the engine does not ask it, but it is shown, stored and may be edited like any answer."""
        self.state.answers[field.name] = field.codec.dump(value)
        if field.name not in self.state.filled:
            self.state.filled.append(field.name)

    def was_put(self, field: Field[Any]) -> bool:
        return field.name in self.state.filled

    @property
    def locale(self) -> str:
        return self.state.locale

    @property
    def account_id(self) -> int | None:
        return self.state.account_id

    @property
    def source(self) -> str:
        """Who is typing, as far as the channel can tell: throttles count per (phone, source)."""
        incoming = self.incoming
        return incoming.source or f"{incoming.channel}:{incoming.user_id}"

    @property
    def logged_in_at(self) -> datetime | None:
        """When this chat last logged in (staff commands need a recent log-in)."""
        return self.state.logged_in_at

    @property
    def for_family(self) -> bool:
        """The form is for a family member, not the account holder."""
        return self.state.subject == FAMILY

    # ---- saying -------------------------------------------------------------------------------------

    def t(self, key: str, **params: Any) -> str:
        text = i18n.t(self.state.locale, key, **params)
        return i18n.to_elder(self.state.locale, text) if self.elder else text

    @property
    def elder(self) -> bool:
        """The account's own person is 60 or over (their birth date as registered): addressed "Ông/Bà"."""
        if self.state.account_id is None:
            return False
        account = self.account()
        if account is None or account.born is None:
            return False
        if self._day is None:  # one event, one day (a message builds ~10 texts, each asking)
            self._day = today()
        return i18n.is_elder(account.born, self._day)

    def say(self, key: str, **params: Any) -> None:
        self.replies.append(Reply(self.t(key, **params)))

    def push_later(self, kind: str, payload: dict[str, Any]) -> None:
        """Send something to this chat through the outbox, after the commit (a QR to render, say)."""
        outbox.enqueue(self.conn, channel=self.incoming.channel, chat_id=self.incoming.chat_id, kind=kind,
                       payload=payload)
        self.pushed = True

    def pushes_queued(self) -> None:
        """A service queued pushes in this transaction (a dose's new QR): wake the pusher after the commit."""
        self.pushed = True

    def say_text(self, text: str, choices: list[Choice] | None = None, image_key: str | None = None) -> None:
        self.replies.append(Reply(text, choices=choices or [], image_key=image_key))

    def say_document(self, text: str, data: bytes, name: str) -> None:
        """A file for this chat (kept an hour, readable by this conversation only), with ``text`` beside it."""
        if self.services.files is None:
            raise RuntimeError("no file store configured")
        token = self.services.files.put(data, name, owner=self.state.key)
        self.replies.append(Reply(text, document_key=token, document_name=name))

    # ---- the account and the chat -------------------------------------------------------------------

    def account(self) -> accounts.AccountView | None:
        """The logged-in account, read once per event (prompts, choices and parsers all ask for it)."""
        if self._account is None or self._account.id != self.state.account_id:
            self._account = accounts.get(self.conn, self.state.account_id) if self.state.account_id else None
        return self._account

    def staff_role(self) -> staff.Role | None:
        """The account's staff role, if any, read once per event (with the state when it can be)."""
        if self._role_of != self.state.account_id:
            self._role_of = self.state.account_id
            self._role = staff.role_of(self.conn, self._role_of) if self._role_of is not None else None
        return self._role

    def account_changed(self) -> None:
        """The account's own record was just changed (its phone, its language): read it again when asked."""
        self._account = None

    def log_in(self, account_id: int) -> accounts.AccountView | None:
        """This chat now acts for the account, speaks its language and receives its pushes."""
        self.state.account_id = account_id
        self.state.logged_in_at = utcnow()
        account = self.account()
        if account is not None:
            self.state.locale = account.locale
        incoming = self.incoming
        accounts.bind_chat(self.conn, channel=incoming.channel, chat_id=incoming.chat_id, user_id=incoming.user_id,
                           account_id=account_id)
        return account

    def log_out(self) -> None:
        accounts.unbind_chat(self.conn, channel=self.incoming.channel, chat_id=self.incoming.chat_id)
        self.state.account_id = None
        self.state.logged_in_at = None
        self.state.draft = None

    def set_locale(self, locale: str) -> None:
        self.state.locale = locale
        if self.state.account_id is not None:
            accounts.set_locale(self.conn, self.state.account_id, locale)
            self.account_changed()

    # ---- moving -------------------------------------------------------------------------------------

    def home(self) -> Go:
        return Go(self._home, fresh=True)

    def start_form(self, flow: str, *, for_family: bool) -> Go:
        """A new, empty form (any kept draft is dropped) for the account holder or a family member."""
        self.state.draft = None
        self.state.subject = FAMILY if for_family else SELF
        return Go(flow, fresh=True)

    def edit(self, flow: str, step: str, *, forget: tuple[str, ...] = ()) -> Go:
        """Answer ``step`` again from a summary: afterwards only what the change invalidated is asked."""
        self.forget(step, *forget)
        self.state.editing = True
        return Go(flow, step)

    def stop_editing(self) -> None:
        self.state.editing = False

    def has_draft(self) -> bool:
        draft = self.state.draft
        return draft is not None and utcnow() - draft.saved_at < self.services.draft_ttl

    def resume_draft(self) -> Go | None:
        """Continue the kept form where it was left (None when there is none to resume)."""
        draft = self.state.draft if self.has_draft() else None
        self.state.draft = None
        if draft is None:
            return None
        self.state.answers = dict(draft.answers)
        self.state.filled = list(draft.filled)
        self.state.subject = draft.subject
        return Go(draft.flow, draft.step)

    @property
    def draft_for_family(self) -> bool:
        return self.state.draft is not None and self.state.draft.subject == FAMILY

    def drop_draft(self) -> None:
        self.state.draft = None

    def return_to_form(self) -> Go | None:
        """After a language change made mid-form: back to that form (None when it was not made mid-form)."""
        if not self.state.resume_form:
            return None
        self.state.resume_form = False
        return self.resume_draft()

    def keep_draft(self, flow: str) -> None:
        """The engine's: keep the current answers as the draft of ``flow``."""
        self.state.draft = Draft(flow, self.state.step, dict(self.state.answers), self.state.subject, utcnow(),
                                 list(self.state.filled))

    # ---- work off the database thread ---------------------------------------------------------------

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per event: a step's prompt, choices and parser often need the same lookup."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def compute(self, key: str, fn: Callable[..., Any], *args: Any, on: Executor | None = None) -> Any:
        if key in self.extras:
            return self.extras[key]
        raise NeedsCompute(key, fn, *args, on=on)
