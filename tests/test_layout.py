"""The package's layers: nothing below imports from above, and no module imports itself back.

Layers, lowest first (docs/model.md, "Where things live"): ``sim.errors``; ``sim.spec``
(the scenario as data); ``sim.model`` (the mechanisms); ``sim.engines``; ``sim.outputs``;
``sim.run``; ``sim.studies``; ``sim.calibration``; ``sim.report``; ``sim.commands`` and
the command line. Imports inside functions count: a lazy import is still an arrow;
imports for type checkers only do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

LAYERS = ["errors", "spec", "model", "engines", "outputs", "run", "studies", "calibration", "report",
          "commands", "cli", "__main__"]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports() -> dict[str, set[str]]:
    """Every ``sim`` module with the ``sim`` modules it imports (at any depth of its code)."""
    out: dict[str, set[str]] = {}
    modules = {module_name(p) for p in (ROOT / "sim").rglob("*.py")}
    for path in sorted((ROOT / "sim").rglob("*.py")):
        name = module_name(path)
        deps = set()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):  # imports for type checkers only are not arrows
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                node.body = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    deps.add(sub if sub in modules else base)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        out[name] = {d for d in deps if d.startswith("sim.") or d == "sim"} - {name}
    return out


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # the package itself: its __init__ re-exports the public API
        return len(LAYERS)
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else -1


def test_every_module_is_in_a_layer():
    assert [m for m in imports() if layer(m) < 0] == []


def test_nothing_below_imports_from_above():
    upward = sorted(f"{m} -> {d}" for m, deps in imports().items() for d in deps
                    if d != "sim" and layer(d) > layer(m))
    assert upward == []


def test_no_import_circles_between_modules():
    graph = imports()
    circles, done = [], set()

    def visit(m, path):
        if m in path:
            circles.append(" -> ".join(path[path.index(m):] + [m]))
            return
        if m in done:
            return
        for d in sorted(graph.get(m, ())):
            if d != "sim":
                visit(d, path + [m])
        done.add(m)

    for m in sorted(graph):
        visit(m, [])
    assert circles == []
