""""Lịch sử đăng ký": the account's registrations with their status, and cancelling an open one."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, pick
from bot.engine.types import Choice
from bot.services import registrations
from bot.services.errors import Invalid
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
                date=view.preferred_date.strftime("%d/%m/%Y"), session=ctx.t(f"session.{view.preferred_session}"),
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


def _confirm(ctx: Ctx) -> None:
    code = str(ctx.data["booking_code"])
    if ctx.data.get("confirm") == "yes" and ctx.account_id is not None:
        if registrations.cancel(ctx.conn, ctx.account_id, code):
            ctx.say("records.cancelled", code=code)
        else:
            ctx.say("records.cancel_failed")
    ctx.go("records", fresh=True)


RECORDS = Flow(
    "records",
    steps=(Ask("booking_code", _prompt, _pick, choices=_choices, params=_listing,
               then=lambda ctx, _v: ctx.go("cancel_registration")),),
)

CANCEL = Flow(
    "cancel_registration",
    steps=(Ask("confirm", "records.confirm_cancel", pick("yes", "no"), options=YES_NO,
               params=lambda ctx: {"code": ctx.data.get("booking_code", "")}),),
    done=_confirm,
    previous="records",
)
