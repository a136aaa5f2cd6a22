"""Dates typed as dd/mm/yyyy in every locale (d/m/yyyy, dd-mm-yyyy and dd.mm.yyyy accepted)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.values.errors import Invalid
from bot.services.values.text import fold

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d+)")


class Clock:
    """The one clock of the service. Tests put a :class:`FixedClock` in its place with :func:`use_clock`."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock(Clock):
    def __init__(self, moment: datetime) -> None:
        self.moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


_clock = Clock()


def use_clock(clock: Clock) -> Clock:
    """Replace the clock (tests); returns the one it replaced."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    """Aware UTC."""
    return _clock.now().astimezone(UTC)


def today() -> date:
    """Today in Vietnam (Asia/Ho_Chi_Minh), whatever the server's own time zone: every age and date rule
    uses this one, so none disagree near midnight."""
    return _clock.now().astimezone(LOCAL_TZ).date()


def utcnow() -> datetime:
    """Naive UTC, the way times are stored."""
    moment = _clock.now()
    if moment.tzinfo is not UTC:  # a test's clock in another zone (the real one is already UTC)
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def parse_dmy(text: str) -> date:
    match = _DMY.fullmatch(re.sub(r"\s+", "", text.strip()).translate(_FULLWIDTH))
    if not match:
        raise Invalid("date.format", example="01/07/1990")
    day, month, year_text = match.groups()
    if len(year_text) != 4:
        raise Invalid("date.year_digits")
    try:
        return date(int(year_text), int(month), int(day))
    except ValueError as exc:
        raise Invalid("date.no_such_day", day=day, month=month, year=year_text) from exc


EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
_TWO_DIGIT_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2})")


def from_sheet(value: Any) -> date:
    """A date as a district's sheet holds it: a date cell, an Excel serial number (44470, also as text), ISO
    (2021-10-01), dd/mm/yyyy (or with "-" or "."), eight digits (01102021), or a two-digit year (1/10/21, 5/3/59:
    the latest such year not after today). Raises :class:`Invalid` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value))
    text = re.sub(r"\s+", "", str(value or "")).translate(_FULLWIDTH)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial(float(text))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError as error:
            raise Invalid("date.format", example="01/07/1990") from error
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:2]}/{text[2:4]}/{text[4:]}"
    short = _TWO_DIGIT_YEAR.fullmatch(text)
    if short:
        day, month, yy = short.groups()
        year = 2000 + int(yy) if 2000 + int(yy) <= today().year else 1900 + int(yy)
        text = f"{day}/{month}/{year}"
    return parse_dmy(text)


def _serial(number: float) -> date:
    if not 1 <= number <= 2_958_465:  # Excel's last day is 31/12/9999
        raise Invalid("date.format", example="01/07/1990")
    return EXCEL_EPOCH + timedelta(days=int(number))


_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0F: ord("/"), 0xFF0E: ord(".")}


# Words for a day, folded (no tones, lower case): "mai", "thứ hai", "tuần sau", "tomorrow" …
_RELATIVE = {"homnay": 0, "today": 0, "mai": 1, "ngaymai": 1, "tomorrow": 1, "mot": 2, "ngaymot": 2, "ngaykia": 2,
             "kia": 2}
_WEEKDAYS = {"thuhai": 0, "thu2": 0, "t2": 0, "monday": 0, "thuba": 1, "thu3": 1, "t3": 1, "tuesday": 1,
             "thutu": 2, "thu4": 2, "t4": 2, "wednesday": 2, "thunam": 3, "thu5": 3, "t5": 3, "thursday": 3,
             "thusau": 4, "thu6": 4, "t6": 4, "friday": 4, "thubay": 5, "thu7": 5, "t7": 5, "saturday": 5,
             "chunhat": 6, "cn": 6, "sunday": 6}
_NEXT_WEEK = ("tuansau", "tuantoi", "nextweek")


def _fold(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def read_date(text: str, *, future: bool) -> date:
    """A date as a phone types it, for a question about the past (a birth, a dose) or the future (a day to come):
    "12/08/1992", "12-08-1992", "12.8.92", "12081992", "120892" (a phone's number pad has no "/"), "5/3/59"; a
    two-digit year is the latest such year not after today for the past, this century for the future. For the
    future also "15/12" (the next 15 December), "mai", "ngày kia", "thứ hai" (the next Monday), "tuần sau" (the
    next week's Monday). Raises :class:`Invalid` with an example that fits the question."""
    example = dmy(today() + timedelta(days=7)) if future else "01/07/1990"
    compact = re.sub(r"\s+", "", text.strip()).translate(_FULLWIDTH)
    if future:
        words = _fold(text)
        if words in _RELATIVE:
            return today() + timedelta(days=_RELATIVE[words])
        weekday = _WEEKDAYS.get(words.removeprefix("ngay"))
        if weekday is not None:
            return today() + timedelta(days=(weekday - today().weekday() - 1) % 7 + 1)
        if words in _NEXT_WEEK:
            return today() + timedelta(days=7 - today().weekday())
    if compact.isdigit() and len(compact) in (6, 8):  # ddmmyy, ddmmyyyy
        compact = f"{compact[:2]}/{compact[2:4]}/{compact[4:]}"
    parts = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?", compact)
    if not parts:
        raise Invalid("date.format", example=example)
    day, month, year_text = parts.groups()
    if year_text is None:
        if not future:
            raise Invalid("date.format", example=example)
        year = today().year
    elif len(year_text) == 2:
        year = 2000 + int(year_text)
        if not future and year > today().year:
            year -= 100
    else:
        year = int(year_text)
    try:
        value = date(year, int(month), int(day))
    except ValueError as exc:
        raise Invalid("date.no_such_day", day=day, month=month, year=year) from exc
    if future and year_text is None and value <= today():  # "15/12" on 20 December: next year's
        value = value.replace(year=year + 1)
    return value


def parse_birth_date(text: str) -> date:
    value = read_date(text, future=False)
    if value > today():
        raise Invalid("date.birth_future")
    if value.year < today().year - 120:
        raise Invalid("date.birth_too_old")
    return value


def parse_future_date(text: str, *, max_days: int = 180) -> date:
    """A date from tomorrow on, within ``max_days``."""
    value = read_date(text, future=True)
    if value <= today():
        raise Invalid("date.not_after_today", tomorrow=dmy(today() + timedelta(days=1)))
    if value > today() + timedelta(days=max_days):
        raise Invalid("date.too_far", days=max_days)
    return value


def parse_past_date(text: str) -> date:
    value = read_date(text, future=False)
    if value > today():
        raise Invalid("date.in_future")
    return value


def dmy(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def json_ready(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dates (and datetimes) as ISO text: what JSON can hold."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
