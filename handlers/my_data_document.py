"""The readable copy of "Tải dữ liệu": what the service keeps about an account, under headings in the person's
language, every code said in words (a ward's name, not ``ward_code``; "Có" for a history answer, not ``yes``).
The machine-readable JSON goes beside it, unchanged; this page is built from that same data, so the two never
disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from bot.engine.answers import Option
from bot.engine.context import Ctx
from bot.services.reference import places, screening
from bot.services.reference.vaccines import VACCINES
from bot.services.registration import sites
from bot.services.values.dates import dmy, to_local
from handlers.family import RELATIONS
from handlers.registration import ID_TYPES, SESSIONS, SEXES

Shown = Callable[[Ctx, Any], str]


def _day(_ctx: Ctx, value: Any) -> str:
    return dmy(date.fromisoformat(str(value)[:10]))


def _moment(_ctx: Ctx, value: Any) -> str:
    """A stored moment (UTC) as the clock in Vietnam showed it."""
    return to_local(datetime.fromisoformat(str(value))).strftime("%d/%m/%Y %H:%M")


def _option(options: Iterable[Option], **extra: str) -> Shown:
    keys = {o.payload: o.label for o in options} | extra
    return lambda ctx, value: ctx.t(keys[value]) if value in keys else str(value)


def _priority(ctx: Ctx, value: Any) -> str:
    return f"{value}. {ctx.t(f'priority.short.{value}')}"


def _site(ctx: Ctx, value: Any) -> str:
    site = sites.get(ctx.conn, int(value))
    return site.name if site else str(value)


PERSON_FIELDS: tuple[tuple[str, Shown | None], ...] = (
    ("relation", _option(RELATIONS, self="family.self")), ("birth_date", _day), ("sex", _option(SEXES)),
    ("id_type", _option(ID_TYPES)), ("id_number", None), ("nationality", None), ("ethnicity", None),
    ("phone", None), ("insurance_number", None), ("occupation", None), ("workplace", None),
    ("priority_group", _priority), ("province_code", lambda _ctx, code: places.province(int(code)).name),
    ("ward_code", lambda _ctx, code: places.ward(int(code)).name), ("address", None),
)
REGISTRATION_FIELDS: tuple[tuple[str, Shown | None], ...] = (
    ("status", lambda ctx, value: ctx.t(f"status.{value}")), ("site_id", _site), ("preferred_date", _day),
    ("preferred_session", _option(SESSIONS)), ("dose_number", None), ("consent_at", _moment),
)


def _lines(ctx: Ctx, record: dict[str, Any], fields: tuple[tuple[str, Shown | None], ...], indent: str) -> list[str]:
    lines = []
    for name, shown in fields:
        value = record.get(name)
        if value in (None, ""):
            continue
        lines.append(f"{indent}{ctx.t(f'field.{name}')}: {shown(ctx, value) if shown else value}")
    return lines


def _history(ctx: Ctx, answers: dict[str, Any]) -> str:
    """The history as it was answered: each "Có" and "Không rõ" named, with what was written beside it."""
    said = []
    for value, key in ((screening.YES, "history.answered_yes"), (screening.UNKNOWN, "history.answered_unknown")):
        items = []
        for question in screening.QUESTIONS:
            if answers.get(question.code) == value:
                detail = answers.get(f"{question.code}_agent")
                short = ctx.t(f"history.short_{question.code}")
                items.append(f"{short} ({detail})" if detail and value == screening.YES else short)
        if items:
            said.append(ctx.t(key, items="; ".join(items)))
    return " ".join(said) or ctx.t("history.none_yes")


def _dose(ctx: Ctx, dose: dict[str, Any]) -> str:
    vaccine = VACCINES.get(dose.get("vaccine") or "")
    return ctx.t("my_data.doc_dose", number=dose.get("dose_number") or "?",
                 vaccine=vaccine.names[0] if vaccine else dose.get("vaccine"), lot=dose.get("lot") or "—",
                 date=_day(ctx, dose["given_on"]))


def readable(ctx: Ctx, data: dict[str, Any], made_at: datetime) -> str:
    account = data["account"]
    out = [ctx.t("my_data.doc_title"), ctx.t("my_data.doc_made", at=made_at.strftime("%d/%m/%Y %H:%M")), "",
           ctx.t("my_data.doc_account"),
           f"  {ctx.t('field.full_name')}: {account.get('name') or ''}",
           f"  {ctx.t('field.phone')}: {account.get('phone') or ''}",
           f"  {ctx.t('my_data.doc_created')}: {_moment(ctx, account['created_at'])}",
           f"  {ctx.t('my_data.doc_chats')}: {', '.join(data['chats']) or '—'}", "",
           ctx.t("my_data.doc_people", count=len(data["people"]))]
    for number, person in enumerate(data["people"], 1):
        out += ["", f"{number}. {person['full_name']}", *_lines(ctx, person, PERSON_FIELDS, "   ")]
        for registration in person["registrations"]:
            out += ["", "   " + ctx.t("my_data.doc_registration", code=registration["booking_code"]),
                    *_lines(ctx, registration, REGISTRATION_FIELDS, "     "),
                    f"     {ctx.t('field.history')}: {_history(ctx, registration.get('screening') or {})}"]
        out += ["", "   " + ctx.t("my_data.doc_doses", count=len(person["doses"]))]
        out += [f"     • {_dose(ctx, dose)}" for dose in person["doses"]]
    seen = data["seen_by_staff"]
    out += ["", ctx.t("my_data.doc_seen", count=len(seen))]
    out += [f"  • {_moment(ctx, s['at'])} · {s['site'] or ctx.t(f'staff.role_{s['role']}')}: "
            f"{ctx.t(f'staff.action_{s['action']}')} · {s['person']}" for s in seen]
    out += ["", ctx.t("my_data.doc_json")]
    return "\n".join(out) + "\n"
