"""A site's waiting list and the plan of a day's slots (issues 12 and 26).

    /danhsach [dd/mm/yyyy] [sáng|chiều] [mũi N] ─▶ the people waiting, due by that day, a page at a time, in the
                                                   order a plan follows; a button beside each (the screening
                                                   decisions)
    /danhsach <dd/mm/yyyy> in ─▶ the day's appointments as a workbook laid out for printing (the wall list)
    /phanbo <dd/mm/yyyy> <số suất> [sáng|chiều] ─▶ the plan: who would be booked, and apart those a doctor should
        look at first ─ "Có" ─▶ booked; each person told
                      ├ "bỏ 3, 7" / "thêm 12" ─▶ the plan again, edited
                      └ "Không" ─▶ nothing changes

Both need a staff role with a site and write what they show or do to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from bot.engine.answers import Answer, Go, codec_of
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.access import audit, staff
from bot.services.campaign import exports, lookup
from bot.services.people import duplicates
from bot.services.reference import priority
from bot.services.registration import appointments, sites, waiting
from bot.services.values.dates import age_on, dmy, today
from bot.services.values.documents import mask
from bot.services.values.errors import Invalid
from bot.services.values.text import fold, is_number
from handlers import names, person_lines
from handlers.common import YES_NO
from handlers.paging import pager
from handlers.screening import open_screen
from handlers.site_work import read_filter, site_role
from handlers.staff_access import may

# ---- /danhsach ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListFilter:
    day: date | None
    session: str | None
    dose: int | None = None


PRINT_WORDS = frozenset({"in", "print", "xlsx"})
DOSE_WORDS = frozenset({"mui", "dose"})


def _list_filter(ctx: Ctx, answer: Answer) -> ListFilter:
    site_role(ctx)
    if answer.payload == "all":
        return ListFilter(None, None)
    found, rest = read_filter(answer.text or "")
    words = [fold(w) for w in rest]
    dose = None
    if len(words) >= 2 and words[-2] in DOSE_WORDS and is_number(words[-1]) and 1 <= int(words[-1]) <= 9:
        dose, words = int(words[-1]), words[:-2]
    if words and words[-1] in PRINT_WORDS:
        if found.day is None or len(words) > 1:
            raise Invalid("site_work.print_help")
        _print_day(ctx, found.day)
        return ListFilter(found.day, found.session, -1)  # printed: nothing more to show
    if words:
        raise Invalid("site_work.list_help")
    return ListFilter(found.day, found.session, dose)


def _print_day(ctx: Ctx, day: date) -> None:
    who = site_role(ctx)
    site = sites.get(ctx.conn, who.site_id or 0)
    rows = exports.day_sheet_rows(ctx.conn, who.site_id or 0, day, ctx.locale)
    if not rows:
        raise Invalid("site_work.print_none", date=dmy(day))
    for person in appointments.people_of(ctx.conn, [r["booking_code"] for r in rows]):
        audit.record(ctx.conn, who, "export", person_id=person, how="day sheet")
    title = dmy(day).replace("/", "-")
    data: bytes = ctx.compute(f"sheet:{title}", exports.day_sheet, rows, ctx.locale, site.name if site else "",
                              day)
    ctx.say_document(ctx.t("site_work.printed", count=len(rows), date=dmy(day)), data,
                     f"lich-tiem-{site.code if site else who.site_id}-{title}.xlsx")


def _line(ctx: Ctx, n: int, person: waiting.Waiting) -> str:
    line = ctx.t("site_work.list_line", n=n, name=person.full_name, age=age_on(person.birth_date, today()),
                 group=person.priority_group, group_name=ctx.t(f"priority.short.{person.priority_group}"),
                 id=mask(person.id_number), code=person.booking_code,
                 registered=dmy(person.created_at.date()), preferred=dmy(person.preferred_date),
                 session=ctx.t(f"session.{person.preferred_session}"))
    extra = [person_lines.course(ctx, person.dose_number, person.due_on, person.last_dose)]
    if person.attention:
        extra.append(ctx.t("site_work.list_attention", attention=person_lines.attention(ctx, person.attention)))
    for said in (person_lines.decision(ctx, person.decision, person.decision_note, None, person.due_on),
                 person_lines.declared(ctx, person.declared)):
        if said:
            extra.append(said)
    who = site_role(ctx)
    others = lookup.people(ctx.conn, who, duplicates.similar(ctx.conn, person.person_id))
    for other in others:  # the same name and birth date under another document: staff check and /gop
        extra.append(ctx.t("merge.similar", name=other.full_name, id=mask(other.id_number)))
    return line + "".join(f"\n   {e}" for e in extra)


def _show_list(ctx: Ctx, page: int) -> Go | None:
    who = site_role(ctx)
    chosen = ctx.get(LIST_FILTER) or ListFilter(None, None)
    if chosen.dose == -1:
        return ctx.home()
    found, total = waiting.waiting(ctx.conn, who.site_id or 0, day=chosen.day, session=chosen.session,
                                   dose=chosen.dose, page=page)
    for person in found:
        audit.record(ctx.conn, who, "list", person_id=person.person_id, how="waiting list")
    if not found:
        ctx.say("site_work.list_none")
        LIST_PAGES.shown(ctx, 0, 0)
        return None
    pages = (total + waiting.PAGE - 1) // waiting.PAGE
    scope = ", ".join(p for p in (
        dmy(chosen.day) if chosen.day else "", ctx.t(f"session.{chosen.session}") if chosen.session else "",
        ctx.t("site_work.dose_due", number=chosen.dose) if chosen.dose else "") if p) or ctx.t("site_work.all_days")
    first = page * waiting.PAGE
    lines = [_line(ctx, first + n, p) for n, p in enumerate(found, 1)]
    ctx.say("site_work.list_head", total=total, scope=scope, page=page + 1, pages=pages, lines="\n".join(lines))
    LIST_PAGES.shown(ctx, page, total, [(p.registration_id, ctx.t("site_work.person_button", n=first + n,
                                                                  name=p.full_name))
                                        for n, p in enumerate(found, 1)])
    return None


LIST_FILTER: Ask[ListFilter] = Ask("filter", "site_work.ask_list", _list_filter, codec=codec_of(ListFilter),
                                   choices=lambda ctx: [Choice(ctx.t("site_work.all_days"), "all")],
                                   then=lambda ctx, _value: _show_list(ctx, 0))
LIST_PAGES = pager(names.SITE_LIST, _show_list, size=waiting.PAGE, again="site_work.other_list", item=open_screen)

LIST = Flow(
    names.SITE_LIST,
    commands=("danhsach", "list"),
    allowed=may(staff.LIST),
    steps=(LIST_FILTER, LIST_PAGES.more),
    exits=(names.SCREEN,),
    back=False,
)

# ---- /phanbo --------------------------------------------------------------------------------------------------

ALLOCATE_DAYS_AHEAD = 180  # slots further ahead than a registration's preferred day may be are a typo
PLAN_SHOWN = 40  # lines of a plan in one message; the rest are counted


@dataclass(frozen=True, slots=True)
class Plan:
    """What ``/phanbo`` would do (shown, edited, then confirmed): kept as facts, worded when shown. The people
    are in the plan's order, those the doctor should look at after the others; ``included`` says who is
    booked on "Có"."""

    day: date
    session: str
    slots: int  # what may be booked: the slots asked, within the capacity left
    asked: int
    left: int
    ids: tuple[int, ...]
    names: tuple[str, ...]
    ages: tuple[int, ...]
    groups: tuple[int, ...]
    doses: tuple[int, ...]
    preferred: tuple[bool, ...]  # asked for this very day
    apart: tuple[bool, ...]  # a history answer to look at, no "đạt" yet
    included: tuple[bool, ...]


def _allocation(ctx: Ctx, answer: Answer) -> Plan:
    """"<dd/mm/yyyy> <số suất> [sáng|chiều]": the plan, shown before anything is booked."""
    who = site_role(ctx)
    found, rest = read_filter(answer.text or "", need_day=True)
    if len(rest) != 1 or not is_number(rest[0]) or not 1 <= int(rest[0]) <= 5000:
        raise Invalid("site_work.allocate_help")
    day = found.day
    assert day is not None
    if day < today():
        raise Invalid("site_work.allocate_past")
    if day > today() + timedelta(days=ALLOCATE_DAYS_AHEAD):
        raise Invalid("site_work.allocate_too_far", days=ALLOCATE_DAYS_AHEAD)
    session = found.session or "allday"
    planned = waiting.plan(ctx.conn, who.site_id or 0, day, int(rest[0]), session)
    people = [*planned.chosen, *planned.apart]
    return Plan(day, session, min(int(rest[0]), planned.capacity_left), int(rest[0]), planned.capacity_left,
                tuple(p.registration_id for p in people), tuple(p.full_name for p in people),
                tuple(age_on(p.birth_date, day) for p in people), tuple(p.priority_group for p in people),
                tuple(p.dose_number for p in people), tuple(p.preferred_date == day for p in people),
                tuple(p.needs_doctor for p in people), tuple(not p.needs_doctor for p in people))


def _after_plan(ctx: Ctx, plan: Plan) -> Go | None:
    if not plan.ids:
        ctx.say("site_work.allocate_nobody" if plan.left else "site_work.allocate_full", date=dmy(plan.day))
        return ctx.home()
    return None


def _plan_line(ctx: Ctx, plan: Plan, index: int) -> str:
    """Two lines a person, so that a phone's narrow screen never breaks one in the middle: the name (and ★ for
    who asked for this day, what was edited), then age, group and dose."""
    marks = [ctx.t("site_work.plan_preferred")] if plan.preferred[index] else []
    if plan.apart[index] and plan.included[index]:
        marks.append(ctx.t("site_work.plan_included"))
    elif not plan.included[index] and not plan.apart[index]:
        marks.append(ctx.t("site_work.plan_dropped"))
    group = plan.groups[index]
    if plan.ages[index] >= priority.ELDER_AGE and group > priority.ELDER_GROUP:
        group_text = f"{group} {ctx.t('site_work.plan_elder')}"
    else:
        group_text = str(group)
    return ctx.t("site_work.plan_line", n=index + 1, name=" ".join([plan.names[index], *marks]),
                 age=plan.ages[index], group=group_text, dose=plan.doses[index])


def _plan_params(ctx: Ctx) -> dict[str, Any]:
    plan = ctx.get(PLAN)
    if plan is None:
        return {"count": 0, "asked": 0, "left": 0, "date": "", "session": "", "lines": "", "apart": ""}
    main = [i for i in range(len(plan.ids)) if not plan.apart[i]]
    apart = [i for i in range(len(plan.ids)) if plan.apart[i]]
    lines = [_plan_line(ctx, plan, i) for i in main]
    shown = lines[:PLAN_SHOWN] + ([ctx.t("site_work.plan_more", count=len(lines) - PLAN_SHOWN)]
                                  if len(lines) > PLAN_SHOWN else [])
    apart_text = ""
    if apart:
        why = waiting.attention_of(ctx.conn, [plan.ids[i] for i in apart])
        apart_lines = [_plan_line(ctx, plan, i) + "\n" + ctx.t(
            "site_work.plan_why", attention=person_lines.attention(ctx, why.get(plan.ids[i], []))) for i in apart]
        apart_text = "\n\n" + ctx.t("site_work.plan_apart", count=len(apart), lines="\n".join(apart_lines))
    return {"count": sum(plan.included), "asked": plan.asked, "left": plan.left, "date": dmy(plan.day),
            "session": ctx.t(f"session.{plan.session}"), "lines": "\n".join(shown), "apart": apart_text}


def _numbers(text: str, size: int) -> list[int]:
    """"3, 7", "3 7 12": positions in the plan (1-based), each one in it."""
    found = []
    for word in text.replace(",", " ").replace(";", " ").split():
        if not is_number(word) or not 1 <= int(word) <= size:
            raise Invalid("site_work.plan_edit_help", count=size)
        found.append(int(word) - 1)
    if not found:
        raise Invalid("site_work.plan_edit_help", count=size)
    return found


def _edit(plan: Plan, text: str) -> Plan:
    """"bỏ 3, 7" leaves people out; "thêm 12" takes in one set apart (or left out), within the slots."""
    words = fold(text).split(None, 1)
    verb, rest = (words[0], words[1]) if len(words) == 2 else ("", "")
    included = list(plan.included)
    if verb in ("bo", "drop", "remove", "xoa"):
        for index in _numbers(rest, len(plan.ids)):
            included[index] = False
    elif verb in ("them", "add", "include"):
        for index in _numbers(rest, len(plan.ids)):
            included[index] = True
        if sum(included) > plan.slots:
            raise Invalid("site_work.plan_over", slots=plan.slots)
    else:
        raise Invalid("site_work.plan_edit_help", count=len(plan.ids))
    return replace(plan, included=tuple(included))


def _confirm(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in ("yes", "no"):
        return answer.payload
    plan = ctx.get(PLAN)
    if plan is None or not answer.text:
        raise Invalid("common.pick_one")
    ctx.put(PLAN, _edit(plan, answer.text))
    return "edited"


def _book(ctx: Ctx, answer: str) -> Go:
    plan = ctx.get(PLAN)
    if answer == "edited":
        return Go(names.ALLOCATE, "confirm")  # the edited plan, asked again
    if answer != "yes" or plan is None:
        ctx.say("site_work.allocate_cancelled")
        return ctx.home()
    who = site_role(ctx)
    chosen = [number for number, taken in zip(plan.ids, plan.included, strict=True) if taken]
    done = appointments.book(ctx.conn, who, who.site_id or 0, plan.day, plan.session, chosen)
    ctx.pushes_queued()
    ctx.say("site_work.allocated", count=done.appointments, date=dmy(plan.day),
            session=ctx.t(f"session.{plan.session}"), told=done.people, skipped=done.skipped)
    return ctx.home()


PLAN: Ask[Plan] = Ask("plan", "site_work.ask_allocate", _allocation, then=_after_plan, codec=codec_of(Plan))

ALLOCATE = Flow(
    names.ALLOCATE,
    commands=("phanbo", "allocate"),
    allowed=may(staff.ALLOCATE),
    steps=(PLAN, Ask("confirm", "site_work.confirm_allocate", _confirm, options=YES_NO, params=_plan_params,
                     then=_book)),
    back=False,
)
