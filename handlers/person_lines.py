"""What staff read beside a person in a list, a plan and a look-up: the history answers to look at, the course
(the dose due, the last dose), the doctor's decision, a declared dose not yet confirmed. One wording for all."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.engine.context import Ctx
from bot.services.reference import vaccines
from bot.services.registration.waiting import LastDose
from bot.services.vaccination import declared as declared_doses
from bot.services.values import states
from bot.services.values.dates import dmy, today


def vaccine_name(ctx: Ctx, code: str | None) -> str:
    found = vaccines.find(code or "") if code else None
    return ctx.t(f"vaccine.{found}") if found else (code or "-")


def attention(ctx: Ctx, pairs: list[tuple[str, str]]) -> str:
    """"1. Phản vệ (Có); 9. Đang mang thai (Không rõ)"."""
    return "; ".join(f"{q[1:]}. {ctx.t(f'history.short_{q}')} "
                     f"({ctx.t('common.yes' if a == 'yes' else 'common.unknown')})" for q, a in pairs)


def course(ctx: Ctx, dose_number: int, due_on: date | None, last: LastDose | None) -> str:
    """"Mũi cần tiêm: 2 (đến hạn 05/01/2027) · mũi gần nhất: AstraZeneca 12/10/2026"."""
    text = ctx.t("people.dose_due", number=dose_number)
    if due_on is not None and due_on > today():
        text += " " + ctx.t("people.due_from", date=dmy(due_on))
    if last is not None:
        text += " · " + ctx.t("people.last_dose", vaccine=vaccine_name(ctx, last.vaccine), date=dmy(last.given_on))
    return text


def decision(ctx: Ctx, code: str | None, note: str | None, place: str | None, due_on: date | None) -> str | None:
    """The doctor's decision for the dose due, as staff and the citizen read it; None before any."""
    if code == states.Decision.ELIGIBLE:
        return ctx.t("people.decision_eligible")
    if code == states.Decision.POSTPONED:
        text = ctx.t("people.decision_postponed", date=dmy(due_on) if due_on else "-")
        return text + (f" ({note})" if note else "")
    if code == states.Decision.REFERRED:
        return ctx.t("people.decision_referred", place=place or "-") + (f" ({note})" if note else "")
    return None


def declared(ctx: Ctx, previous: dict[str, Any] | None) -> str | None:
    """"Khai: AstraZeneca, 12/10/2021, chưa xác nhận" for a declared dose not yet confirmed."""
    found = declared_doses.read(previous)
    if found is None:
        return None
    return ctx.t("people.declared", vaccine=vaccine_name(ctx, found.vaccine),
                 date=dmy(found.given_on) if found.given_on else "-")
