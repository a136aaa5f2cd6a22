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
