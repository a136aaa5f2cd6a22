"""Two records of one person, merged by staff who checked the papers (issue 27).

    /gop <mã | CCCD kept> <mã | CCCD closed> ─▶ both shown ─▶ "Có" ─▶ one record, one QR, both families told
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.engine.answers import Answer, Go, codec_of
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.services.access import audit, scope, staff
from bot.services.campaign import lookup
from bot.services.people import duplicates
from bot.services.values.dates import dmy
from bot.services.values.documents import mask
from bot.services.values.errors import Invalid
from handlers import names
from handlers.common import YES_NO
from handlers.staff_access import current_role, may


@dataclass(frozen=True, slots=True)
class Pair:
    keep: int
    drop: int


def _person(ctx: Ctx, text: str) -> lookup.Found:
    """A booking code or an ID number of someone in the caller's scope; else "not found"."""
    who = current_role(ctx)
    query = lookup.Query("booking" if len(text) == lookup.BOOKING_DIGITS else "id", text)
    found, _total = lookup.search(ctx.conn, who, query)
    if len(found) != 1:
        audit.record(ctx.conn, who, "merge", how="target", result="not_found")
        raise Invalid("merge.not_found", code=text)
    return found[0]


def _pair(ctx: Ctx, answer: Answer) -> Pair:
    words = [w for w in (answer.text or "").replace(",", " ").split() if w]
    if len(words) != 2:
        raise Invalid("merge.help")
    keep, drop = (_person(ctx, "".join(ch for ch in w if ch.isalnum())) for w in words)
    if keep.person_id == drop.person_id:
        raise Invalid("merge.not_two")
    return Pair(keep.person_id, drop.person_id)


def _line(ctx: Ctx, person: lookup.Found) -> str:
    return ctx.t("merge.line", name=person.full_name, born=dmy(person.birth_date), id=mask(person.id_number),
                 registrations=len(person.registrations), doses=len(person.doses))


def _params(ctx: Ctx) -> dict[str, Any]:
    pair = ctx.get(PAIR)
    who = current_role(ctx)
    if pair is None:
        return {"keep": "-", "drop": "-"}
    people = {p.person_id: p for p in lookup.people(ctx.conn, who, [pair.keep, pair.drop])}
    return {"keep": _line(ctx, people[pair.keep]) if pair.keep in people else "-",
            "drop": _line(ctx, people[pair.drop]) if pair.drop in people else "-"}


def _merge(ctx: Ctx, answer: str) -> Go:
    pair = ctx.get(PAIR)
    if answer != "yes" or pair is None:
        ctx.say("merge.cancelled")
        return ctx.home()
    who = current_role(ctx)
    try:
        if not (scope.covers(ctx.conn, who, pair.keep) and scope.covers(ctx.conn, who, pair.drop)):
            raise Invalid("merge.not_found", code="-")
        done = duplicates.merge(ctx.conn, ctx.services.signing_key, who, keep=pair.keep, drop=pair.drop)
    except Invalid as bad:
        ctx.say(bad.key, **bad.params)
        return ctx.home()
    ctx.pushes_queued()
    ctx.say("merge.done", moved=done.doses_moved, twice=done.doses_twice, pushes=done.pushes)
    return ctx.home()


PAIR: Ask[Pair] = Ask("merge_pair", "merge.ask", _pair, codec=codec_of(Pair))

MERGE = Flow(
    names.MERGE,
    commands=("gop", "merge"),
    allowed=may(staff.DOSE),
    steps=(PAIR, Ask("merge_confirm", "merge.confirm", options=YES_NO, params=_params, then=_merge)),
    back=False,
)
