"""Flows as data: a :class:`Flow` is a list of :class:`Ask` steps; the engine asks, re-asks and navigates.

A flow module should read like the form it implements. Everything else (universal commands, "Quay lại",
progress markers, typed numbers for buttons, re-asking after bad input, drafts) is the engine's job.

A field is declared once, on its :class:`Ask`: the question, the parser, how the answer is kept in the
conversation (``codec``), how the summary shows it (``show``), the name of its "Sửa" button (``label``) and
where it is stored (``store``). Summaries, edit menus, the stored record and the tests' answer scripts are
derived from these declarations.

Hooks (``then`` after an answer, ``done`` after the last step) return a :class:`Go` to move elsewhere, or
``None`` to carry on. Targets are flow names that the registry checks when the app is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from bot import i18n
from bot.engine.answers import PLAIN, Answer, Codec, Go, Option
from bot.engine.types import Choice
from bot.services.values.dates import dmy
from bot.services.values.documents import mask
from bot.services.values.errors import Invalid
from bot.services.values.text import fold

if TYPE_CHECKING:
    from bot.engine.context import Ctx


Predicate = Callable[["Ctx"], bool]
ChoicesFn = Callable[["Ctx"], list[Choice]]
Hook = Callable[["Ctx"], Go | None]


@dataclass(frozen=True)  # no slots: ``Ask[str](…)`` must be allowed to note its type argument
class Ask[T]:
    """One question and everything about its answer."""

    name: str
    prompt: str | Callable[[Ctx], str]  # message key, or a function choosing one
    parse: Callable[[Ctx, Answer], T | None] | None = None  # None: one of ``options``
    options: Sequence[Option] = ()
    choices: ChoicesFn | None = None
    when: Predicate | None = None
    params: Callable[[Ctx], dict[str, Any]] | None = None
    echo: Callable[[Ctx, T], str | None] | None = None  # confirmation after accepting, e.g. a date in words
    optional: bool = False  # adds "Bỏ qua": the value becomes None
    pick: bool = False  # a choice question with its own parser (the answer is one of ``choices``)
    # The question asks for numbers ("gõ số thứ tự các mục đó: 1, 7"): typed digits are the answer, never a
    # button's index, and a numbered menu (Zalo) lists its buttons by their words.
    numbers: bool = False
    secret: bool = False
    contact: bool = False
    photo: bool = False  # a photo is an answer here (a QR to verify); elsewhere it is politely refused
    document: bool = False  # a file is an answer here (a site's records); elsewhere it is politely refused
    # The keyboard a page should open: "numeric" for digits and dates, "tel" for a phone number.
    keypad: str | Callable[[Ctx], str | None] | None = None
    # What the answer is, for a page's password managers and SMS autofill: "one-time-code", "current-password",
    # "new-password", "tel", "name".
    autocomplete: str | None = None
    # A long question (the 12-item checklist) asked again after an error: this shorter message key instead, the
    # full one being just above.
    again: str | None = None
    then: Callable[[Ctx, T], Go | None] | None = None  # after accepting: may move elsewhere
    dependents: tuple[str, ...] = ()  # answers that no longer hold when this one changes
    codec: Codec[Any] = PLAIN
    summary: bool = False  # listed in the form's summary, with a "Sửa" entry
    private: bool = False  # masked where the summary is repeated after sending (ID and insurance numbers)
    show: Callable[[Ctx, T], str] | None = None  # how the summary shows it (default: derived)
    label: str = ""  # message key naming the field (default ``field.<name>``)
    store: str | None = None  # the record the value is stored in, under the field's name

    @property
    def free_text(self) -> bool:
        """The answer is typed text; buttons are only shortcuts (and win only when typed exactly)."""
        return self.parse is not None and not self.options and not self.pick

    def applies(self, ctx: Ctx) -> bool:
        return self.when is None or self.when(ctx)

    @property
    def label_key(self) -> str:
        return self.label or f"field.{self.name}"

    def read(self, ctx: Ctx, answer: Answer) -> T | None:
        if self.parse is not None:
            return self.parse(ctx, answer)
        for option in self.options:
            if answer.payload == option.payload:
                return option.payload  # type: ignore[return-value]  # option steps hold their payload
        raise Invalid("common.pick_one")

    def display(self, ctx: Ctx, value: T | None) -> str:
        """The answer as the summary shows it."""
        if value is None:
            return ctx.t("common.none")
        if self.show is not None:
            return self.show(ctx, value)
        for option in self.options:
            if option.payload == value:
                return ctx.t(option.label)
        if isinstance(value, date):
            return dmy(value)
        return str(value)


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    steps: tuple[Ask[Any], ...]
    done: Go | Hook | None = None  # after the last step; None: home
    title: str | None = None  # message key shown in the progress marker
    stage: tuple[int, int] | None = None  # ("Bước 2/3")
    previous: str | None = None  # where "Quay lại" leads from the first step
    exits: tuple[str, ...] = ()  # other flows its hooks may move to (checked, and drawn in the diagram)
    form: bool = False  # a form whose half-finished answers are kept as a draft
    back: bool = True  # offer "Quay lại" on every step
    # Started from anywhere by a command ("/tra …", or its bare word where no free text is expected); the text
    # after the command answers the first step. Only for whom ``allowed`` holds: anyone else gets exactly the
    # reply to an unknown command, so that nothing tells them the command exists.
    commands: tuple[str, ...] = ()
    allowed: Predicate | None = None
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)  # step name → index: every event asks

    def __post_init__(self) -> None:
        positions = {step.name: i for i, step in reversed(list(enumerate(self.steps)))}  # the first of a name
        object.__setattr__(self, "_positions", positions)

    def index(self, name: str) -> int:
        return self._positions[name]

    def step(self, name: str) -> Ask[Any]:
        return self.steps[self.index(name)]

    def targets(self) -> tuple[str, ...]:
        """Every flow this one may lead to."""
        found = [self.done.flow] if isinstance(self.done, Go) else []
        return tuple(dict.fromkeys([*found, *self.exits]))


# Parsers shared by many flows ------------------------------------------------------------------------

def text_of(max_len: int, *, min_len: int = 1, check: Callable[[str], str] | None = None) -> Callable[
        [Ctx, Answer], str]:
    """Free text within limits; ``check`` may normalise it or raise :class:`Invalid`."""

    def parse(_ctx: Ctx, answer: Answer) -> str:
        if answer.text is None:
            raise Invalid("common.type_text")
        value = answer.text
        if len(value) < min_len:
            raise Invalid("common.empty")
        if len(value) > max_len:
            raise Invalid("common.too_long", max=max_len, length=len(value))
        if _says_nothing(value):  # a bare "ko" is never stored as a name, an occupation, a workplace
            raise Invalid("common.not_an_answer")
        return check(value) if check else value

    return parse


@cache
def _nothing_words() -> frozenset[str]:
    return frozenset(fold(w).replace(" ", "") for loc in i18n.LOCALES
                     for w in i18n.words(loc, "answers.alias.nothing") if len(fold(w)) > 0 and w != "-")


def _says_nothing(value: str) -> bool:
    return fold(value).replace(" ", "").rstrip(".!") in _nothing_words()


def typed[T](fn: Callable[[str], T]) -> Callable[[Ctx, Answer], T]:
    """Wrap a service parser that takes typed text (phone, date, ID …)."""

    def parse(_ctx: Ctx, answer: Answer) -> T:
        if answer.text is None:
            raise Invalid("common.type_text")
        if not answer.text:
            raise Invalid("common.empty")
        return fn(answer.text)

    return parse


# Derived from the declarations ---------------------------------------------------------------------------

def summary_fields(ctx: Ctx, flows: Sequence[Flow]) -> list[Ask[Any]]:
    """The fields a summary lists, in form order: declared ``summary`` and answered."""
    return [s for flow in flows for s in flow.steps if s.summary and ctx.answered(s)]


def summary_lines(ctx: Ctx, flows: Sequence[Flow], *, masked: bool = False) -> list[str]:
    """"• Họ và tên: Nguyễn Văn An" for each summary field; ``masked`` hides private ones but their end."""
    lines = []
    for step in summary_fields(ctx, flows):
        value = ctx.get(step)
        shown = mask(str(value)) if masked and step.private and value else step.display(ctx, value)
        lines.append(f"• {ctx.t(step.label_key)}: {shown}")
    return lines


def stored(ctx: Ctx, flows: Sequence[Flow]) -> dict[str, dict[str, Any]]:
    """The answers by the record they are stored in, with their types: what a service saves."""
    records: dict[str, dict[str, Any]] = {}
    for flow in flows:
        for step in flow.steps:
            if step.store is not None and ctx.answered(step):
                records.setdefault(step.store, {})[step.name] = ctx.get(step)
    return records
