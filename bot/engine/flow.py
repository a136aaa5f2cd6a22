"""Flows as data: a :class:`Flow` is a list of :class:`Ask` steps; the engine asks, re-asks and navigates.

A flow module should read like the form it implements. Everything else (universal commands, "Quay lại",
progress markers, typed numbers for buttons, re-asking after bad input, drafts) is the engine's job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.engine.types import Choice
from bot.services.errors import Invalid

if TYPE_CHECKING:
    from bot.engine.context import Ctx


@dataclass(frozen=True, slots=True)
class Answer:
    """What the person gave at a step: typed text, a pressed (or typed) choice, or a shared contact."""

    text: str | None = None
    payload: str | None = None
    contact_phone: str | None = None
    contact_is_own: bool = False


class Offer(Exception):
    """Not accepted yet: show these candidates (e.g. the wards that match) and ask again."""

    def __init__(self, key: str, choices: list[Choice] | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.choices = choices
        self.params = params


Parser = Callable[["Ctx", Answer], Any]
Predicate = Callable[["Ctx"], bool]
ChoicesFn = Callable[["Ctx"], list[Choice]]


@dataclass(frozen=True, slots=True)
class Option:
    """A fixed choice: the label is a message key, the payload a code (never text)."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Ask:
    field: str
    prompt: str | Callable[[Ctx], str]  # message key, or a function choosing one
    parse: Parser
    options: Sequence[Option] = ()
    choices: ChoicesFn | None = None
    when: Predicate | None = None
    params: Callable[[Ctx], dict[str, Any]] | None = None
    echo: Callable[[Ctx, Any], str | None] | None = None  # confirmation after accepting, e.g. a date in words
    optional: bool = False  # adds "Bỏ qua": the value becomes None
    secret: bool = False
    contact: bool = False
    then: Callable[[Ctx, Any], None] | None = None  # after accepting: may jump elsewhere with ctx.go()
    summary: bool = True  # listed in the registration summary with a "Sửa" button
    dependents: tuple[str, ...] = ()  # answers that no longer hold when this one changes

    def applies(self, ctx: Ctx) -> bool:
        return self.when is None or self.when(ctx)


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    steps: tuple[Ask, ...]
    done: Callable[[Ctx], None] | None = None
    title: str | None = None  # message key shown in the progress marker
    stage: tuple[int, int] | None = None  # ("Bước 2/3")
    previous: str | None = None  # where "Quay lại" leads from the first step
    form: bool = False  # a form whose half-finished answers are kept as a draft
    back: bool = True  # offer "Quay lại" on every step

    def index(self, field_name: str) -> int:
        for i, step in enumerate(self.steps):
            if step.field == field_name:
                return i
        raise KeyError(field_name)

    def step(self, field_name: str) -> Ask:
        return self.steps[self.index(field_name)]


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    home: str = "menu"

    def add(self, *flows: Flow) -> None:
        for flow in flows:
            if flow.name in self.flows:
                raise ValueError(f"flow {flow.name} declared twice")
            self.flows[flow.name] = flow

    def __getitem__(self, name: str) -> Flow:
        return self.flows[name]

    def owner_of(self, field_name: str, among: Sequence[str]) -> Flow:
        for name in among:
            flow = self.flows[name]
            if any(s.field == field_name for s in flow.steps):
                return flow
        raise KeyError(field_name)


# Parsers shared by many flows ------------------------------------------------------------------------

def pick(*payloads: str) -> Parser:
    """Accept one of these payloads (a pressed button, or its number or label typed)."""

    def parse(_ctx: Ctx, answer: Answer) -> str:
        if answer.payload in payloads:
            return answer.payload
        raise Invalid("common.pick_one")

    return parse


def text_of(max_len: int, *, min_len: int = 1, check: Callable[[str], str] | None = None) -> Parser:
    """Free text within limits; ``check`` may normalise it or raise :class:`Invalid`."""

    def parse(_ctx: Ctx, answer: Answer) -> str:
        if answer.text is None:
            raise Invalid("common.type_text")
        value = answer.text
        if len(value) < min_len:
            raise Invalid("common.empty")
        if len(value) > max_len:
            raise Invalid("common.too_long", max=max_len, length=len(value))
        return check(value) if check else value

    return parse


def typed(fn: Callable[[str], Any]) -> Parser:
    """Wrap a service parser that takes typed text (phone, date, ID …)."""

    def parse(_ctx: Ctx, answer: Answer) -> Any:
        if answer.text is None:
            raise Invalid("common.type_text")
        if not answer.text:
            raise Invalid("common.empty")
        return fn(answer.text)

    return parse
