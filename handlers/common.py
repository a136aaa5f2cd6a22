"""Pieces several flows share: yes/no, phone answers, and starting a (possibly resumed) registration."""

from __future__ import annotations

from datetime import datetime

from bot.engine.answers import Answer, Go, Option
from bot.engine.context import Ctx
from bot.services.values.dates import to_local
from bot.services.values.errors import Invalid
from bot.services.values.phones import parse_mobile
from handlers import names

YES_NO = (Option("common.yes", "yes"), Option("common.no", "no"))


def phone_answer(_ctx: Ctx, answer: Answer) -> str:
    """A typed number, or a shared contact that must be the sender's own."""
    if answer.contact_phone is not None:
        if not answer.contact_is_own:
            raise Invalid("phone.contact_not_own")
        return parse_mobile(answer.contact_phone)
    if not answer.text:
        raise Invalid("phone.empty")
    return parse_mobile(answer.text)


def account_name(ctx: Ctx) -> str:
    account = ctx.account()
    return account.name if account else ""


def start_registration(ctx: Ctx, *, for_family: bool) -> Go:
    """Begin a registration form, offering a recent half-finished one back first."""
    if ctx.account_id is None:
        ctx.say("account.login_first")
        return ctx.home()
    if ctx.has_draft():
        return Go(names.RESUME, fresh=True)
    return ctx.start_form(names.DETAILS, for_family=for_family)


def wait_until(until: datetime) -> Invalid:
    """"Vui lòng thử lại sau HH:MM:SS": a throttled try (a password, a link code)."""
    return Invalid("account.wait", until=to_local(until).strftime("%H:%M:%S"))
