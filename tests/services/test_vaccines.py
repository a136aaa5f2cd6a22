"""The colour rule is data: the course is complete at the vaccine's own dose count."""

from __future__ import annotations

import pytest

from bot.services.reference import vaccines


@pytest.mark.parametrize(
    ("vaccine", "doses", "level"),
    [("janssen", 1, vaccines.COMPLETE), ("abdala", 2, vaccines.PARTIAL), ("abdala", 3, vaccines.COMPLETE),
     ("astrazeneca", 1, vaccines.PARTIAL), ("pfizer", 2, vaccines.COMPLETE), ("moderna", 0, vaccines.NONE)],
)
def test_level_by_course(vaccine: str, doses: int, level: str) -> None:
    assert vaccines.level(doses, vaccines.series_doses(vaccine)) == level


def test_every_level_has_a_look() -> None:
    assert set(vaccines.LOOKS) == {vaccines.NONE, vaccines.PARTIAL, vaccines.COMPLETE}
    assert vaccines.series_doses("unknown-vaccine") == 2
