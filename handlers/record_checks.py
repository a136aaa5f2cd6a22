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
from typing import Any

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, Go
from bot.services import audit, claims, site_records, staff, vaccines
from bot.services.dates import dmy
from bot.services.errors import Invalid
from bot.services.phones import display
from bot.services.text import fold
from handlers import names
from handlers.common import YES_NO
from handlers.staff import _role, may

YES_WORDS, NO_WORDS = frozenset({"co", "yes", "y", "dung", "ok"}), frozenset({"khong", "ko", "k", "no", "n", "sai"})


def _number_and_decision(text: str, help_key: str) -> tuple[int, bool | None]:
    """"12", "#12 có", "12 khong": the number and, if given, the decision."""
    words = fold(text).replace("#", " ").split()
    if not words or not words[0].isdigit() or len(words) > 2 or len(words[0]) > 9:
        raise Invalid(help_key)
    decision = None
    if len(words) == 2:
        if words[1] not in YES_WORDS | NO_WORDS:
            raise Invalid(help_key)
        decision = words[1] in YES_WORDS
    return int(words[0]), decision


# ---- /ghep: a kept site record that may be this person's ------------------------------------------------------


def _record_of(ctx: Ctx, record_id: int) -> site_records.Waiting:
    who = _role(ctx)
    found = site_records.waiting(ctx.conn, record_id)
    if found is None or not who.covers(found.site_id):  # another site's record is "not found"
        audit.record(ctx.conn, who, "site_record", how="number", result="not_found")
        raise Invalid("records.waiting_not_found", number=record_id)
    return found


def _record_args(ctx: Ctx, answer: Answer) -> dict[str, Any]:
    number, decision = _number_and_decision(answer.text or "", "records.ghep_help")
    _record_of(ctx, number)
    return {"id": number, "decision": decision}


def _settled(decide: Callable[[Ctx, bool], Go]) -> Callable[[Ctx, bool], Go]:
    """A decision whose record or claim was settled (or whose role ended) since it was shown: said, then home."""
    def run(ctx: Ctx, yes: bool) -> Go:
        try:
            return decide(ctx, yes)
        except Invalid as bad:
            ctx.say(bad.key, **bad.params)
            return ctx.home()
    return run


@_settled
def _decide_record(ctx: Ctx, theirs: bool) -> Go:
    args = ctx.get(RECORD_ARGS) or {}
    who = _role(ctx)
    record = _record_of(ctx, int(args.get("id", 0)))
    number = site_records.decide_waiting(ctx.conn, ctx.services.signing_key, who, record, theirs=theirs)
    if theirs:
        ctx.pushes_queued()
        ctx.say("records.ghep_done" if number else "records.ghep_already", number=number or 0,
                vaccine=ctx.t(f"vaccine.{vaccines.find(record.vaccine) or record.vaccine}"), date=dmy(record.given_on))
    else:
        ctx.say("records.ghep_kept_apart", record=record.id)
    return ctx.home()


def _record_params(ctx: Ctx) -> dict[str, Any]:
    record = site_records.waiting(ctx.conn, int((ctx.get(RECORD_ARGS) or {}).get("id", 0)))
    if record is None:  # settled meanwhile: the answer says so
        return dict.fromkeys(("record", "name", "born", "phone", "date", "vaccine", "lot"), "-")
    return {"record": record.id, "name": record.full_name, "born": dmy(record.birth_date),
            "phone": display(record.phone) if record.phone else "-", "date": dmy(record.given_on),
            "vaccine": ctx.t(f"vaccine.{vaccines.find(record.vaccine) or record.vaccine}"), "lot": record.lot}


RECORD_ARGS = Ask("record_args", "records.ask_ghep", _record_args,
                  then=lambda ctx, args: _decide_record(ctx, args["decision"]) if args["decision"] is not None
                  else None)

CONFIRM_RECORD = Flow(
    names.CONFIRM_RECORD,
    commands=("ghep", "confirmrecord"),
    allowed=may(staff.DOSE),
    steps=(RECORD_ARGS,
           Ask("record_theirs", "records.confirm_ghep", options=YES_NO, params=_record_params,
               then=lambda ctx, answer: _decide_record(ctx, answer == "yes"))),
    back=False,
)

# ---- /chuyen: a document another account registered ---------------------------------------------------------


def _claim_of(ctx: Ctx, claim_id: int) -> claims.Claim:
    who = _role(ctx)
    found = claims.find(ctx.conn, claim_id)
    if found is None or found.state != "open" or not claims.may_decide(who, found):
        audit.record(ctx.conn, who, "claim", how="number", result="not_found")
        raise Invalid("claim.not_found", number=claim_id)
    return found


def _claim_args(ctx: Ctx, answer: Answer) -> dict[str, Any]:
    number, decision = _number_and_decision(answer.text or "", "claim.help")
    _claim_of(ctx, number)
    return {"id": number, "decision": decision}


@_settled
def _decide_claim(ctx: Ctx, move: bool) -> Go:
    who = _role(ctx)
    claim = _claim_of(ctx, int((ctx.get(CLAIM_ARGS) or {}).get("id", 0)))
    result = claims.decide(ctx.conn, who, claim, move=move, signing_key=ctx.services.signing_key)
    ctx.pushes_queued()
    ctx.say(f"claim.{result}", number=claim.id, name=claim.full_name, claimant=claim.claimant_name)
    return ctx.home()


def _claim_params(ctx: Ctx) -> dict[str, Any]:
    claim = claims.find(ctx.conn, int((ctx.get(CLAIM_ARGS) or {}).get("id", 0)))
    if claim is None:
        return dict.fromkeys(("number", "name", "claimant"), "-")
    return {"number": claim.id, "name": claim.full_name, "claimant": claim.claimant_name}


CLAIM_ARGS = Ask("claim_args", "claim.ask", _claim_args,
                 then=lambda ctx, args: _decide_claim(ctx, args["decision"]) if args["decision"] is not None else None)

TRANSFER = Flow(
    names.TRANSFER,
    commands=("chuyen", "transfer"),
    allowed=may(staff.DOSE),
    steps=(CLAIM_ARGS,
           Ask("claim_move", "claim.confirm", options=YES_NO, params=_claim_params,
               then=lambda ctx, answer: _decide_claim(ctx, answer == "yes"))),
    back=False,
)
