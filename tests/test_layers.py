"""Imports only go down: channels → engine → flows → services → models (docs/architecture.md), and inside the
services, packages by domain on floors: a package imports only packages on floors below its own, so that no
two packages depend on each other.

Each layer lists what it may import of ours; anything else of ours is a layer crossed. A channel sees only the
engine's public interface (the ``bot.engine`` package) and the picture and file stores; a flow only the engine's
step types and context, never the runner's internals. The engine's own rows (``bot.engine.storage``) are the
engine's: no flow or service reads them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "handlers", "models")
SHARED = ("bot.i18n", "bot.logs")  # message catalogs and log lines: every layer speaks

# The services' packages, lowest floor first (docs/architecture.md draws the same).
FLOORS: tuple[tuple[str, ...], ...] = (
    ("values",),
    ("reference",),
    ("access", "messaging", "blobs"),
    ("certificates", "registration"),
    ("people",),
    ("vaccination", "campaign"),
)
PACKAGES = [name for floor in FLOORS for name in floor]


def _below(package: str) -> tuple[str, ...]:
    floor = next(i for i, names in enumerate(FLOORS) if package in names)
    return tuple(f"bot.services.{name}" for names in FLOORS[:floor] for name in names)


RULES: dict[str, tuple[str, ...]] = {
    "models": ("models",),
    **{f"bot/services/{name}": (f"bot.services.{name}", *_below(name), "models", *SHARED) for name in PACKAGES},
    "handlers": ("handlers", "bot.engine.answers", "bot.engine.flow", "bot.engine.context", "bot.engine.types",
                 "bot.engine.registry",
                 "bot.services", *SHARED),
    "bot/engine": ("bot.engine", "bot.services", "models.db", "models.tables", "models.json_text", *SHARED),
    "bot/channels": ("bot.channels", "bot.engine", "bot.services.blobs.media", "bot.services.blobs.files", "bot.config",
                     *SHARED),
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


def test_every_service_module_is_in_a_package_of_a_floor() -> None:
    services = ROOT / "bot" / "services"
    assert sorted(p.name for p in services.iterdir() if p.is_dir() and (p / "__init__.py").exists()) == sorted(PACKAGES)
    assert [p.name for p in services.glob("*.py")] == ["__init__.py"]  # no module outside a package


def test_no_two_service_packages_import_each_other() -> None:
    edges = {(layer.split("/")[-1], module.split(".")[2]) for layer in RULES if layer.startswith("bot/services/")
             for path in (ROOT / layer).rglob("*.py") for module in _imports(path)
             if module.startswith("bot.services.") and module.split(".")[2] != layer.split("/")[-1]}
    assert not [(a, b) for a, b in edges if (b, a) in edges]


def test_the_architecture_document_lists_the_packages_of_the_tree() -> None:
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `bot/services/(\w+)/` \|", document, re.M)
    assert sorted(listed) == sorted(PACKAGES)
    for floor, names in enumerate(FLOORS, 1):
        assert re.search(rf"^{floor}\. " + ", ".join(f"`{n}`" for n in names), document, re.M), floor


@pytest.mark.parametrize(
    ("layer", "module"),
    [("handlers", "bot.engine.runner"), ("bot/channels", "bot.engine.runner"),
     ("bot/channels", "bot.services.messaging.outbox"), ("bot/services/values", "bot.engine.types"),
     ("models", "bot.services.values.dates"), ("bot/engine", "handlers"),
     ("bot/services/values", "bot.services.reference.places"), ("bot/services/access", "bot.services.people.otp"),
     ("handlers", "bot.engine.storage.conversations")],
)
def test_a_crossing_is_seen(tmp_path: Path, layer: str, module: str) -> None:
    for name in RULES:
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
    (tmp_path / layer / "bad.py").write_text(f"import {module}\n", encoding="utf-8")
    assert crossings(tmp_path) == [f"{layer}/bad.py imports {module}"]
