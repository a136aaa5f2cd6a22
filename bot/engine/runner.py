"""The engine: one event at a time per chat, applied once, committed before its replies leave.

    channel ──Incoming──▶ Engine.handle ──(DB thread)──▶ _apply: load state · claim update key ·
                                                           dispatch to the flow · save state
                  ◀──replies── after the batch commits ◀──

Universal commands and words are handled here for every flow, in both languages: /start, /help, /menu,
/huy (/cancel), /quaylai (/back) and the "Quay lại" button, /lang.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection

from bot import i18n
from bot.engine.context import Ctx, NeedsCompute, Services
from bot.engine.flow import Answer, Ask, Flow, Offer, Registry
from bot.engine.store import Store
from bot.engine.types import Capabilities, Choice, Incoming, Reply
from bot.services import conversations
from bot.services.dates import utcnow
from bot.services.errors import Invalid
from bot.services.text import clean, fold

log = logging.getLogger(__name__)

BACK = "nav:back"
SKIP = "nav:skip"
COMMANDS = {
    "start": "start", "help": "help", "trogiup": "help", "menu": "menu", "huy": "cancel", "cancel": "cancel",
    "quaylai": "back", "back": "back", "lang": "lang", "ngonngu": "lang",
}


@dataclass(slots=True)
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    duplicate: bool = False
    pushed: bool = False


def _label_key(label: str) -> str:
    return "".join(ch for ch in fold(label) if ch.isalnum())


class Engine:
    def __init__(
        self, store: Store, registry: Registry, services: Services, *, default_locale: str = i18n.DEFAULT_LOCALE,
        row_locks: bool = False,
    ) -> None:
        self.store = store
        self.registry = registry
        self.services = services
        self.default_locale = default_locale
        self.row_locks = row_locks  # PostgreSQL: SELECT … FOR UPDATE orders a chat's events across processes
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.after_push: Callable[[], None] | None = None  # set by the app: wakes the pusher
        self._words = self._universal_words()

    # ---- the outside ----------------------------------------------------------------------------------

    async def handle(self, incoming: Incoming, caps: Capabilities) -> Outcome:
        async with self._chat_lock(incoming.conversation_key):
            extras: dict[str, Any] = {}
            loop = asyncio.get_running_loop()
            try:
                for _ in range(8):
                    try:
                        outcome = await self.store.run(partial(self._apply, incoming, caps, extras))
                        if outcome.pushed and self.after_push is not None:
                            self.after_push()
                        return outcome
                    except NeedsCompute as need:
                        extras[need.key] = await loop.run_in_executor(self.services.cpu, need.fn, *need.args)
                raise RuntimeError("too many computations for one event")
            except Exception:
                # Never the text: it may be a password or an ID number.
                log.exception("event failed (channel=%s)", incoming.channel)
                return Outcome([Reply(i18n.t(self.default_locale, "common.internal_error"))])

    async def read(self, fn: Any) -> Any:
        return await self.store.run(fn)

    @asynccontextmanager
    async def _chat_lock(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    # ---- inside the DB thread ------------------------------------------------------------------------

    def _apply(self, incoming: Incoming, caps: Capabilities, extras: dict[str, Any], conn: Connection) -> Outcome:
        state = conversations.load(
            conn, incoming.conversation_key, default_locale=self.default_locale, lock=self.row_locks
        )
        if not conversations.claim_update(conn, incoming.update_key):
            return Outcome(duplicate=True)
        ctx = Ctx(conn, incoming, caps, self.services, state, extras)
        self._dispatch(ctx)
        conversations.save(conn, state)
        replies = ctx.replies
        if ctx.secret_input and replies:
            replies[0].delete_incoming = True
        if caps.transcript and replies:
            ids = conversations.append_messages(conn, state.key, [r.to_json() for r in replies])
            for reply, reply_id in zip(replies, ids, strict=True):
                reply.id = reply_id
        return Outcome(replies, pushed=ctx.pushed)

    def _dispatch(self, ctx: Ctx) -> None:
        state = ctx.state
        incoming = ctx.incoming
        if not state.flow or state.flow not in self.registry.flows:
            ctx.say("start.welcome")
            self._go_home(ctx)
            return self._prompt(ctx)
        if state.updated_at and utcnow() - state.updated_at > self.services.idle_after:
            self._keep_draft(ctx)
            ctx.say("start.welcome_back")
            self._go_home(ctx)
            return self._prompt(ctx)
        step = self._current_step(ctx)
        ctx.secret_input = step.secret and incoming.text is not None
        command = incoming.command
        if command is None and incoming.text and not step.secret:
            command = self._words.get(_label_key(incoming.text))
        if command is not None:
            return self._command(ctx, command)
        if incoming.photo is not None or incoming.other is not None:
            return self._prompt(ctx, error=ctx.t("common.unsupported_input"))
        answer = self._answer(ctx, step)
        if answer.payload == BACK:
            return self._back(ctx)
        if answer.payload == SKIP and step.optional:
            value = None
        else:
            try:
                value = step.parse(ctx, answer)
            except Invalid as bad:
                return self._prompt(ctx, error=ctx.t(bad.key, **bad.params))
            except Offer as offer:
                return self._prompt(ctx, note=ctx.t(offer.key, **offer.params), offered=offer.choices)
        self._accept(ctx, step, value)
        self._prompt(ctx)

    # ---- moving through flows ---------------------------------------------------------------------------

    def _flow(self, ctx: Ctx) -> Flow:
        return self.registry[ctx.state.flow]

    def _current_step(self, ctx: Ctx) -> Ask:
        flow = self._flow(ctx)
        try:
            return flow.step(ctx.state.step)
        except KeyError:
            self._settle(ctx, 0)
            return self._flow(ctx).step(ctx.state.step)

    def _accept(self, ctx: Ctx, step: Ask, value: Any) -> None:
        ctx.data[step.field] = value
        for name in step.dependents:
            ctx.data.pop(name, None)
        if step.echo is not None:
            text = step.echo(ctx, value)
            if text:
                ctx.replies.append(Reply(text))
        ctx.moved = False
        if step.then is not None:
            step.then(ctx, value)
        if ctx.moved:
            self._settle_after_move(ctx)
            return
        self._settle(ctx, self._flow(ctx).index(step.field) + 1)

    def _settle_after_move(self, ctx: Ctx) -> None:
        flow = self._flow(ctx)
        start = flow.index(ctx.state.step) if ctx.state.step else 0
        self._settle(ctx, start, explicit=bool(ctx.state.step))

    def _settle(self, ctx: Ctx, start: int, *, explicit: bool = False) -> None:
        """Find the next step to ask from ``start``, finishing flows (and following their ``done``) on the way.

        While a form is being edited from its summary, answered steps are skipped so that only what the
        edit invalidated is asked again.
        """
        for _ in range(len(self.registry.flows) * 2):
            flow = self._flow(ctx)
            editing = bool(ctx.data.get("_edit"))
            for i, step in enumerate(flow.steps[start:], start):
                if not step.applies(ctx):
                    ctx.data.pop(step.field, None)
                    continue
                if editing and step.field in ctx.data and not (explicit and i == start):
                    continue
                ctx.state.step = step.field
                return
            ctx.moved = False
            if flow.done is not None:
                flow.done(ctx)
            if not ctx.moved:
                self._go_home(ctx)
            flow = self._flow(ctx)
            explicit = bool(ctx.state.step)
            start = flow.index(ctx.state.step) if ctx.state.step else 0
        raise RuntimeError("flows loop without asking anything")

    def _go_home(self, ctx: Ctx) -> None:
        ctx.go(self.registry.home, fresh=True)
        self._settle(ctx, 0)

    def _back(self, ctx: Ctx) -> None:
        flow = self._flow(ctx)
        index = flow.index(ctx.state.step)
        target = self._previous_step(ctx, flow, index)
        while target is None and flow.previous is not None:
            flow = self.registry[flow.previous]
            target = self._previous_step(ctx, flow, len(flow.steps))
        if target is None:
            self._leave_form(ctx)
            return self._prompt(ctx)
        ctx.state.flow = flow.name
        ctx.state.step = target.field
        ctx.data.pop("_edit", None)
        self._prompt(ctx)

    @staticmethod
    def _previous_step(ctx: Ctx, flow: Flow, index: int) -> Ask | None:
        for step in reversed(flow.steps[:index]):
            if step.applies(ctx) and not step.secret:
                return step
        return None

    def _leave_form(self, ctx: Ctx) -> None:
        self._keep_draft(ctx)
        self._go_home(ctx)

    def _keep_draft(self, ctx: Ctx) -> None:
        """A half-finished form is kept for a while and offered back ("Tiếp tục đăng ký đang dở?")."""
        flow = self.registry.flows.get(ctx.state.flow)
        if flow is not None and flow.form and any(not k.startswith("_") for k in ctx.data):
            data = {k: v for k, v in ctx.data.items() if k not in ("_offered", "_edit")}
            ctx.state.draft = {
                "flow": flow.name, "step": ctx.state.step, "data": data, "saved_at": utcnow().isoformat(),
            }

    # ---- commands ---------------------------------------------------------------------------------------

    def _command(self, ctx: Ctx, command: str) -> None:
        action = COMMANDS.get(command)
        if action == "start":
            self._keep_draft(ctx)
            ctx.say("start.welcome")
            self._go_home(ctx)
        elif action == "menu":
            self._leave_form(ctx)
        elif action == "cancel":
            flow = self._flow(ctx)
            if flow.form:
                ctx.state.draft = None
                ctx.say("common.cancelled")
            self._go_home(ctx)
        elif action == "back":
            return self._back(ctx)
        elif action == "help":
            help_key = f"help.{ctx.state.flow}"
            ctx.say(help_key if i18n.has(help_key) else "help.general")
        elif action == "lang":
            self._keep_draft(ctx)
            resume = self._flow(ctx).form
            ctx.go("language", fresh=True)
            ctx.data["_resume_form"] = resume
            self._settle(ctx, 0)
        else:
            return self._prompt(ctx, error=ctx.t("common.unknown_command"))
        self._prompt(ctx)

    def _universal_words(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for locale in i18n.LOCALES:
            for action in ("back", "cancel", "menu", "help"):
                for word in i18n.words(locale, f"words.{action}"):
                    found[_label_key(word)] = action
        return found

    # ---- asking -----------------------------------------------------------------------------------------

    def _answer(self, ctx: Ctx, step: Ask) -> Answer:
        incoming = ctx.incoming
        if incoming.button is not None:
            return Answer(payload=incoming.button[:200])
        if incoming.contact_phone is not None:
            return Answer(contact_phone=incoming.contact_phone, contact_is_own=incoming.contact_is_own)
        raw = incoming.text or ""
        text = raw if step.secret else clean(raw)
        offered = [Choice(label, payload) for label, payload in ctx.data.get("_offered", [])]
        if offered and text and not step.secret:
            # Typed numbers pick the step's own options; "Quay lại" and "Bỏ qua" are reached by their words,
            # so that a "1" typed as an answer to a free-text question is never taken for "go back".
            numbered = [c for c in offered if c.payload not in (BACK, SKIP)]
            if text.isdigit() and 1 <= int(text) <= len(numbered):
                return Answer(text=text, payload=numbered[int(text) - 1].payload)
            key = _label_key(text)
            for choice in offered:
                if key and _label_key(choice.label) == key:
                    return Answer(text=text, payload=choice.payload)
        return Answer(text=text)

    def _choices(self, ctx: Ctx, flow: Flow, step: Ask) -> list[Choice]:
        choices = [Choice(ctx.t(o.label), o.payload) for o in step.options]
        if step.choices is not None:
            choices.extend(step.choices(ctx))
        if step.optional:
            choices.append(Choice(ctx.t("common.skip"), SKIP))
        if flow.back:
            choices.append(Choice(ctx.t("common.back"), BACK))
        return choices

    def _prompt(
        self, ctx: Ctx, *, error: str | None = None, note: str | None = None, offered: list[Choice] | None = None
    ) -> None:
        step = self._current_step(ctx)
        flow = self._flow(ctx)
        parts: list[str] = []
        if flow.stage and flow.title:
            number, total = flow.stage
            parts.append(ctx.t("progress.stage", number=number, total=total, title=ctx.t(flow.title)))
        elif flow.title:
            asked = [s.field for s in flow.steps if s.applies(ctx)]
            number = asked.index(step.field) + 1 if step.field in asked else 1
            parts.append(ctx.t("progress.step", number=number, total=len(asked), title=ctx.t(flow.title)))
        if error:
            parts.append("⚠️ " + error)
        if note:
            parts.append(note)
        params = step.params(ctx) if step.params else {}
        prompt = step.prompt if isinstance(step.prompt, str) else step.prompt(ctx)
        parts.append(ctx.t(prompt, **params))
        if offered is not None:
            choices = offered + [c for c in self._choices(ctx, flow, step) if c.payload in (BACK, SKIP)]
        else:
            choices = self._choices(ctx, flow, step)
        ctx.data["_offered"] = [[c.label, c.payload] for c in choices]
        ctx.replies.append(
            Reply(
                "\n\n".join(parts), choices=choices, secret_prompt=step.secret,
                request_contact=step.contact and ctx.caps.request_contact,
                contact_label=ctx.t("common.share_contact") if step.contact and ctx.caps.request_contact else None,
            )
        )


def draft_is_fresh(draft: dict[str, Any] | None, ttl: timedelta) -> bool:
    if not draft:
        return False
    return utcnow() - datetime.fromisoformat(str(draft["saved_at"])) < ttl
