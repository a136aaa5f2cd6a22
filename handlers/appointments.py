"""The citizen's appointments: the answer to a site's notice, from its buttons or from /lichhen.

    notice (pushed) ── "Tôi sẽ đến" / "Không đến được" (buttons, whatever the chat is doing) ─▶ answered;
                                                                          the conversation goes on where it was
    /lichhen ─▶ each open appointment with its two answers ─▶ answered ─▶ menu
"""

from __future__ import annotations

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.registration import appointments
from bot.services.values.dates import dmy
from bot.services.values.errors import Invalid
from handlers import names

PREFIX = appointments.PREFIX


def choices_for(ctx: Ctx, notice: appointments.Notice, *, named: bool) -> list[Choice]:
    """"Tôi sẽ đến" and "Không đến được" for one appointment (named when several are listed)."""
    suffix = f" – {notice.full_name}, {dmy(notice.day)}" if named else ""
    return [Choice(ctx.t(f"appointment.{label}") + suffix,
                   appointments.answer_payload(notice.appointment_id, coming=coming))
            for label, coming in (("coming", True), ("not_coming", False))]


def answer_button(ctx: Ctx, payload: str) -> None:
    """A notice's button, pressed at any point of any conversation: answered, and said so (the conversation goes
    on where it was)."""
    read = appointments.read_payload(payload)
    found = None
    if read is not None and ctx.account_id is not None:
        found = appointments.answer(ctx.conn, ctx.account_id, read[0], coming=read[1])
    if read is None or found is None:
        ctx.say("appointment.not_found")
        return
    ctx.pushes_queued()
    ctx.say("appointment.thanks_coming" if read[1] else "appointment.thanks_not_coming",
            name=found.full_name, date=dmy(found.day), session=ctx.t(f"session.{found.session}"))


def _open(ctx: Ctx) -> list[appointments.Notice]:
    return appointments.for_account(ctx.conn, ctx.account_id) if ctx.account_id else []


def _prompt(ctx: Ctx) -> str:
    return "appointment.pick" if _open(ctx) else "appointment.none"


def _list(ctx: Ctx) -> dict[str, str]:
    lines = [ctx.t("appointment.line", name=n.full_name, site=n.site_name, date=dmy(n.day),
                   session=ctx.t(f"session.{n.session}"), state=ctx.t(f"appointment.state_{n.state}"))
             for n in _open(ctx)]
    return {"lines": "\n".join(lines)}


def _choices(ctx: Ctx) -> list[Choice]:
    found = _open(ctx)
    return [c for n in found for c in choices_for(ctx, n, named=len(found) > 1)]


def _pick(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in {c.payload for c in _choices(ctx)}:
        return answer.payload or ""
    raise Invalid("common.pick_one")


def _answered(ctx: Ctx, payload: str) -> Go:
    answer_button(ctx, payload)
    return ctx.home()


APPOINTMENTS = Flow(
    names.APPOINTMENTS,
    commands=("lichhen", "appointments"),
    allowed=lambda ctx: ctx.account_id is not None,
    steps=(Ask("appointment", _prompt, _pick, choices=_choices, pick=True, params=_list, then=_answered),),
)
