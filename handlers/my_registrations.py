""""Lịch sử đăng ký": the account's registrations with their status, and cancelling an open one."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, Go
from bot.engine.types import Choice
from bot.services import registrations
from bot.services.dates import dmy
from bot.services.errors import Invalid
from handlers import names
from handlers.common import YES_NO


def _views(ctx: Ctx) -> list[registrations.RegistrationView]:
    return registrations.for_account(ctx.conn, ctx.account_id) if ctx.account_id else []


def _listing(ctx: Ctx) -> dict[str, str]:
    items = []
    for view in _views(ctx):
        items.append(
            ctx.t(
                "records.item", name=view.full_name, code=view.booking_code, status=ctx.t(f"status.{view.status}"),
                site=view.site_name or ctx.t("registration.pool_site"),
                date=dmy(view.preferred_date), session=ctx.t(f"session.{view.preferred_session}"),
            )
        )
    return {"items": "\n\n".join(items)}


def _prompt(ctx: Ctx) -> str:
    return "records.list" if _views(ctx) else "records.none"


def _choices(ctx: Ctx) -> list[Choice]:
    return [
        Choice(ctx.t("records.cancel_button", name=v.full_name, code=v.booking_code[-4:]), f"cancel:{v.booking_code}")
        for v in _views(ctx)
        if v.status in registrations.OPEN_STATUSES
    ]


def _pick(ctx: Ctx, answer: Answer) -> str:
    if any(c.payload == answer.payload for c in _choices(ctx)):
        return str(answer.payload).removeprefix("cancel:")
    raise Invalid("common.pick_one")


CODE = Ask("booking_code", _prompt, _pick, choices=_choices, pick=True, params=_listing,
           then=lambda _ctx, _code: Go(names.CANCEL))


def _confirm(ctx: Ctx, answer: str) -> Go:
    code = ctx.get(CODE) or ""
    if answer == "yes" and ctx.account_id is not None:
        if registrations.cancel(ctx.conn, ctx.account_id, code):
            ctx.say("records.cancelled", code=code)
        else:
            ctx.say("records.cancel_failed")
    return Go(names.RECORDS, fresh=True)


RECORDS = Flow(names.RECORDS, steps=(CODE,), exits=(names.CANCEL,))

CANCEL = Flow(
    names.CANCEL,
    steps=(Ask("confirm", "records.confirm_cancel", options=YES_NO, then=_confirm,
               params=lambda ctx: {"code": ctx.get(CODE) or ""}),),
    previous=names.RECORDS,
)
