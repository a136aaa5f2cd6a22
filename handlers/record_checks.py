"""What only a site can settle, after looking at the papers: a kept dose record that may be a person's, and a
document another account registered.

    /ghep <số hồ sơ> [có | không]     a site's record with the person's ID and birth date but another name
                                      or phone ─▶ (shown, "Có / Không") ─▶ a dose and a new QR, or kept apart
    /chuyen <số yêu cầu> [có | không] "this document is mine" ─▶ (shown) ─▶ the person moved to the claimant's
                                      account, or the claim rejected; both accounts told

Both are for staff who record doses, with a recent log-in; the role and the scope are read again where they act.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.engine.answers import Answer, Go, codec_of
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.services.access import audit, staff
from bot.services.people import claims
from bot.services.reference import vaccines
from bot.services.vaccination import site_records
from bot.services.values.dates import dmy
from bot.services.values.errors import Invalid
from bot.services.values.phones import display
from bot.services.values.text import fold
from handlers import names
from handlers.common import YES_NO
from handlers.staff_access import current_role, may

YES_WORDS, NO_WORDS = frozenset({"co", "yes", "y", "dung", "ok"}), frozenset({"khong", "ko", "k", "no", "n", "sai"})


def _number_and_decision(text: str, help_key: str) -> tuple[int, bool | None]:
    """"12", "#12 có", "12 khong": the number and, if given, the decision."""
    words = fold(text).replace("#", " ").split()
    if not words or not (words[0].isascii() and words[0].isdigit()) or len(words) > 2 or len(words[0]) > 9:
        raise Invalid(help_key)
    decision = None
    if len(words) == 2:
        if words[1] not in YES_WORDS | NO_WORDS:
            raise Invalid(help_key)
        decision = words[1] in YES_WORDS
    return int(words[0]), decision


@dataclass(frozen=True, slots=True)
class Pick:
    """The item's number, and the decision if it was typed with it ("12 có")."""

    number: int
    decision: bool | None


def decision_flow[T](
    name: str, commands: tuple[str, ...], step: str, *, ask: str, help_key: str, confirm: str,
    find: Callable[[Ctx, int], T], show: Callable[[Ctx, T | None], dict[str, Any]],
    act: Callable[[Ctx, T, bool], None],
) -> Flow:
    """A staff decision on a numbered item: "<number> [có|không]" decides at once; a number alone shows the item and
    asks "Có / Không". ``find`` raises :class:`Invalid` for an item not found, settled, or not the caller's to
    decide; it runs again where the decision acts, so one settled (or a role ended) meanwhile is said, not acted on."""

    def number_of(ctx: Ctx) -> int:
        picked = ctx.get(args_step)
        return picked.number if picked is not None else 0

    def read(ctx: Ctx, answer: Answer) -> Pick:
        number, decision = _number_and_decision(answer.text or "", help_key)
        find(ctx, number)
        return Pick(number, decision)

    def decide(ctx: Ctx, yes: bool) -> Go:
        try:
            act(ctx, find(ctx, number_of(ctx)), yes)
        except Invalid as bad:
            ctx.say(bad.key, **bad.params)
        return ctx.home()

    def params(ctx: Ctx) -> dict[str, Any]:
        try:
            return show(ctx, find(ctx, number_of(ctx)))
        except Invalid:  # settled meanwhile: the answer to "Có / Không" says so
            return show(ctx, None)

    args_step: Ask[Pick] = Ask(
        f"{step}_args", ask, read, codec=codec_of(Pick),
        then=lambda ctx, picked: decide(ctx, picked.decision) if picked.decision is not None else None)
    return Flow(name, commands=commands, allowed=may(staff.DOSE), back=False, steps=(
        args_step,
        Ask(f"{step}_decision", confirm, options=YES_NO, params=params,
            then=lambda ctx, answer: decide(ctx, answer == "yes")),
    ))


# ---- /ghep: a kept site record that may be this person's ------------------------------------------------------


def _record_of(ctx: Ctx, record_id: int) -> site_records.Waiting:
    who = current_role(ctx)
    found = site_records.waiting(ctx.conn, record_id)
    if found is None or not who.covers(found.site_id):  # another site's record is "not found"
        audit.record(ctx.conn, who, "site_record", how="number", result="not_found")
        raise Invalid("records.waiting_not_found", number=record_id)
    return found


def _vaccine(ctx: Ctx, code: str) -> str:
    return ctx.t(f"vaccine.{vaccines.find(code) or code}")


def _show_record(ctx: Ctx, record: site_records.Waiting | None) -> dict[str, Any]:
    if record is None:
        return dict.fromkeys(("record", "name", "born", "phone", "date", "vaccine", "lot"), "-")
    return {"record": record.id, "name": record.full_name, "born": dmy(record.birth_date),
            "phone": display(record.phone) if record.phone else "-", "date": dmy(record.given_on),
            "vaccine": _vaccine(ctx, record.vaccine), "lot": record.lot}


def _decide_record(ctx: Ctx, record: site_records.Waiting, theirs: bool) -> None:
    number = site_records.decide_waiting(ctx.conn, ctx.services.signing_key, current_role(ctx), record, theirs=theirs)
    if theirs:
        ctx.pushes_queued()
        ctx.say("records.ghep_done" if number else "records.ghep_already", number=number or 0,
                vaccine=_vaccine(ctx, record.vaccine), date=dmy(record.given_on))
    else:
        ctx.say("records.ghep_kept_apart", record=record.id)


CONFIRM_RECORD = decision_flow(
    names.CONFIRM_RECORD, ("ghep", "confirmrecord"), "record", ask="records.ask_ghep", help_key="records.ghep_help",
    confirm="records.confirm_ghep", find=_record_of, show=_show_record, act=_decide_record)

# ---- /chuyen: a document another account registered ---------------------------------------------------------


def _claim_of(ctx: Ctx, claim_id: int) -> claims.Claim:
    who = current_role(ctx)
    found = claims.find(ctx.conn, claim_id)
    if found is None or found.state != "open" or not claims.may_decide(who, found):
        audit.record(ctx.conn, who, "claim", how="number", result="not_found")
        raise Invalid("claim.not_found", number=claim_id)
    return found


def _show_claim(_ctx: Ctx, claim: claims.Claim | None) -> dict[str, Any]:
    if claim is None:
        return dict.fromkeys(("number", "name", "claimant"), "-")
    return {"number": claim.id, "name": claim.full_name, "claimant": claim.claimant_name}


def _decide_claim(ctx: Ctx, claim: claims.Claim, move: bool) -> None:
    result = claims.decide(ctx.conn, current_role(ctx), claim, move=move, signing_key=ctx.services.signing_key)
    ctx.pushes_queued()
    ctx.say(f"claim.{result}", number=claim.id, name=claim.full_name, claimant=claim.claimant_name)


TRANSFER = decision_flow(
    names.TRANSFER, ("chuyen", "transfer"), "claim", ask="claim.ask", help_key="claim.help", confirm="claim.confirm",
    find=_claim_of, show=_show_claim, act=_decide_claim)
