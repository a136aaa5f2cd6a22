"""The flows the engine serves, checked when the app is built, and drawn as a Mermaid state diagram."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.engine.flow import Flow

if TYPE_CHECKING:
    from bot.engine.context import Ctx

# A button that works whatever the chat is doing (a pushed notice's); it may name a flow to open afresh.
Action = Callable[["Ctx", str], str | None]


class RegistryError(ValueError):
    """A flow names a target, a "previous" or a step that does not exist: found at start-up, not in a chat."""


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    home: str = "menu"
    language: str = "language"  # where /lang leads
    commands: dict[str, str] = field(default_factory=dict)  # command → the flow it starts
    actions: dict[str, Action] = field(default_factory=dict)  # a payload's prefix ("appt") → what it does
    # A typed question ("Khi nào tôi được tiêm?") answered wherever the chat stands: True when it was one.
    questions: Callable[[Ctx, str, bool], bool] | None = None

    @classmethod
    def build(cls, flows: Iterable[Flow], *, home: str, language: str,
              actions: Mapping[str, Action] | None = None,
              questions: Callable[[Ctx, str, bool], bool] | None = None) -> Registry:
        registry = cls(home=home, language=language, actions=dict(actions or {}), questions=questions)
        for flow in flows:
            if flow.name in registry.flows:
                raise RegistryError(f"flow {flow.name!r} declared twice")
            registry.flows[flow.name] = flow
            for command in flow.commands:
                if command in registry.commands:
                    raise RegistryError(f"command {command!r} starts two flows")
                registry.commands[command] = flow.name
        registry.check()
        return registry

    def check(self) -> None:
        for name in (self.home, self.language):
            if name not in self.flows:
                raise RegistryError(f"flow {name!r} (home or language) is not registered")
        for flow in self.flows.values():
            if not flow.steps:
                raise RegistryError(f"flow {flow.name!r} has no steps")
            names = [s.name for s in flow.steps]
            if len(set(names)) != len(names):
                raise RegistryError(f"flow {flow.name!r} declares a step twice")
            for target in (*flow.targets(), *([flow.previous] if flow.previous else [])):
                if target not in self.flows:
                    raise RegistryError(f"flow {flow.name!r} leads to unknown flow {target!r}")
            for step in flow.steps:
                for dependent in step.dependents:
                    if dependent not in names:
                        raise RegistryError(f"{flow.name}.{step.name} invalidates unknown step {dependent!r}")

    def action(self, payload: str | None) -> Action | None:
        return self.actions.get(payload.split(":", 1)[0]) if payload and ":" in payload else None

    def __getitem__(self, name: str) -> Flow:
        return self.flows[name]

    def may_go(self, source: str, target: str) -> bool:
        """Declared moves only: a hook that returns an undeclared target is a bug, caught by the fuzz tests."""
        flow = self.flows[source]
        return target in (source, self.home, *flow.targets(), *([flow.previous] if flow.previous else []))

    def mermaid(self) -> str:
        """The flows as a Mermaid state diagram: steps in order, then where each flow leads."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.home}"]
        for flow in self.flows.values():
            lines.append(f"    state {flow.name} {{")
            first = flow.steps[0].name
            lines.append(f"        [*] --> {flow.name}_{first}")
            for before, after in zip(flow.steps, flow.steps[1:], strict=False):
                note = " : if it applies" if after.when is not None else ""
                lines.append(f"        {flow.name}_{before.name} --> {flow.name}_{after.name}{note}")
            lines.append(f"        {flow.name}_{flow.steps[-1].name} --> [*]")
            for step in flow.steps:
                lines.append(f"        {flow.name}_{step.name} : {step.name}")
            lines.append("    }")
        for flow in self.flows.values():
            for target in flow.targets():
                lines.append(f"    {flow.name} --> {target}")
            if flow.previous:
                lines.append(f"    {flow.name} --> {flow.previous} : back")
            if flow.name != self.home and self.home not in flow.targets():
                lines.append(f"    {flow.name} --> {self.home}")
        return "\n".join(lines) + "\n"
