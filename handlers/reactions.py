"""Reactions after vaccination (issue 27): the citizen's report, the day-after question's answers, the site's list.

    menu "Báo phản ứng sau tiêm" (a dose in the last 28 days) / the day-after question's "Có dấu hiệu bất thường"
      ─▶ [whose dose] ─▶ since when ─▶ the signs (numbers) ─ a serious one: "Gọi 115 …" at once, the site told ─▶
      in their own words (optional) ─▶ how bad ─▶ thanks
    /phanung [dd/mm/yyyy] (staff) ─▶ the site's reports, serious first
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.engine.answers import DAY, Answer, Go, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, text_of
from bot.engine.types import Choice
from bot.services.access import audit, staff
from bot.services.vaccination import reactions
from bot.services.values import payloads
from bot.services.values.dates import dmy, parse_past_date, today
from bot.services.values.errors import Invalid
from bot.services.values.phones import display
from bot.services.values.text import is_number
from handlers import names, person_lines
from handlers.staff_access import current_role, may


def _recent(ctx: Ctx) -> list[reactions.RecentDose]:
    return reactions.recent_doses(ctx.conn, ctx.account_id) if ctx.account_id else []


def may_report(ctx: Ctx) -> bool:
    """The menu offers the report for 28 days after a dose of the account's people."""
    return bool(_recent(ctx))


def _dose(ctx: Ctx) -> reactions.RecentDose | None:
    recent = _recent(ctx)
    chosen = ctx.get(WHICH)
    return next((d for d in recent if d.dose_id == chosen), None) if chosen else (recent[0] if recent else None)


def _which_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(ctx.t("reaction.dose_button", name=d.full_name, date=dmy(d.given_on)),
                   payloads.REACTION.make(f"dose:{d.dose_id}")) for d in _recent(ctx)]


def _which(ctx: Ctx, answer: Answer) -> int:
    for dose in _recent(ctx):
        if answer.payload == payloads.REACTION.make(f"dose:{dose.dose_id}"):
            return dose.dose_id
    raise Invalid("common.pick_one")


def _began(ctx: Ctx, answer: Answer) -> date:
    dose = _dose(ctx)
    if answer.payload in ("today", "yesterday"):
        day = today() - timedelta(days=0 if answer.payload == "today" else 1)
    else:
        day = parse_past_date(answer.text or "")
    if dose is not None and day < dose.given_on:
        raise Invalid("reaction.before_dose", date=dmy(dose.given_on))
    return day


def _signs_params(ctx: Ctx) -> dict[str, Any]:
    lines = [f"{n}. {ctx.t(f'reaction.sign_{code}')}" for n, code in enumerate(reactions.SIGNS, 1)]
    return {"common": "\n".join(lines[:len(reactions.COMMON)]), "serious": "\n".join(lines[len(reactions.COMMON):])}


def _signs(ctx: Ctx, answer: Answer) -> list[str]:
    """"1, 3" (the checklist's numbers), or "Khác" (described in their words next)."""
    if answer.payload == "other":
        return []
    words = (answer.text or "").replace(",", " ").replace(";", " ").replace(".", " ").split()
    if not words or not all(is_number(w) and 1 <= int(w) <= len(reactions.SIGNS) for w in words):
        raise Invalid("reaction.signs_help", count=len(reactions.SIGNS))
    return list(dict.fromkeys(reactions.SIGNS[int(w) - 1] for w in words))


def _emergency(ctx: Ctx, dose: reactions.RecentDose | None) -> None:
    phone = reactions.site_phone(ctx.conn, dose.site_id if dose else None)
    ctx.say("reaction.emergency", phone=phone or ctx.t("reaction.no_site_phone"))


def _after_signs(ctx: Ctx, signs: list[str]) -> Go | None:
    """A serious sign: what to do now, before anything else; the site is told at once (the rest is added later)."""
    dose = _dose(ctx)
    if dose is not None and ctx.account_id is not None and reactions.is_serious(signs, "mild"):
        _emergency(ctx, dose)
        reported = reactions.report(ctx.conn, ctx.account_id, dose, began_on=ctx.get(BEGAN) or today(),
                                    signs=signs, details=None, severity="severe")
        ctx.put(REPORTED, reported)
        ctx.pushes_queued()
    return None


def _done(ctx: Ctx, severity: str) -> Go:
    dose = _dose(ctx)
    if dose is None or ctx.account_id is None:
        ctx.say("reaction.no_recent_dose")
        return ctx.home()
    details = ctx.get(DETAILS)
    signs = ctx.get(SIGNS) or []
    reported = ctx.get(REPORTED)
    if reported is not None:
        reactions.complete(ctx.conn, reported, ctx.account_id, details=details, severity=severity)
    else:
        reactions.report(ctx.conn, ctx.account_id, dose, began_on=ctx.get(BEGAN) or today(), signs=signs,
                         details=details, severity=severity)
        if reactions.is_serious(signs, severity):
            _emergency(ctx, dose)
    ctx.pushes_queued()
    serious = reported is not None or reactions.is_serious(signs, severity)
    ctx.say("reaction.thanks_serious" if serious else "reaction.thanks", name=dose.full_name)
    return ctx.home()


WHICH: Ask[int] = Ask("reaction_dose", "reaction.ask_which", _which, pick=True, choices=_which_choices,
                      when=lambda ctx: len(_recent(ctx)) > 1)
BEGAN: Ask[date] = Ask("reaction_began", "reaction.ask_began", _began, codec=DAY,
                       choices=lambda ctx: [Choice(ctx.t("reaction.today"), "today"),
                                            Choice(ctx.t("reaction.yesterday"), "yesterday")],
                       keypad="numeric")
SIGNS: Ask[list[str]] = Ask("reaction_signs", "reaction.ask_signs", _signs, numbers=True, params=_signs_params,
                            choices=lambda ctx: [Choice(ctx.t("reaction.other"), "other")], then=_after_signs)
DETAILS: Ask[str] = Ask("reaction_details", "reaction.ask_details", text_of(reactions.DETAILS_CHARS), optional=True)
REPORTED: Ask[int] = Ask("reaction_reported", "reaction.ask_details", pick=True, when=lambda _ctx: False)
SEVERITY: Ask[str] = Ask("reaction_severity", "reaction.ask_severity", options=tuple(
    Option(f"reaction.severity_{code}", code) for code in reactions.SEVERITIES), then=_done)

REACTION = Flow(
    names.REACTION,
    commands=("phanungsautiem", "reaction"),
    allowed=may_report,
    steps=(WHICH, BEGAN, SIGNS, DETAILS, REPORTED, SEVERITY),
)


def check_button(ctx: Ctx, payload: str) -> str | None:
    """The day-after question's answers, whatever the chat is doing: "Bình thường" thanks; "Có dấu hiệu bất
    thường" opens the report (the flow to open)."""
    value = payloads.REACTION.value(payload) or ""
    if value.startswith("ok:"):
        ctx.say("reaction.thanks_ok")
        return None
    if value.startswith("report:") and may_report(ctx):
        return names.REACTION
    ctx.say("reaction.no_recent_dose")
    return None


# ---- /phanung: the site's reports -----------------------------------------------------------------------------


def _site_reports(ctx: Ctx, answer: Answer) -> str:
    who = current_role(ctx)
    text = (answer.text or "").strip()
    day = None if answer.payload == "all" or not text else parse_past_date(text)
    found = reactions.for_site(ctx.conn, who.site_id, day)
    for report in found:
        audit.record(ctx.conn, who, "reactions", person_id=report.person_id, how="list")
    if not found:
        ctx.say("reaction.staff_none")
        return "none"
    lines = [reaction_line(ctx, r) for r in found]
    ctx.say("reaction.staff_list", count=len(found), lines="\n".join(lines))
    return "listed"


def reaction_line(ctx: Ctx, report: reactions.Reported) -> str:
    """One report as staff read it (in /phanung and /tra)."""
    signs = ", ".join(ctx.t(f"reaction.sign_{s}") for s in report.signs) or ctx.t("reaction.other")
    return ctx.t("reaction.staff_line", mark="🚨" if report.serious else "•", name=report.full_name,
                 phone=display(report.phone), vaccine=person_lines.vaccine_name(ctx, report.vaccine),
                 dose_date=dmy(report.given_on) if report.given_on else "-", began=dmy(report.began_on),
                 signs=signs, severity=ctx.t(f"reaction.severity_{report.severity}"),
                 details=report.details or "-")


SITE_REACTIONS = Flow(
    names.SITE_REACTIONS,
    commands=("phanung", "reactions"),
    allowed=may(staff.LOOKUP),
    steps=(Ask("reactions_day", "reaction.staff_ask", _site_reports,
               choices=lambda ctx: [Choice(ctx.t("site_work.all_days"), "all")]),),
    back=False,
)
