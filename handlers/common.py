"""Pieces several flows share: yes/no, phone answers, and starting a (possibly resumed) registration."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Option
from bot.engine.runner import draft_is_fresh
from bot.services.errors import Invalid
from bot.services.phones import parse_mobile

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


def start_registration(ctx: Ctx, *, for_family: bool) -> None:
    """Begin a registration form, offering a recent half-finished one back first."""
    if ctx.account_id is None:
        ctx.say("account.login_first")
        ctx.go("menu", fresh=True)
        return
    if draft_is_fresh(ctx.state.draft, ctx.services.draft_ttl):
        ctx.go("resume", fresh=True)
        return
    ctx.state.draft = None
    ctx.go("details", fresh=True)
    ctx.data["_for"] = "family" if for_family else "self"
