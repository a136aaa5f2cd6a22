"""The registry is checked when the app is built, and draws the diagram that docs/flows.md must match."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import flows_markdown
from bot.engine.answers import Go, Option
from bot.engine.flow import Ask, Flow
from bot.engine.registry import Registry, RegistryError
from handlers import FLOWS, build_registry

YES = (Option("common.yes", "yes"),)
HOME = Flow("menu", steps=(Ask("choice", "menu.prompt_guest", options=YES),))
LANGUAGE = Flow("language", steps=(Ask("locale", "settings.ask", options=YES),))


def _build(*flows: Flow) -> Registry:
    return Registry.build((HOME, LANGUAGE, *flows), home="menu", language="language")


def test_the_real_flows_build() -> None:
    registry = build_registry()
    assert set(registry.flows) == {f.name for f in FLOWS}


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (Flow("a", steps=(Ask("x", "k", options=YES),), done=Go("histroy")), "unknown flow 'histroy'"),
        (Flow("a", steps=(Ask("x", "k", options=YES),), previous="detials"), "unknown flow 'detials'"),
        (Flow("a", steps=(Ask("x", "k", options=YES),), exits=("nowhere",)), "unknown flow 'nowhere'"),
        (Flow("a", steps=(Ask("x", "k", options=YES, dependents=("y",)),)), "invalidates unknown step 'y'"),
        (Flow("a", steps=(Ask("x", "k", options=YES), Ask("x", "k", options=YES))), "declares a step twice"),
        (Flow("menu", steps=(Ask("x", "k", options=YES),)), "declared twice"),
    ],
)
def test_a_wrong_name_fails_the_build(flow: Flow, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        _build(flow)


def test_a_field_without_a_column_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    import handlers

    bad = Flow("details", steps=(Ask("favourite_colour", "k", options=YES, store="person"),))
    monkeypatch.setattr(handlers, "FLOWS", (*[f for f in FLOWS if f.name != "details"], bad))
    with pytest.raises(RegistryError, match="favourite_colour"):
        handlers.build_registry()


def test_moves_are_declared() -> None:
    registry = build_registry()
    assert registry.may_go("details", "history") and registry.may_go("consent", "details")
    assert not registry.may_go("certificate", "consent")


def test_committed_diagram_matches_the_registry() -> None:
    committed = (Path(__file__).resolve().parents[2] / "docs" / "flows.md").read_text(encoding="utf-8")
    assert committed == flows_markdown(build_registry().mermaid()), "run: sskdt flows --mermaid > docs/flows.md"


def test_diagram_shows_every_step_and_move() -> None:
    diagram = build_registry().mermaid()
    for flow in FLOWS:
        for step in flow.steps:
            assert f"{flow.name}_{step.name} : {step.name}" in diagram
    assert "details --> history" in diagram and "history --> details : back" in diagram
