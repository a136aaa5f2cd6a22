"""The 12 self-declared history questions (MOH decision 2995/QĐ-BYT) and the flags staff see.

Answers never block a registration: they become flags (contraindicated / defer / caution) for the site's
doctor, who decides on the day.
"""

from __future__ import annotations

from dataclasses import dataclass

YES, NO, UNKNOWN = "yes", "no", "unknown"
ANSWERS = (YES, NO, UNKNOWN)


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    category: str  # contraindicated / defer / caution


QUESTIONS: tuple[Question, ...] = (
    Question("q1", "contraindicated"),
    Question("q2", "defer"),
    Question("q3", "defer"),
    Question("q4", "defer"),
    Question("q5", "defer"),
    Question("q6", "defer"),
    Question("q7", "defer"),
    Question("q8", "caution"),
    Question("q9", "defer"),
    Question("q10", "caution"),
    Question("q11", "caution"),
    Question("q12", "caution"),
)
SENIOR_AGE = 65
AGE_QUESTION = "q10"  # "65 or over": answered from the birth date, never asked


def flags(answers: dict[str, str]) -> list[str]:
    """Categories raised by "yes" (and, for caution, by "unknown" too: the doctor should ask)."""
    raised: list[str] = []
    for q in QUESTIONS:
        answer = answers.get(q.code)
        hit = answer == YES or (answer == UNKNOWN and q.category != "caution")
        if hit and q.category not in raised:
            raised.append(q.category)
    order = ("contraindicated", "defer", "caution")
    return sorted(raised, key=order.index)


def attention(answers: dict[str, str]) -> list[tuple[str, str]]:
    """(question, "yes" / "unknown"): the answers the site's doctor must look at."""
    return [(q.code, answers[q.code]) for q in QUESTIONS if answers.get(q.code) in (YES, UNKNOWN)]


def for_doctor(attention_pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The answers that set a person apart for the doctor: all but question 10 ("65 or over"), which is answered
    from the birth date, never by the person; a site screens its elders every day."""
    return [(q, a) for q, a in attention_pairs if q != AGE_QUESTION]
