"""Message catalogs: ``locales/vi.toml`` (default) and ``locales/en.toml``. Keys are ``section.name``."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
_DIR = Path(__file__).resolve().parent.parent / "locales"


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, Any]) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(name + ".", value, out)
        else:
            out[name] = value


@cache
def catalog(locale: str) -> dict[str, Any]:
    with (_DIR / f"{locale}.toml").open("rb") as fh:
        out: dict[str, Any] = {}
        _flatten("", tomllib.load(fh), out)
        return out


def has(key: str, locale: str = DEFAULT_LOCALE) -> bool:
    return key in catalog(locale)


def t(locale: str, key: str, **params: Any) -> str:
    entries = catalog(locale if locale in LOCALES else DEFAULT_LOCALE)
    text = entries.get(key)
    if text is None:
        text = catalog(DEFAULT_LOCALE).get(key, key)
    return str(text).format_map(_Params(params)) if params else str(text)


def words(locale: str, key: str) -> list[str]:
    value = catalog(locale).get(key, [])
    return [str(v) for v in value] if isinstance(value, list) else []


def date_in_words(locale: str, value: date) -> str:
    """Echo a date so that a day/month slip is caught: "ngày 05 tháng 3 năm 1980" / "5 March 1980"."""
    months = words(locale, "date.months")
    month = months[value.month - 1] if len(months) == 12 else str(value.month)
    return t(locale, "date.in_words", day=value.day, month=month, month_number=value.month, year=value.year)


def day_in_words(locale: str, value: date) -> str:
    """A day to come, with its weekday: "Thứ Hai, ngày 07 tháng 12 năm 2026" / "Monday, 7 December 2026"."""
    weekdays = words(locale, "date.weekdays")
    weekday = weekdays[value.weekday()] if len(weekdays) == 7 else ""
    return t(locale, "date.day_in_words", weekday=weekday, date=date_in_words(locale, value))


def guess_locale(text: str) -> str | None:
    """The language of a first message when it is clearly not Vietnamese: "en" for English words typed with no
    Vietnamese letter ("Hello, I want to register"); None when in doubt (Vietnamese without tones included)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or any(not ch.isascii() for ch in letters):
        return None
    typed = {word.strip(".,!?'\"").lower() for word in text.split()}
    english = set(words("en", "start.english_words"))
    return "en" if len(typed & english) >= 1 and not typed & set(words("vi", "start.vietnamese_words")) else None


ELDER_AGE = 60  # from 60 a person is addressed "Ông/Bà", not "Anh/Chị"


def is_elder(born: date | None, today: date) -> bool:
    if born is None:
        return False
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years >= ELDER_AGE


def to_elder(locale: str, text: str) -> str:
    """The same message addressed to an elder: the catalog's "you" (``address.you``) becomes its respectful form
    (``address.elder``) wherever it stands alone (not in "Anh/Chị/Em", a relation)."""
    you, elder = t(locale, "address.you"), t(locale, "address.elder")
    if you == elder or you not in text:
        return text
    return re.sub(re.escape(you) + r"(?!/)", elder, text)
