"""Correcting a recorded dose in the chat (issue 27): the site that recorded it, or an admin.

    /suatiem <mã | CCCD> ─▶ the person's doses ─▶ one ─▶ "Sửa vắc xin, lô, ngày" ─▶ <vắc xin> <số lô> [ngày] ─┐
                                                        "Chuyển sang người khác" ─▶ <mã | CCCD> of the right one ─┤
                                                        "Xóa mũi này" ─▶ the reason ───────────────────────────┤
                                                                         before → after, "Có / Không" ◀────────┘
Each correction re-issues the QR of everyone it touches and tells them in plain words; the audit keeps before
and after (:mod:`bot.services.vaccination.corrections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine.answers import Answer, Go, Option, codec_of
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, text_of
from bot.engine.types import Choice
from bot.services.access import audit, scope, staff
from bot.services.campaign import lookup
from bot.services.vaccination import corrections
from bot.services.values import payloads, states
from bot.services.values.dates import dmy, parse_past_date, today
from bot.services.values.errors import Invalid
from handlers import names, person_lines
from handlers.common import YES_NO
from handlers.staff import vaccine_and_lot
from handlers.staff_access import current_role, may


@dataclass(frozen=True, slots=True)
class Whose:
    person_id: int
    name: str


def _person(ctx: Ctx, text: str, *, refused: str) -> lookup.Target:
    """A booking code or an ID number of someone in the caller's scope; else "not found"."""
    who = current_role(ctx)
    found = lookup.dose_target(ctx.conn, text)
    if found is None or not scope.covers(ctx.conn, who, found.person_id):
        audit.record(ctx.conn, who, "fixdose", how="target", result="not_found")
        raise Invalid(refused)
    return found


def _whose(ctx: Ctx, answer: Answer) -> Whose:
    found = _person(ctx, " ".join((answer.text or "").split()) or "-", refused="fixdose.not_found")
    if not _correctable(ctx, found.person_id):
        raise Invalid("fixdose.none_here", name=found.full_name)
    return Whose(found.person_id, found.full_name)


def _correctable(ctx: Ctx, person_id: int) -> list[corrections.Recorded]:
    who = current_role(ctx)
    return [d for d in corrections.doses_of(ctx.conn, person_id) if corrections.may_correct(who, d)]


def _dose_line(ctx: Ctx, dose: corrections.Recorded) -> str:
    return ctx.t("fixdose.line", number=dose.number, vaccine=person_lines.vaccine_name(ctx, dose.vaccine),
                 lot=dose.lot, date=dmy(dose.given_on), site=dose.site_name or ctx.t("fixdose.elsewhere"))


def _doses_params(ctx: Ctx) -> dict[str, Any]:
    whose = ctx.get(WHOSE)
    if whose is None:
        return {"name": "-", "lines": ""}
    every = corrections.doses_of(ctx.conn, whose.person_id)
    return {"name": whose.name, "lines": "\n".join(_dose_line(ctx, d) for d in every)}


def _dose_choices(ctx: Ctx) -> list[Choice]:
    whose = ctx.get(WHOSE)
    mine = _correctable(ctx, whose.person_id) if whose else []
    return [Choice(ctx.t("fixdose.button", number=d.number, date=dmy(d.given_on)), payloads.FIXDOSE.make(d.id))
            for d in mine]


def _pick_dose(ctx: Ctx, answer: Answer) -> int:
    """A dose's button, or its number typed ("2")."""
    whose = ctx.get(WHOSE)
    mine = _correctable(ctx, whose.person_id) if whose else []
    chosen = payloads.FIXDOSE.number(answer.payload)
    typed = (answer.text or "").strip().lstrip("#")
    for dose in mine:
        if dose.id == chosen or (chosen is None and typed == str(dose.number)):
            return dose.id
    raise Invalid("fixdose.pick_dose")


ACTIONS = (Option("fixdose.edit", "edit"), Option("fixdose.move", "move"), Option("fixdose.remove", "remove"))


@dataclass(frozen=True, slots=True)
class Values:
    vaccine: str
    lot: str
    given_on: date


def _values(ctx: Ctx, answer: Answer) -> Values:
    """"<vắc xin> <số lô> [dd/mm/yyyy]", as /tiem takes them: the dose as it should have been."""
    words = (answer.text or "").split()
    dose = _dose(ctx)
    given_on = dose.given_on if dose else today()
    if len(words) >= 3 and words[-1][:1].isdigit() and any(ch in words[-1] for ch in "/.-"):
        given_on, words = parse_past_date(words[-1]), words[:-1]
    if len(words) < 2:
        raise Invalid("fixdose.values_help")
    vaccine, lot = vaccine_and_lot(words)
    return Values(vaccine, lot, given_on)


@dataclass(frozen=True, slots=True)
class Target:
    person_id: int
    name: str
    registration_id: int | None


def _target(ctx: Ctx, answer: Answer) -> Target:
    found = _person(ctx, " ".join((answer.text or "").split()) or "-", refused="fixdose.not_found")
    whose = ctx.get(WHOSE)
    if whose is not None and found.person_id == whose.person_id:
        raise Invalid("fixdose.same_person")
    line = next((r for r in lookup.registrations_of(ctx.conn, found.person_id)
                 if r.registration_id == found.registration_id), None)
    open_one = line is not None and line.status in states.OPEN_REGISTRATION
    return Target(found.person_id, found.full_name, found.registration_id if open_one else None)


def _dose(ctx: Ctx) -> corrections.Recorded | None:
    chosen = ctx.get(DOSE)
    return corrections.find(ctx.conn, chosen) if chosen else None


def _confirm_params(ctx: Ctx) -> dict[str, Any]:
    dose = _dose(ctx)
    if dose is None:
        return {"before": "-", "after": "-"}
    before = _dose_line(ctx, dose)
    action = ctx.get(ACTION)
    if action == "edit" and (values := ctx.get(VALUES)) is not None:
        after = ctx.t("fixdose.line", number=dose.number, vaccine=person_lines.vaccine_name(ctx, values.vaccine),
                      lot=values.lot, date=dmy(values.given_on), site=dose.site_name or ctx.t("fixdose.elsewhere"))
    elif action == "move" and (target := ctx.get(TARGET)) is not None:
        after = ctx.t("fixdose.after_move", name=dose.person_name, to=target.name)
    else:
        after = ctx.t("fixdose.after_remove", reason=ctx.get(REASON) or "-")
    return {"before": before, "after": after}


def _apply(ctx: Ctx, answer: str) -> Go:
    if answer != "yes":
        ctx.say("fixdose.cancelled")
        return ctx.home()
    who = current_role(ctx)
    dose = _dose(ctx)
    try:
        if dose is None or not corrections.may_correct(who, dose):  # settled (or moved) meanwhile
            raise Invalid("fixdose.gone")
        key = ctx.services.signing_key
        action = ctx.get(ACTION)
        if action == "edit" and (values := ctx.get(VALUES)) is not None:
            done = corrections.edit(ctx.conn, key, who, dose, vaccine=values.vaccine, lot=values.lot,
                                    given_on=values.given_on)
        elif action == "move" and (target := ctx.get(TARGET)) is not None:
            if not scope.covers(ctx.conn, who, target.person_id):
                raise Invalid("fixdose.not_found")
            done = corrections.move(ctx.conn, key, who, dose, to_person=target.person_id,
                                    to_registration=target.registration_id)
        else:
            done = corrections.remove(ctx.conn, key, who, dose, reason=ctx.get(REASON) or "")
    except Invalid as bad:
        ctx.say(bad.key, **bad.params)
        return ctx.home()
    ctx.pushes_queued()
    ctx.say("fixdose.done", people=len(done.people), pushes=done.pushes,
            status=", ".join(ctx.t(f"qr.frame_{level}") for level in done.levels))
    return ctx.home()


WHOSE: Ask[Whose] = Ask("fix_person", "fixdose.ask", _whose, codec=codec_of(Whose))
DOSE: Ask[int] = Ask("fix_dose", "fixdose.ask_dose", _pick_dose, pick=True, numbers=True, choices=_dose_choices,
                     params=_doses_params)
ACTION: Ask[str] = Ask("fix_action", "fixdose.ask_action", options=ACTIONS)
VALUES: Ask[Values] = Ask("fix_values", "fixdose.ask_values", _values, codec=codec_of(Values),
                          when=lambda ctx: ctx.get(ACTION) == "edit")
TARGET: Ask[Target] = Ask("fix_to", "fixdose.ask_to", _target, codec=codec_of(Target),
                          when=lambda ctx: ctx.get(ACTION) == "move")
REASON: Ask[str] = Ask("fix_reason", "fixdose.ask_reason", text_of(corrections.REASON_CHARS, min_len=3),
                       when=lambda ctx: ctx.get(ACTION) == "remove")

FIX_DOSE = Flow(
    names.FIX_DOSE,
    commands=("suatiem", "fixdose"),
    allowed=may(staff.DOSE),
    steps=(WHOSE, DOSE, ACTION, VALUES, TARGET, REASON,
           Ask("fix_confirm", "fixdose.confirm", options=YES_NO, params=_confirm_params, then=_apply)),
    back=False,
)
