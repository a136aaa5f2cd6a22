""""Lịch sử đăng ký": the account's registrations with their status; correcting one the site has not yet
screened ("Sửa đăng ký", in :mod:`handlers.amend`) and cancelling an open one (asked first)."""

from __future__ import annotations

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.registration import appointments, registrations
from bot.services.values import payloads
from bot.services.values.dates import dmy
from bot.services.values.errors import Invalid
from handlers import amend, names, person_lines
from handlers.common import YES_NO


def _views(ctx: Ctx) -> list[registrations.RegistrationView]:
    return registrations.for_account(ctx.conn, ctx.account_id) if ctx.account_id else []


def _listing(ctx: Ctx) -> dict[str, str]:
    booked = {n.booking_code: n for n in appointments.for_account(ctx.conn, ctx.account_id or 0)}
    items = []
    for view in _views(ctx):
        item = ctx.t(
            "records.item", name=view.full_name, code=view.booking_code, status=ctx.t(f"status.{view.status}"),
            site=view.site_name or ctx.t("registration.pool_site"),
            date=dmy(view.preferred_date), session=ctx.t(f"session.{view.preferred_session}"),
        )
        if view.status in registrations.OPEN_STATUSES and view.due_on is not None:  # the course goes on
            item += "\n" + ctx.t("records.dose_due", number=view.dose_number, date=dmy(view.due_on))
        decided = person_lines.decision(ctx, view.decision, view.decision_note, view.decision_place, view.due_on)
        if decided:
            item += "\n" + ctx.t("records.decision", decision=decided)
        appointment = booked.get(view.booking_code)
        if appointment is not None:  # the site's appointment, and whether it was answered
            item += "\n" + ctx.t("records.appointment", date=dmy(appointment.day), site=appointment.site_name,
                                 session=ctx.t(f"session.{appointment.session}"),
                                 state=ctx.t(f"appointment.state_{appointment.state}"))
        items.append(item)
    return {"items": "\n\n".join(items)}


def _prompt(ctx: Ctx) -> str:
    return "records.list" if _views(ctx) else "records.none"


def _choices(ctx: Ctx) -> list[Choice]:
    choices = []
    for v in _views(ctx):
        short = v.booking_code[-4:]
        if v.amendable:
            choices.append(Choice(ctx.t("records.amend_button", name=v.full_name, code=short),
                                  payloads.EDIT.make(v.booking_code)))
        if v.status in registrations.OPEN_STATUSES:
            choices.append(Choice(ctx.t("records.cancel_button", name=v.full_name, code=short),
                                  payloads.CANCEL.make(v.booking_code)))
    return choices


def _pick(ctx: Ctx, answer: Answer) -> str:
    """"cancel:<code>" or "edit:<code>", one of the account's own."""
    if any(c.payload == answer.payload for c in _choices(ctx)):
        return str(answer.payload)
    raise Invalid("common.pick_one")


def _chosen(ctx: Ctx, choice: str) -> Go | None:
    code = payloads.EDIT.value(choice)
    return amend.begin(ctx, code) if code is not None else Go(names.CANCEL)


CODE = Ask("booking_code", _prompt, _pick, choices=_choices, pick=True, params=_listing, then=_chosen)


def _code(ctx: Ctx) -> str:
    return (ctx.get(CODE) or "").partition(":")[2]


def _confirm(ctx: Ctx, answer: str) -> Go:
    code = _code(ctx)
    if answer == "yes" and ctx.account_id is not None:
        if registrations.cancel(ctx.conn, ctx.account_id, code):
            ctx.say("records.cancelled", code=code)
        else:
            ctx.say("records.cancel_failed")
    return Go(names.RECORDS, fresh=True)


RECORDS = Flow(names.RECORDS, steps=(CODE,), exits=(names.CANCEL, names.AMEND))

CANCEL = Flow(
    names.CANCEL,
    steps=(Ask("confirm", "records.confirm_cancel", options=YES_NO, then=_confirm,
               params=lambda ctx: {"code": _code(ctx)}),),
    previous=names.RECORDS,
)
