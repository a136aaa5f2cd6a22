"""What the screening table decides, and what the day shows (issue 26).

    /sangloc <mã | CCCD> đạt                        the dose may be given: /tiem asks nothing more of the history
    /sangloc <mã | CCCD> hoãn <dd/mm/yyyy> [lý do]   off the lists until that day; the person told
    /sangloc <mã | CCCD> chuyển <nơi>[; lý do]        referred: the registration closed here; told where to go
    /sangloc <mã | CCCD>  ─▶ the person, and "Đạt / Hoãn / Chuyển tuyến / Vắng / Xác nhận mũi khai"
    (a button beside each person in /danhsach and /tra comes here too)

    /vang [dd/mm/yyyy]          the day's no-shows (yesterday's by default)
    /vang <mã | CCCD>           a no-show marked by hand: back on the list in their place, told once

    /xacnhan <mã | CCCD> [vắc xin dd/mm/yyyy [số lô]]   a declared earlier dose, as the card shows it ─▶ a dose

For staff who record doses, with a recent log-in; only registrations of their own site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from bot.engine.answers import Answer, Go, Option, codec_of
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.access import audit, staff
from bot.services.campaign import lookup
from bot.services.registration import appointments, decisions
from bot.services.vaccination import declared as declared_doses
from bot.services.values import states
from bot.services.values.dates import dmy, parse_dmy, parse_past_date, today
from bot.services.values.errors import Invalid
from bot.services.values.text import fold
from handlers import names, person_lines
from handlers.common import YES_NO
from handlers.staff_access import current_role, may

POSTPONE_DAYS = 365  # a postponement further than a year is a typo
_WORDS = {
    "eligible": ("dat", "ok", "eligible", "pass", "du dieu kien"),
    "postponed": ("hoan", "hoan tiem", "postpone", "defer"),
    "referred": ("chuyen", "chuyen tuyen", "refer", "referred"),
    "missed": ("vang", "absent", "missed", "no show"),
    "declared": ("xac nhan", "xacnhan", "confirm"),
}
_ARGS = re.compile(r"\s*(\S+)(?:\s+(.*))?", re.S)


def _decision_word(text: str) -> tuple[str | None, str]:
    """The decision at the start of ``text`` ("hoãn", "chuyen tuyen", "đạt") and what follows it, as typed."""
    words = text.split()
    for length in (2, 1):
        head = fold(" ".join(words[:length]))
        for code, spellings in _WORDS.items():
            if len(words) >= length and head in spellings:
                rest = text.strip()
                for _ in range(length):
                    rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
                return code, rest.strip()
    return None, text.strip()


@dataclass(frozen=True, slots=True)
class Order:
    """Whose registration, and what was decided (``decision`` None: asked with buttons)."""

    registration_id: int
    person_id: int
    name: str
    decision: str | None = None
    until: date | None = None
    reason: str | None = None
    place: str | None = None


def target(ctx: Ctx, text: str) -> lookup.Target:
    """A booking code or an ID number, of a registration of the caller's site; else "not found" (another site's
    registration is not said to exist)."""
    who = current_role(ctx)
    found = lookup.dose_target(ctx.conn, text)
    if found is None or not who.covers(found.site_id):
        audit.record(ctx.conn, who, "screen", how="target", result="not_found")
        raise Invalid("screen.not_found")
    return found


def _detail(code: str, rest: str) -> dict[str, Any]:
    """The day and reason of a postponement, the place and reason of a referral, from the words typed."""
    if code == "postponed":
        day_text, _, reason = rest.partition(" ")
        if not day_text:
            raise Invalid("screen.until_missing")
        until = parse_dmy(day_text)
        if until <= today():
            raise Invalid("screen.until_past")
        if until > today() + timedelta(days=POSTPONE_DAYS):
            raise Invalid("screen.until_far", days=POSTPONE_DAYS)
        return {"until": until, "reason": reason.strip() or None}
    if code == "referred":
        place, _, reason = rest.partition(";")
        if not place.strip():
            raise Invalid("screen.place_missing")
        return {"place": place.strip(), "reason": reason.strip() or None}
    return {}


def _settled[T](ctx: Ctx, act: Callable[[Ctx, T], Go], order: T) -> Go:
    """Do what was decided; what cannot be done (the registration settled meanwhile, no appointment to miss, a
    dose already recorded that day) is said instead, and the chat goes home."""
    try:
        return act(ctx, order)
    except Invalid as bad:
        ctx.say(bad.key, **bad.params)
        return ctx.home()


def _act(ctx: Ctx, order: Order) -> Go:
    return _settled(ctx, _do, order)


def _do(ctx: Ctx, order: Order) -> Go:
    who = current_role(ctx)
    if order.decision == "missed":
        day = appointments.mark_missed(ctx.conn, who, order.registration_id)
        if day is None:
            raise Invalid("noshow.no_appointment", name=order.name)
        ctx.pushes_queued()
        ctx.say("noshow.marked", name=order.name, date=dmy(day))
        return ctx.home()
    if order.decision == "declared":
        return open_declared(ctx, order.registration_id)
    decision = states.Decision(order.decision or "")
    decisions.decide(ctx.conn, who, order.registration_id, decision, until=order.until, reason=order.reason,
                     place=order.place)
    ctx.pushes_queued()
    said = person_lines.decision(ctx, decision, order.reason, order.place, order.until) or ""
    ctx.say("screen.done", name=order.name, decision=said)
    return ctx.home()


def _args(ctx: Ctx, answer: Answer) -> Order:
    match = _ARGS.fullmatch(answer.text or "")
    if match is None:
        raise Invalid("screen.help")
    found = target(ctx, match.group(1))
    order = Order(found.registration_id, found.person_id, found.full_name)
    rest = (match.group(2) or "").strip()
    if not rest:
        return order
    code, details = _decision_word(rest)
    if code is None or code == "declared":
        raise Invalid("screen.bad_decision", word=rest.split()[0][:20])
    return replace(order, decision=code, **_detail(code, details))


def _after_args(ctx: Ctx, order: Order) -> Go | None:
    return _act(ctx, order) if order.decision is not None else None


def _person(ctx: Ctx) -> dict[str, Any]:
    order = ctx.get(ARGS)
    if order is None:
        return {"name": "-", "lines": ""}
    found = lookup.registration_target(ctx.conn, order.registration_id)
    line = next((r for r in lookup.registrations_of(ctx.conn, order.person_id)
                 if r.registration_id == order.registration_id), None)
    lines = []
    if line is not None:
        lines.append(person_lines.course(ctx, line.dose_number, line.due_on, None))
        if line.attention:
            lines.append(ctx.t("site_work.list_attention", attention=person_lines.attention(ctx, line.attention)))
        for extra in (person_lines.decision(ctx, line.decision, line.decision_note, line.decision_place,
                                            line.due_on), person_lines.declared(ctx, line.declared)):
            if extra:
                lines.append(extra)
    return {"name": found.full_name if found else order.name, "lines": "\n".join(lines)}


CHOICES = (Option("screen.eligible", "eligible"), Option("screen.postpone", "postponed"),
           Option("screen.refer", "referred"), Option("screen.missed", "missed"))


def _pick_choices(ctx: Ctx) -> list[Choice]:
    order = ctx.get(ARGS)
    found = [Choice(ctx.t(o.label), o.payload) for o in CHOICES]
    if order is not None and declared_doses.pending(ctx.conn, order.registration_id) is not None:
        found.append(Choice(ctx.t("screen.declared"), "declared"))
    return found


def _pick(ctx: Ctx, answer: Answer) -> str:
    allowed = {c.payload for c in _pick_choices(ctx)}
    if answer.payload in allowed:
        return str(answer.payload)
    code, _rest = _decision_word(answer.text or "")
    if code in allowed:
        return str(code)
    raise Invalid("screen.pick_help")


def _after_pick(ctx: Ctx, code: str) -> Go | None:
    order = ctx.get(ARGS)
    if order is None:
        return ctx.home()
    if code in ("postponed", "referred"):
        return None  # the detail is asked next
    return _act(ctx, replace(order, decision=code))


def _detail_prompt(ctx: Ctx) -> str:
    return "screen.ask_until" if ctx.get(PICK) == "postponed" else "screen.ask_place"


def _detail_answer(ctx: Ctx, answer: Answer) -> str:
    code = ctx.get(PICK) or ""
    _detail(code, answer.text or "")  # understood, or says what is missing
    return answer.text or ""


def _after_detail(ctx: Ctx, text: str) -> Go:
    order = ctx.get(ARGS)
    code = ctx.get(PICK) or ""
    if order is None:
        return ctx.home()
    return _act(ctx, replace(order, decision=code, **_detail(code, text)))


ARGS: Ask[Order] = Ask("screen_args", "screen.ask", _args, codec=codec_of(Order), then=_after_args)
PICK: Ask[str] = Ask("screen_pick", "screen.ask_pick", _pick, choices=_pick_choices, params=_person,
                     then=_after_pick)
SCREEN = Flow(
    names.SCREEN,
    commands=("sangloc", "screen"),
    allowed=may(staff.DOSE),
    steps=(ARGS, PICK,
           Ask("screen_detail", _detail_prompt, _detail_answer, when=lambda ctx: ctx.get(PICK) in
               ("postponed", "referred"), then=_after_detail)),
    exits=(names.DECLARED,),
    back=False,
)


def open_screen(ctx: Ctx, registration_id: int) -> Go:
    """A button beside a person: the decision buttons for their registration (if it is the caller's site's)."""
    who = current_role(ctx)
    found = lookup.registration_target(ctx.conn, registration_id)
    if found is None or not who.covers(found.site_id):
        raise Invalid("screen.not_found")
    ctx.put(ARGS, Order(found.registration_id, found.person_id, found.full_name))
    return Go(names.SCREEN, PICK.name)


# ---- /vang: no-shows ------------------------------------------------------------------------------------------


def _no_show(ctx: Ctx, answer: Answer) -> str:
    who = current_role(ctx)
    text = (answer.text or "").strip()
    if answer.payload == "yesterday" or not text:
        day: date | None = today() - timedelta(days=1)
    elif answer.payload == "today":
        day = today()
    elif text[:1].isdigit() and any(ch in text for ch in "/.-"):
        day = parse_past_date(text)
    else:
        day = None
    if day is not None:
        missed = appointments.missed_on(ctx.conn, who.site_id or 0, day)
        for person in missed:
            audit.record(ctx.conn, who, "list", person_id=person.person_id, how="no-shows")
        if not missed:
            ctx.say("noshow.none", date=dmy(day))
        else:
            lines = [ctx.t("noshow.line", n=n, name=p.full_name, born=dmy(p.birth_date), code=p.booking_code,
                           session=ctx.t(f"session.{p.session}")) for n, p in enumerate(missed, 1)]
            ctx.say("noshow.list", date=dmy(day), count=len(missed), lines="\n".join(lines))
        return "listed"
    found = target(ctx, text)
    _act(ctx, Order(found.registration_id, found.person_id, found.full_name, decision="missed"))
    return "marked"


NO_SHOW = Flow(
    names.NO_SHOW,
    commands=("vang", "noshow"),
    allowed=may(staff.DOSE),
    steps=(Ask("noshow", "noshow.ask", _no_show, choices=lambda ctx: [
        Choice(ctx.t("noshow.yesterday"), "yesterday"), Choice(ctx.t("noshow.today"), "today")]),),
    back=False,
)

# ---- /xacnhan: a declared earlier dose, from the card -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeclaredOrder:
    """The registration, and the dose as the card shows it (None: as declared, to be confirmed)."""

    registration_id: int
    name: str
    vaccine: str | None = None
    given_on: date | None = None
    lot: str = ""


def _confirm_declared(ctx: Ctx, order: DeclaredOrder) -> Go:
    return _settled(ctx, _declare, order)


def _declare(ctx: Ctx, order: DeclaredOrder) -> Go:
    who = current_role(ctx)
    pending = declared_doses.pending(ctx.conn, order.registration_id)
    vaccine = order.vaccine or (pending.declared.vaccine if pending else None)
    given_on = order.given_on or (pending.declared.given_on if pending else None)
    if pending is None:
        raise Invalid("declared.none")
    if vaccine is None or given_on is None:
        raise Invalid("declared.help")
    number = declared_doses.confirm(ctx.conn, ctx.services.signing_key, who, order.registration_id,
                                    vaccine=vaccine, given_on=given_on,
                                    lot=order.lot or (pending.declared.lot or "" if order.vaccine is None else ""))
    ctx.pushes_queued()
    ctx.say("declared.done", name=order.name, number=number, vaccine=person_lines.vaccine_name(ctx, vaccine),
            date=dmy(given_on))
    return ctx.home()


def _card_values(words: list[str]) -> tuple[str, date, str]:
    """"AstraZeneca 12/10/2021 [lô]" (a vaccine of two words too: "Vero Cell 1/9/2021")."""
    for index, word in enumerate(words):
        if word[:1].isdigit() and any(ch in word for ch in "/.-") and index > 0:
            return " ".join(words[:index]), parse_past_date(word), " ".join(words[index + 1:])[:40]
    raise Invalid("declared.help")


def _declared_args(ctx: Ctx, answer: Answer) -> DeclaredOrder:
    words = (answer.text or "").split()
    if not words:
        raise Invalid("declared.help")
    found = target(ctx, words[0])
    if declared_doses.pending(ctx.conn, found.registration_id) is None:
        raise Invalid("declared.none")
    order = DeclaredOrder(found.registration_id, found.full_name)
    if len(words) == 1:
        return order
    vaccine, given_on, lot = _card_values(words[1:])
    return replace(order, vaccine=vaccine, given_on=given_on, lot=lot)


def _declared_params(ctx: Ctx) -> dict[str, Any]:
    order = ctx.get(DECLARED_ARGS)
    pending = declared_doses.pending(ctx.conn, order.registration_id) if order else None
    if order is None or pending is None:
        return {"name": "-", "vaccine": "-", "date": "-", "lot": "-", "place": "-"}
    found = pending.declared
    return {"name": order.name, "vaccine": person_lines.vaccine_name(ctx, found.vaccine),
            "date": dmy(found.given_on) if found.given_on else "-", "lot": found.lot or "-",
            "place": found.place or "-"}


def _declared_yes_no(ctx: Ctx, answer: str) -> Go | None:
    order = ctx.get(DECLARED_ARGS)
    if order is None:
        return ctx.home()
    if answer == "yes":
        return _confirm_declared(ctx, order)
    return None  # the card's values are asked


def _declared_typed(ctx: Ctx, answer: Answer) -> DeclaredOrder:
    order = ctx.get(DECLARED_ARGS)
    if order is None:
        raise Invalid("declared.none")
    vaccine, given_on, lot = _card_values((answer.text or "").split())
    return replace(order, vaccine=vaccine, given_on=given_on, lot=lot)


DECLARED_ARGS: Ask[DeclaredOrder] = Ask(
    "declared_args", "declared.ask", _declared_args, codec=codec_of(DeclaredOrder),
    then=lambda ctx, order: _confirm_declared(ctx, order) if order.vaccine else None)
DECLARED_CHECK: Ask[str] = Ask("declared_check", "declared.confirm", options=YES_NO, params=_declared_params,
                               then=_declared_yes_no)
DECLARED = Flow(
    names.DECLARED,
    commands=("xacnhan", "confirmdose"),
    allowed=may(staff.DOSE),
    steps=(DECLARED_ARGS, DECLARED_CHECK,
           Ask("declared_card", "declared.ask_card", _declared_typed, codec=codec_of(DeclaredOrder),
               when=lambda ctx: ctx.get(DECLARED_CHECK) == "no", then=_confirm_declared)),
    back=False,
)


def open_declared(ctx: Ctx, registration_id: int) -> Go:
    found = lookup.registration_target(ctx.conn, registration_id)
    if found is None:
        raise Invalid("declared.none")
    ctx.put(DECLARED_ARGS, DeclaredOrder(registration_id, found.full_name))
    return Go(names.DECLARED, DECLARED_CHECK.name)
