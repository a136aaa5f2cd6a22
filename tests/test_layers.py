"""Imports only go down: channels → engine → flows → services → models (DESIGN §2).

Each layer lists what it may import of ours; anything else of ours is a layer crossed. A channel sees only the
engine's public interface (the ``bot.engine`` package) and the media store; a flow only the engine's step
types and context, never the runner's internals.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "handlers", "models")
SHARED = ("bot.i18n", "bot.logs")  # message catalogs and log lines: every layer speaks

RULES: dict[str, tuple[str, ...]] = {
    "models": ("models",),
    "bot/services": ("bot.services", "models", *SHARED),
    "handlers": ("handlers", "bot.engine.flow", "bot.engine.context", "bot.engine.types", "bot.engine.registry",
                 "bot.services", *SHARED),
    "bot/engine": ("bot.engine", "bot.services", "models.db", "models.tables", *SHARED),
    "bot/channels": ("bot.channels", "bot.engine", "bot.services.media", "bot.services.files", "bot.config", *SHARED),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from bot import i18n" imports bot.i18n; "from bot.engine import Engine" imports bot.engine
            bare = node.module in OURS
            found += [f"{node.module}.{alias.name}" for alias in node.names] if bare else [node.module]
    return [name for name in found if name.split(".")[0] in OURS]


def _allowed(layer: str, module: str) -> bool:
    if layer == "bot/channels" and module.startswith("bot.engine."):  # the package's exports, not its modules
        return False
    return any(module == prefix or module.startswith(prefix + ".") for prefix in RULES[layer])


def crossings(root: Path = ROOT) -> list[str]:
    found = []
    for layer in RULES:
        for path in sorted((root / layer).rglob("*.py")):
            for module in _imports(path):
                if not _allowed(layer, module):
                    found.append(f"{path.relative_to(root)} imports {module}")
    return found


def test_imports_only_go_down() -> None:
    assert crossings() == []


@pytest.mark.parametrize(
    ("layer", "module"),
    [("handlers", "bot.engine.runner"), ("bot/channels", "bot.engine.runner"), ("bot/channels", "bot.services.outbox"),
     ("bot/services", "bot.engine.types"), ("models", "bot.services.dates"), ("bot/engine", "handlers")],
)
def test_a_crossing_is_seen(tmp_path: Path, layer: str, module: str) -> None:
    for name in RULES:
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
    (tmp_path / layer / "bad.py").write_text(f"import {module}\n", encoding="utf-8")
    assert crossings(tmp_path) == [f"{layer}/bad.py imports {module}"]
