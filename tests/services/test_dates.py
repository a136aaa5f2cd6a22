"""One clock: "today" is Vietnam's date whatever the server's zone, and tests can set the time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.values import dates
from bot.services.values.errors import Invalid


@pytest.fixture
def clock() -> Iterator[dates.FixedClock]:
    fixed = dates.FixedClock(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))  # 23:30 in Hà Nội
    previous = dates.use_clock(fixed)
    yield fixed
    dates.use_clock(previous)


def test_today_is_vietnams_date_near_midnight(clock: dates.FixedClock) -> None:
    assert dates.today() == date(2026, 3, 31)
    clock.advance(timedelta(minutes=31))  # 00:01 on 1 April in Vietnam, still 31 March in UTC
    assert dates.today() == date(2026, 4, 1) and dates.utcnow().date() == date(2026, 3, 31)


def test_age_and_future_dates_follow_the_clock(clock: dates.FixedClock) -> None:
    assert dates.age_on(date(1961, 4, 1), dates.today()) == 64
    clock.advance(timedelta(hours=8))
    assert dates.age_on(date(1961, 4, 1), dates.today()) == 65
    with pytest.raises(Invalid) as refused:
        dates.parse_future_date("01/04/2026")
    assert refused.value.key == "date.not_after_today" and refused.value.params["tomorrow"] == "02/04/2026"
    assert dates.parse_future_date("02/04/2026") == date(2026, 4, 2)


def test_stored_times_are_naive_utc(clock: dates.FixedClock) -> None:
    assert dates.utcnow() == datetime(2026, 3, 31, 16, 30)
    assert dates.to_local(dates.utcnow()).hour == 23


@pytest.mark.parametrize(("typed", "future", "read"), [
    # a phone's number pad has no "/": digits only
    ("12081992", False, date(1992, 8, 12)),
    ("120892", False, date(1992, 8, 12)),
    ("5/3/59", False, date(1959, 3, 5)),  # two digits: the latest such year not after today
    ("5/3/26", False, date(2026, 3, 5)),
    ("05-03-1959", False, date(1959, 3, 5)),
    ("5.3.1959", False, date(1959, 3, 5)),
    ("１２/０８/１９９２", False, date(1992, 8, 12)),  # a full-width keyboard
    # a day to come (today is Tuesday 31 March 2026 in Hà Nội)
    ("15/12", True, date(2026, 12, 15)),
    ("15/3", True, date(2027, 3, 15)),  # already past this year: next year's
    ("mai", True, date(2026, 4, 1)),
    ("ngày mai", True, date(2026, 4, 1)),
    ("thứ hai", True, date(2026, 4, 6)),
    ("Thu 2", True, date(2026, 4, 6)),
    ("thứ tư", True, date(2026, 4, 1)),
    ("thứ ba", True, date(2026, 4, 7)),  # today is a Tuesday: the next one
    ("tuần sau", True, date(2026, 4, 6)),
    ("150426", True, date(2026, 4, 15)),
])
def test_dates_as_phones_type_them(clock: dates.FixedClock, typed: str, future: bool, read: date) -> None:
    assert dates.today() == date(2026, 3, 31)
    assert dates.read_date(typed, future=future) == read


def test_a_bad_date_is_explained_with_an_example_that_fits_the_question(clock: dates.FixedClock) -> None:
    with pytest.raises(Invalid) as future:
        dates.read_date("tuần trước", future=True)
    assert future.value.params["example"] == "07/04/2026"  # a week ahead: never a past date for a future question
    with pytest.raises(Invalid) as past:
        dates.read_date("15/12", future=False)  # a birth date needs its year
    assert past.value.params["example"] == "01/07/1990"
