"""History answers become flags for the site's doctor, never a refusal."""

from __future__ import annotations

from bot.services.reference.screening import NO, QUESTIONS, UNKNOWN, YES, flags


def test_twelve_questions_with_their_categories() -> None:
    assert [q.code for q in QUESTIONS] == [f"q{n}" for n in range(1, 13)]
    assert {q.code: q.category for q in QUESTIONS}["q1"] == "contraindicated"


def test_flags_in_order_of_severity() -> None:
    assert flags({q.code: NO for q in QUESTIONS}) == []
    assert flags({"q8": YES, "q1": YES, "q2": YES}) == ["contraindicated", "defer", "caution"]


def test_unknown_raises_all_but_caution() -> None:
    assert flags({"q2": UNKNOWN}) == ["defer"]
    assert flags({"q11": UNKNOWN}) == []
