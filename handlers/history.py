"""Step 2/3, "Tiền sử tiêm": the 12 questions of MOH decision 2995, each Có / Không / Không rõ.

Question 9 is asked only of women; question 10 (aged 65 or over) is answered from the birth date; the
allergen is asked when question 1 or 12 is "Có". Answers become flags for the site's doctor, never a refusal.
"""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, Option, Predicate, pick, text_of
from bot.services.screening import NO, UNKNOWN, YES

ANSWERS = (Option("common.yes", YES), Option("common.no", NO), Option("common.unknown", UNKNOWN))
yes_no_unknown = pick(YES, NO, UNKNOWN)


def _answered_yes(field: str) -> Predicate:
    return lambda ctx: ctx.data.get(field) == YES


def _is_female(ctx: Ctx) -> bool:
    return ctx.data.get("sex") == "F"


def question(code: str, *, when: Predicate | None = None) -> Ask:
    return Ask(code, f"history.{code}", yes_no_unknown, options=ANSWERS, when=when)


HISTORY = Flow(
    "history",
    title="history.title",
    stage=(2, 3),
    previous="details",
    form=True,
    steps=(
        question("q1"),
        Ask("q1_agent", "history.q1_agent", text_of(200), when=_answered_yes("q1")),
        question("q2"),
        question("q3"),
        question("q4"),
        question("q5"),
        question("q6"),
        question("q7"),
        question("q8"),
        question("q9", when=_is_female),
        question("q11"),
        question("q12"),
        Ask("q12_agent", "history.q12_agent", text_of(200), when=_answered_yes("q12")),
    ),
    done=lambda ctx: ctx.go("consent"),
)
