"""Linking a chat to an account that already exists, with a code instead of a password.

    any chat, logged in:             menu "Liên kết Zalo" ─▶ a 6-digit code (valid 10 minutes, used once)
    a chat without passwords (Zalo), logged out:
                                     menu "Liên kết tài khoản có sẵn" → code ─ right ─▶ menu, logged in
                                                                             (the account's other chats are told)
                                                                     └ wrong ─▶ again; after 3, growing waits

Guessing: a code is one of a million, lives 10 minutes, and each chat gets 3 tries before waits of 30 s
doubling to 15 minutes (the log-in's throttle, keyed by this chat).
"""

from __future__ import annotations

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.services.messaging import outbox
from bot.services.people import link_codes, throttle
from bot.services.values.dates import to_local, utcnow
from bot.services.values.errors import Invalid
from handlers import names
from handlers.common import wait_until

THROTTLE_KEY = "link-code"  # the throttle's "phone" for code guesses; the source is the chat


def show_code(ctx: Ctx) -> None:
    """The code for this chat's account, said in this chat."""
    if ctx.account_id is None:
        return
    code = link_codes.issue(ctx.conn, ctx.services.pepper, ctx.account_id)
    ctx.say("link.code", code=f"{code[:3]} {code[3:]}", minutes=int(link_codes.LIFETIME.total_seconds() // 60))


def _read_code(ctx: Ctx, answer: Answer) -> int:
    until = throttle.blocked_until(ctx.conn, THROTTLE_KEY, ctx.source)
    if until is not None:
        raise wait_until(until)
    account_id = link_codes.use(ctx.conn, ctx.services.pepper, answer.text or "")
    if account_id is None:
        until = throttle.failed(ctx.conn, THROTTLE_KEY, ctx.source)
        if until is not None:
            raise wait_until(until)
        raise Invalid("link.wrong")
    throttle.succeeded(ctx.conn, THROTTLE_KEY, ctx.source)
    return account_id


def _linked(ctx: Ctx, account_id: int) -> Go:
    # Told before this chat joins the account: the chats that were already there hear about the new one.
    when = to_local(utcnow()).strftime("%H:%M %d/%m/%Y")
    if outbox.enqueue_for_account(ctx.conn, account_id, kind="notice", payload={
            "key": "link.notice", "params": {"messenger": ctx.incoming.channel.capitalize(), "time": when}}):
        ctx.pushes_queued()
    ctx.log_in(account_id)
    ctx.say("link.linked")
    return ctx.home()


LINK = Flow(
    names.LINK,
    title="link.title",
    steps=(Ask("code", "link.ask", _read_code, keypad="numeric", then=_linked),),
)
