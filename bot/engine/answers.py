"""The values a step and the engine hand each other: what the person gave (:class:`Answer`), a candidate list
to show instead of accepting (:class:`Offer`), where to go next (:class:`Go`), a fixed choice (:class:`Option`),
how an answer is kept (:class:`Codec`), and what a field is to the context that reads it (:class:`Field`).

Below both :mod:`bot.engine.flow` (the questions) and :mod:`bot.engine.context` (what a step sees): it imports
neither, so neither imports the other for them (as aiogram keeps ``State`` below storage below context).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from types import UnionType
from typing import Any, Protocol, get_args, get_origin, get_type_hints

from bot.engine.types import Choice


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person gave at a step: typed text, a pressed (or typed) choice, or a shared contact."""

    text: str | None = None
    payload: str | None = None
    contact_phone: str | None = None
    contact_is_own: bool = False
    photo: bytes | None = None
    photo_fallbacks: tuple[bytes, ...] = ()  # smaller sizes of the same picture, where the channel has them
    document: bytes | None = None  # a file (a site's export)
    document_name: str = ""


class Offer(Exception):
    """Not accepted yet: show these candidates (e.g. the wards that match) and ask again."""

    def __init__(self, key: str, choices: list[Choice] | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.choices = choices
        self.params = params


@dataclass(frozen=True, slots=True)
class Go:
    """Continue at ``flow`` (at ``step``, or its first step that applies); ``fresh`` forgets the answers."""

    flow: str
    step: str = ""
    fresh: bool = False


@dataclass(frozen=True, slots=True)
class Codec[T]:
    """How an answer is kept in the conversation's JSON, and read back with its type."""

    dump: Callable[[T], Any]
    load: Callable[[Any], T]


def _same(value: Any) -> Any:
    return value


PLAIN: Codec[Any] = Codec(_same, _same)  # text, codes and numbers are JSON as they are
DAY: Codec[date] = Codec(date.isoformat, date.fromisoformat)


def codec_of[T](cls: type[T]) -> Codec[T]:
    """A dataclass answer (a staff command's order, a plan) kept as a JSON object: its fields by name, dates as ISO
    text and tuples as lists, read back into the dataclass with their types (never strings parsed twice)."""
    hints = get_type_hints(cls)

    def dump(value: T) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]

    def load(raw: Any) -> T:
        return cls(**{name: _typed(hints[name], raw[name]) for name in hints if name in raw})

    return Codec(dump, load)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    """``value`` read back as ``hint`` says: a date from its ISO text, a tuple from a list (``X | None`` too)."""
    if value is None:
        return None
    kinds = get_args(hint) if isinstance(hint, UnionType) else (hint,)
    for kind in kinds:
        if kind is date and isinstance(value, str):
            return date.fromisoformat(value)
        if get_origin(kind) is tuple and isinstance(value, list):
            item = get_args(kind)[0]
            return tuple(_typed(item, v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class Option:
    """A fixed choice: the label is a message key, the payload a code (never text)."""

    label: str
    payload: str


class Field[T](Protocol):
    """What the context needs of a question to keep and read its answer: its name and its codec (``read`` names
    the answer's type; the context never calls it)."""

    @property
    def name(self) -> str: ...

    @property
    def codec(self) -> Codec[Any]: ...

    def read(self, ctx: Any, answer: Answer, /) -> T | None: ...
