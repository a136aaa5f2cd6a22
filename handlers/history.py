"""Step 2/3, "Tiền sử tiêm": the 12 questions of MOH decision 2995, each Có / Không / Không rõ.

Question 9 is asked only of women; question 10 (aged 65 or over) is answered from the birth date when the
registration is stored; the allergen is asked when question 1 or 12 is "Có". Answers become flags for the
site's doctor, never a refusal.
"""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, Go, Option, Predicate, text_of
from bot.services.registrations import SCREENING
from bot.services.screening import NO, UNKNOWN, YES
from handlers import names
from handlers.registration import SEX

ANSWERS = (Option("common.yes", YES), Option("common.no", NO), Option("common.unknown", UNKNOWN))


def _answered_yes(question: Ask[str]) -> Predicate:
    return lambda ctx: ctx.get(question) == YES


def _is_female(ctx: Ctx) -> bool:
    return ctx.get(SEX) == "F"


def question(code: str, *, when: Predicate | None = None) -> Ask[str]:
    return Ask(code, f"history.{code}", options=ANSWERS, when=when, store=SCREENING)


def agent(code: str, after: Ask[str]) -> Ask[str]:
    """"Ghi rõ": the allergen, asked when the question before it is "Có"."""
    return Ask(code, f"history.{code}", text_of(200), when=_answered_yes(after), store=SCREENING)


Q1, Q12 = question("q1"), question("q12")
QUESTIONS = (
    Q1, agent("q1_agent", Q1), question("q2"), question("q3"), question("q4"), question("q5"), question("q6"),
    question("q7"), question("q8"), question("q9", when=_is_female), question("q11"), Q12, agent("q12_agent", Q12),
)

HISTORY = Flow(
    names.HISTORY,
    title="history.title",
    stage=(2, 3),
    previous=names.DETAILS,
    form=True,
    steps=QUESTIONS,
    done=Go(names.CONSENT),
)
