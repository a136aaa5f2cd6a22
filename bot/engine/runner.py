"""The engine: one event at a time per chat, applied once, committed before its replies leave.

    channel ──Incoming──▶ Engine.handle ──(DB thread)──▶ _apply: load state · claim update key ·
                                                           dispatch to the flow · save state · transcript
                  ◀──replies── after the batch commits ◀──

The parts: :mod:`asking` (prompts, reading answers), :mod:`navigation` (moving through flows and drafts),
:mod:`commands` (the universal commands and words). This module orders, de-duplicates and retries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection

from bot import i18n
from bot.engine import asking, metrics
from bot.engine.answers import Answer, Offer
from bot.engine.background import Background
from bot.engine.checkpoints import Checkpoints
from bot.engine.commands import CANCEL_NO, CANCEL_YES, Commands
from bot.engine.context import Ctx, NeedsCompute, Services
from bot.engine.flow import Ask
from bot.engine.keyed_locks import KeyedLocks
from bot.engine.limits import CpuGate, TokenBuckets, retry_after
from bot.engine.navigation import Navigator
from bot.engine.registry import Registry
from bot.engine.sessions import Sessions
from bot.engine.storage import conversations, deploy_state, secret_links
from bot.engine.storage.conversations import CONFIRM_CANCEL
from bot.engine.store import Store, Unavailable
from bot.engine.types import Capabilities, Incoming, Reply, reply_from_payload, reply_payload
from bot.services.messaging import outbox
from bot.services.values.dates import utcnow
from bot.services.values.errors import Invalid
from bot.services.values.text import clean

log = logging.getLogger(__name__)
RECOVER_REPLIES_AFTER = timedelta(seconds=30)  # an answer not marked sent by then was lost with its process
MARK_SENT_EVERY = 0.05  # seconds: marks of sent answers gathered before they are written
PRIORITY_WORK = frozenset({"password_ok"})  # checking a log-in's password goes before hashing new ones

Render = Callable[[Reply], dict[str, Any]]
RenderMine = Callable[[Incoming, bool], dict[str, Any] | None]  # what the person sent, as the page shows it


def _drain(items: deque[int]) -> list[int]:
    out = []
    while items:
        out.append(items.popleft())
    return out


@dataclass(slots=True)
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    duplicate: bool = False
    pushed: bool = False
    flow: str = ""  # where the chat is now (tests and benchmarks follow it; channels need not)
    step: str = ""
    session: str = ""  # "login" / "logout" when the chat's account changed: a channel with sessions renews them
    refused: bool = False  # a one-time password link that was used, expired, or is not for this question now
    unavailable: bool = False  # the database could not be reached: nothing was applied ("try again later")
    queued: list[int] = field(default_factory=list)  # the replies' outbox rows: mark them sent (replies_sent)


@dataclass(frozen=True, slots=True)
class SecretPage:
    """The one-time password page of a chat: whose, in which language, and the question it answers."""

    channel: str
    chat_id: str
    locale: str
    question: str
    new_password: bool  # a password being chosen (the browser may offer to save it), not one being checked


class Engine:
    def __init__(
        self, store: Store, registry: Registry, services: Services, *, default_locale: str = i18n.DEFAULT_LOCALE,
        row_locks: bool = False, cpu_queue: int = 0,
    ) -> None:
        self.store = store
        self.registry = registry
        self.services = services
        self.default_locale = default_locale
        self.row_locks = row_locks  # PostgreSQL: SELECT … FOR UPDATE orders a chat's events across processes
        self.nav = Navigator(registry)
        self.commands = Commands(self.nav)
        self.sessions = Sessions(store)
        self.checkpoints = Checkpoints(store, services.trusted)
        self.transcripts: dict[str, Render] = {}
        self.mine: dict[str, RenderMine] = {}
        self.durable_replies: set[str] = set()
        # This process, as the owner of the replies it keeps (others recover them only once it is gone).
        self.process = secrets.token_hex(8)
        self._sent: deque[int] = deque()  # kept replies sent, to be marked
        self._flush_due = False
        self._background = Background()
        self.after_push: Callable[[], None] | None = None  # set by the app: wakes the pusher
        self._locks = KeyedLocks()
        # argon2 and picture decoding: a bounded queue, two places kept for log-ins.
        self.cpu_gate = CpuGate(capacity=cpu_queue or 16 * (os.cpu_count() or 1), reserved=2)
        self.secret_steps = TokenBuckets(rate=1 / 3, burst=10)  # password steps: 10 at once, then one per 3 s

    # ---- the public interface of channels -----------------------------------------------------------

    async def handle(self, incoming: Incoming, caps: Capabilities) -> Outcome:
        started = time.perf_counter()
        outcome = await self._handle(incoming, caps)
        result = ("unavailable" if outcome.unavailable else "duplicate" if outcome.duplicate
                  else "refused" if outcome.refused else "applied")
        metrics.updates(incoming.channel, result).inc()
        metrics.latency(incoming.channel).observe(time.perf_counter() - started)
        return outcome

    async def _handle(self, incoming: Incoming, caps: Capabilities) -> Outcome:
        async with self._locks.hold(incoming.conversation_key):
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
                        if not self.cpu_gate.enter(priority=need.key in PRIORITY_WORK):
                            return Outcome([Reply(i18n.t(self.default_locale, "common.busy"))])
                        try:
                            extras[need.key] = await loop.run_in_executor(need.on or self.services.cpu, need.fn,
                                                                          *need.args)
                        finally:
                            self.cpu_gate.leave()
                raise RuntimeError("too many computations for one event")
            except Unavailable:
                # Nothing was applied: the person is asked to try again, a messenger to redeliver.
                return Outcome([Reply(i18n.t(self.default_locale, "common.busy"))], unavailable=True)
            except Exception:
                # Never the text: it may be a password or an ID number.
                log.exception("event failed (channel=%s)", incoming.channel)
                return Outcome([Reply(i18n.t(self.default_locale, "common.internal_error"))])

    def keep_replies(self, channel: str) -> None:
        """Keep this channel's replies in the outbox, in the event's own transaction, until the channel says they
        were sent (:meth:`replies_sent`): a process that dies between the commit and the send leaves them to the
        pusher, which sends them ``RECOVER_REPLIES_AFTER`` later, instead of losing them; the messenger's
        redelivery of the update, applied once, carries them at once (``outbox.take_orphaned_replies``)."""
        self.durable_replies.add(channel)

    async def replies_sent(self, queued: list[int]) -> None:
        """Mark kept replies sent: gathered for ``MARK_SENT_EVERY`` and written together (one small job for many
        answers, not one per answer)."""
        self._sent.extend(queued)
        if self._sent and not self._flush_due:
            self._flush_due = True
            self._flush_in(MARK_SENT_EVERY)

    def _flush_in(self, seconds: float) -> None:
        asyncio.get_running_loop().call_later(seconds, lambda: self._background.start(self.flush_replies_sent()))

    async def replies_unsent(self, queued: list[int]) -> None:
        """Kept replies this process gave up sending (the messenger kept failing): the pusher retries them."""
        if queued:
            await self.store.run(lambda conn: outbox.release(conn, queued))

    async def flush_replies_sent(self) -> None:
        """Write the marks now; if the database cannot take them, they wait for the next round (never dropped:
        a dropped mark would send the answer again)."""
        self._flush_due = False
        done = _drain(self._sent)
        if not done:
            return
        try:
            await self.store.run(lambda conn: outbox.mark_all_sent(conn, done))
        except Exception:
            self._sent.extendleft(reversed(done))
            if not self._flush_due:
                self._flush_due = True
                self._flush_in(1.0)

    def keep_transcript(self, channel: str, render: Render, mine: RenderMine | None = None) -> None:
        """Keep this channel's bot messages (as ``render`` makes them) for reading back, pushes included, and
        what the person sent (as ``mine`` makes it: a password hidden), so that a reloaded page shows both."""
        self.transcripts[channel] = render
        if mine is not None:
            self.mine[channel] = mine

    async def messages_after(self, channel: str, chat_id: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        key = conversations.conversation_key(channel, chat_id)
        return await self.store.run(lambda conn: conversations.messages_after(conn, key, after))

    async def shown(self, channel: str, chat_id: str, text: str) -> bool:
        """Whether this chat's transcript has a message with ``text`` in it (a picture's link: only the chat it was
        shown in may fetch it)."""
        key = conversations.conversation_key(channel, chat_id)
        return await self.store.run(lambda conn: conversations.shows(conn, key, text))

    async def secret_page(self, token: str) -> SecretPage | None:
        """What the one-time password page behind ``token`` asks, or None when the link is used or expired
        (reading changes nothing: a link preview does not use the link up)."""

        def read(conn: Connection) -> SecretPage | None:
            target = secret_links.peek(conn, token)
            if target is None:
                return None
            state = conversations.load(conn, target.conversation_key, default_locale=self.default_locale, lock=False)
            flow_name, _, step_name = target.step.partition(".")
            flow = self.registry.flows.get(flow_name)
            if flow is None or step_name not in {s.name for s in flow.steps}:
                return None  # a question a newer version no longer has
            step = flow.step(step_name)
            key = step.prompt if isinstance(step.prompt, str) else "secret_page.title"
            channel, _, chat_id = target.conversation_key.partition(":")
            return SecretPage(channel=channel, chat_id=chat_id, locale=state.locale, question=i18n.t(state.locale, key),
                              new_password=any(s.name.endswith("_again") for s in flow.steps))

        return await self.store.run(read)

    async def refresh_gauges(self) -> None:
        """Read what the metrics show from the database (at each scrape, not on every event)."""
        depth, age = await self.store.run(outbox.backlog)
        metrics.OUTBOX_DEPTH.set(depth)
        metrics.OUTBOX_AGE.set(age)

    async def deploy_state(self, key: str) -> str | None:
        """A fact every worker of the deployment shares (e.g. which webhook is registered)."""
        return await self.store.run(lambda conn: deploy_state.get(conn, key))

    async def put_deploy_state(self, key: str, value: str) -> None:
        await self.store.run(lambda conn: deploy_state.put(conn, key, value))

    # ---- inside the DB thread ------------------------------------------------------------------------

    def _apply(self, incoming: Incoming, caps: Capabilities, extras: dict[str, Any], conn: Connection) -> Outcome:
        now = utcnow()  # the event's one moment: its update key, state and transcript are stamped with it
        state, fresh = conversations.open_event(conn, incoming.conversation_key, incoming.update_key,
                                                default_locale=self.default_locale, lock=self.row_locks, now=now)
        if not fresh:
            if incoming.channel not in self.durable_replies:
                return Outcome(duplicate=True)
            orphans = outbox.take_orphaned_replies(conn, channel=incoming.channel, chat_id=incoming.chat_id,
                                                   version=state.version, process=self.process)
            return Outcome([reply_from_payload(payload) for _, payload in orphans], duplicate=True,
                           queued=[item_id for item_id, _ in orphans])
        if incoming.secret_token is not None and not secret_links.use(
                conn, incoming.secret_token, conversation_key=state.key, step=f"{state.flow}.{state.step}"):
            return Outcome(refused=True, flow=state.flow, step=state.step)
        ctx = Ctx(conn, incoming, caps, self.services, state, extras, self.registry.home)
        account_before = state.account_id
        secret = self._dispatch(ctx, now)
        replies = ctx.replies
        if secret and replies:
            replies[0].delete_incoming = True
        for reply in replies:
            reply.locale = state.locale
        render = self.transcripts.get(incoming.channel)
        kept: list[dict[str, Any]] = []
        if render is not None:
            said = self.mine[incoming.channel](incoming, secret) if incoming.channel in self.mine else None
            kept = [*([said] if said else []), *(render(r) for r in replies)]
        also = []
        if incoming.channel in self.durable_replies and replies:
            also.append(outbox.replies_statement(conn, channel=incoming.channel, chat_id=incoming.chat_id,
                                                 # the conversation's version once this event is saved
                                                 payloads=[{**reply_payload(r), "version": state.version + 1}
                                                           for r in replies],
                                                 recover_after=RECOVER_REPLIES_AFTER, process=self.process))
        ids, queued = conversations.close_event(conn, state, kept, *also, now=now)
        for reply, reply_id in zip(replies, ids[len(kept) - len(replies):], strict=False):
            reply.id = reply_id
        session = "" if state.account_id == account_before else ("logout" if state.account_id is None else "login")
        return Outcome(replies, pushed=ctx.pushed, flow=state.flow, step=state.step, session=session,
                       queued=[int(row[0]) for row in (queued[0] if also else None) or []])

    def _in_another_language(self, ctx: Ctx) -> bool:
        """"Hello…" as a first message, before any log-in: answered in English, the language a tap away."""
        guessed = i18n.guess_locale(ctx.incoming.text or "") if ctx.state.account_id is None else None
        if guessed is None or guessed == ctx.locale:
            return False
        ctx.set_locale(guessed)
        ctx.say("start.welcome")
        self.nav.jump(ctx, self.registry.language)
        self._ask(ctx)
        return True

    def _dispatch(self, ctx: Ctx, now: datetime) -> bool:
        """Handle the event; True when it was a password (the channel should delete it)."""
        state, nav = ctx.state, self.nav
        if not state.flow or state.flow not in self.registry.flows:
            if self._in_another_language(ctx):
                return False
            ctx.say("start.welcome")
            nav.go_home(ctx)
            text, questions = ctx.incoming.text, self.registry.questions
            if text and not ctx.incoming.command and questions is not None:
                questions(ctx, clean(text), False)  # a first message that asks something ("Khi nào…?") is answered
            self._ask(ctx)
            return False
        if state.updated_at and now - state.updated_at > self.services.idle_after:
            nav.keep_draft(ctx)
            ctx.say("start.welcome_back")
            nav.go_home(ctx)
            self._ask(ctx)
            return False
        incoming = ctx.incoming
        if state.flow == self.registry.home and not incoming.command and self._in_another_language(ctx):
            return False  # the web page's own "/start" came first: typed English at the welcome is a first message
        step = nav.current_step(ctx)
        if (rule := nav.flow(ctx).allowed) is not None and not rule(ctx):
            # A role is read again at every step of a staff command, in the transaction that acts: one demoted
            # (or whose staff log-in expired) mid-command acts no further.
            ctx.say("common.no_longer_allowed")
            nav.go_home(ctx)
            self._ask(ctx)
            return False
        global_button = self.registry.action(incoming.button)
        if global_button is not None:  # a pushed notice's button: done, then the conversation goes on where it was
            opens = global_button(ctx, incoming.button or "")
            if opens is not None:  # …or the button opens a conversation of its own (a half-filled form is kept)
                nav.keep_draft(ctx)
                nav.jump(ctx, opens)
            self._ask(ctx)
            return False
        if incoming.button is not None:
            payload = asking.unstamped(ctx, incoming.button)
            if payload is None:  # an older message's button: it answers nothing here, whatever its payload
                self._ask(ctx, error=ctx.t("common.stale_button"))
                return False
            incoming.button = payload
        # What the last choices were for holds for this event only; asking anything sets it anew.
        pending, state.pending = state.pending, ""
        typed_secret = asking.is_secret_text(ctx, step)
        secret = typed_secret and incoming.text is not None
        if incoming.secret_token is None and self._flow_command(ctx, step, typed_secret):
            return secret
        action, sure = self.commands.action(incoming.command, incoming.text, secret=typed_secret,
                                            free_text=step.free_text)
        if incoming.secret_token is not None:
            action = None  # typed on the password page: only ever the password
        if action is not None and sure:
            self._command(ctx, action)
            return secret
        if typed_secret and incoming.text is not None:
            wait = self.secret_steps.take(ctx.source)
            if wait:  # password guessing at a rate no person types: said, not hashed
                self._ask(ctx, error=ctx.t("common.slow_down", seconds=retry_after(wait)))
                return secret
        if ((incoming.photo is not None and not step.photo) or (incoming.document is not None and not step.document)
                or incoming.other is not None):
            self._ask(ctx, error=ctx.t("common.unsupported_input"))
            return secret
        answer = asking.read_answer(ctx, step, pending)
        if pending == CONFIRM_CANCEL and answer.payload in (CANCEL_YES, CANCEL_NO):
            self.commands.answer_cancel(ctx, answer.payload)
            self._ask(ctx)
            return secret
        if answer.payload in (CANCEL_YES, CANCEL_NO):  # a stale button of an earlier question
            self._ask(ctx)
            return secret
        if answer.payload == asking.BACK:
            nav.back(ctx)
            self._ask(ctx)
            return secret
        if step.secret and not typed_secret and answer.payload is None:
            # A password typed where it cannot be deleted: refused, and the one-time page offered again.
            self._ask(ctx, error=ctx.t("secret_page.not_in_chat"))
            return secret
        questions = self.registry.questions
        if (questions is not None and answer.payload is None and answer.text and not typed_secret
                and questions(ctx, answer.text, step.free_text)):
            self._ask(ctx)  # answered; the question the chat was at, again
            return secret
        self._take(ctx, step, answer, action)
        return secret

    def _take(self, ctx: Ctx, step: Ask[Any], answer: Answer, action: str | None = None) -> None:
        """Read ``answer`` as ``step``'s: accept it and ask the next question, or say what is wrong."""
        nav = self.nav
        if answer.payload == asking.SKIP and step.optional:
            value = None
        else:
            try:
                value = step.read(ctx, answer)
            except Invalid as bad:
                if action is not None:  # a bare word that is not a valid answer: the word was meant
                    self._command(ctx, action)
                else:
                    self._ask(ctx, error=ctx.t(bad.key, **bad.params))
                return
            except Offer as offer:
                asking.prompt(ctx, nav.flow(ctx), step, note=ctx.t(offer.key, **offer.params), offered=offer.choices)
                return
        nav.accept(ctx, step, value)
        self._ask(ctx)

    def _flow_command(self, ctx: Ctx, step: Ask[Any], typed_secret: bool) -> bool:
        """A command that starts a flow ("/tra 0912…"): for whom the flow allows, started with the text after
        it as the first answer; for anyone else the reply to an unknown command (a bare word is just text)."""
        incoming = ctx.incoming
        name, argument = self.commands.flow_command(incoming.command, incoming.text, secret=typed_secret,
                                                    free_text=step.free_text)
        if name is None:
            return False
        flow = self.registry[name]
        if flow.allowed is not None and not flow.allowed(ctx):
            if incoming.command is None:
                return False
            self._command(ctx, "unknown")
            return True
        self.nav.keep_draft(ctx)
        self.nav.jump(ctx, name)
        if argument:
            self._take(ctx, self.nav.current_step(ctx), Answer(text=clean(argument)))
        else:
            self._ask(ctx)
        return True

    def _command(self, ctx: Ctx, action: str) -> None:
        error = self.commands.run(ctx, action)
        if not ctx.state.pending:  # else the reply is the question "Hủy phần đang điền?"
            self._ask(ctx, error=ctx.t(error) if error else None)

    def _ask(self, ctx: Ctx, *, error: str | None = None) -> None:
        step = self.nav.current_step(ctx)
        asking.prompt(ctx, self.nav.flow(ctx), step, error=error)
