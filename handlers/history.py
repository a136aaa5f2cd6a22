"""Step 2/3, "Tiền sử tiêm": the 12 questions of MOH decision 2995, each Có / Không / Không rõ.

    checklist ─ "Không có mục nào" ───────────▶ (every question "Không") ─┐
              ├ "1, 7" (the numbers answered Có) ▶ (the rest "Không") ────┤─▶ allergen if 1 or 12 is "Có" ─▶ consent
              └ "Trả lời từng câu" ─▶ q1 … q12, one at a time ────────────┘

All the questions are shown in one message, numbered by what is asked (question 9 is asked only of women,
question 10, aged 65 or over, is answered from the birth date), so a man reads 1 to 10 with no jump. Most
people answer the whole list with one tap; anyone can answer question by question, with "Không rõ". Answers
become flags for the site's doctor, never a refusal.
"""

from __future__ import annotations

from bot.engine.answers import Answer, Go, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, Predicate, text_of
from bot.engine.types import Choice
from bot.services.reference.screening import NO, UNKNOWN, YES
from bot.services.registration.registrations import SCREENING
from bot.services.values.errors import Invalid
from bot.services.values.text import fold
from handlers import names
from handlers.registration import SEX

ANSWERS = (Option("common.yes", YES), Option("common.no", NO), Option("common.unknown", UNKNOWN))
NONE, EACH = "none", "each"
_JOINERS = {"va", "and", "cau", "so", "co", "+", "&", "-"}  # "câu 1 và 7", "1 + 7"


def _answered_yes(question: Ask[str]) -> Predicate:
    return lambda ctx: ctx.get(question) == YES


def _is_female(ctx: Ctx) -> bool:
    return ctx.get(SEX) == "F"


def _number(ctx: Ctx, code: str) -> int:
    """A question's number as this person sees it: counted over the questions asked of them."""
    return [q.name for q in ASKED if q.applies(ctx) or q.name == code].index(code) + 1


def question(code: str, *, when: Predicate | None = None) -> Ask[str]:
    return Ask(code, "history.ask_one", options=ANSWERS, when=when, store=SCREENING,
               params=lambda ctx: {"number": _number(ctx, code), "total": _total(ctx),
                                   "question": ctx.t(f"history.{code}")})


def agent(code: str, after: Ask[str]) -> Ask[str]:
    """"Ghi rõ": the allergen, asked when the question before it is "Có"."""
    return Ask(code, f"history.{code}", text_of(200), when=_answered_yes(after), store=SCREENING)


Q1, Q12 = question("q1"), question("q12")
ASKED = (Q1, question("q2"), question("q3"), question("q4"), question("q5"), question("q6"), question("q7"),
         question("q8"), question("q9", when=_is_female), question("q11"), Q12)


def _total(ctx: Ctx) -> int:
    return sum(1 for q in ASKED if q.applies(ctx))


def checklist_text(ctx: Ctx) -> str:
    """Every question this person is asked, numbered 1 … n."""
    asked = [q for q in ASKED if q.applies(ctx)]
    return "\n".join(f"{i}. {ctx.t(f'history.{q.name}')}" for i, q in enumerate(asked, 1))


def _checklist(ctx: Ctx, answer: Answer) -> str:
    """"Không có mục nào", "Trả lời từng câu", or the numbers of the questions answered "Có" ("1, 7")."""
    if answer.payload in (NONE, EACH):
        return answer.payload
    words = fold(answer.text or "").replace(",", " ").replace(";", " ").replace(".", " ").split()
    numbers = [int(w) for w in words if w.isascii() and w.isdigit()]
    if not numbers or any(not (w.isascii() and w.isdigit()) and w not in _JOINERS for w in words):
        raise Invalid("history.checklist_help", total=_total(ctx))
    total = _total(ctx)
    wrong = [n for n in numbers if not 1 <= n <= total]
    if wrong:
        raise Invalid("history.checklist_range", number=wrong[0], total=total)
    return ",".join(str(n) for n in sorted(set(numbers)))


def _fill(ctx: Ctx, choice: str) -> None:
    """The checklist's answer becomes each question's: "Có" for the numbers given, "Không" for the rest."""
    if choice == EACH:
        return
    yes = set() if choice == NONE else {int(n) for n in choice.split(",")}
    asked = [q for q in ASKED if q.applies(ctx)]
    for number, q in enumerate(asked, 1):
        ctx.put(q, YES if number in yes else NO)


CHECKLIST = Ask(
    "checklist", "history.checklist", _checklist, pick=True, numbers=True, then=_fill, again="history.checklist_again",
    dependents=tuple(q.name for q in ASKED),
    choices=lambda ctx: [Choice(ctx.t("history.all_no"), NONE), Choice(ctx.t("history.each"), EACH)],
    params=lambda ctx: {"questions": checklist_text(ctx), "total": _total(ctx)},
)
QUESTIONS = (Q1, agent("q1_agent", Q1), *ASKED[1:-1], Q12, agent("q12_agent", Q12))

HISTORY = Flow(
    names.HISTORY,
    title="history.title",
    stage=(2, 3),
    previous=names.DETAILS,
    form=True,
    steps=(CHECKLIST, *QUESTIONS),
    done=Go(names.CONSENT),
)
