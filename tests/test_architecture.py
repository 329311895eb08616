"""The layering rule of docs/ARCHITECTURE.md, read from the code: a stage imports only from `core/` and the
stages before it, `core/` imports no stage, and no module imports itself back through others."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "supportbot"
ARCHITECTURE = PACKAGE.parents[1] / "docs" / "ARCHITECTURE.md"
# The pipeline order; a stage may import the ones before it. Entry modules (the CLI and the root config,
# which assembles every stage's section) sit above them all and may import anything.
STAGES = ["core", "data", "retrieval", "grounded", "train", "eval", "ship", "serve", "review"]
ENTRY = {"cli", "config", "__init__", "__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every supportbot module a file imports, at module level or inside functions (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("supportbot"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("supportbot"):
            assert node.level == 0, f"{path}: relative import"
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)  # `from pkg import module`
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()
    }


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def backward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Imports of a later stage (or of the entry layer) by a stage or core."""
    wrong = []
    for src, targets in edges.items():
        if layer(src) in ENTRY:
            continue
        assert layer(src) in STAGES, f"{src}: not in a stage; add it to a stage folder or to STAGES"
        allowed = set(STAGES[: STAGES.index(layer(src)) + 1])
        wrong += [f"{src} -> {t}" for t in sorted(targets) if layer(t) not in allowed]
    return wrong


def import_circles(edges: dict[str, set[str]]) -> list[str]:
    """Every cycle a depth-first walk finds (a package __init__ re-exporting its own modules is not one)."""
    seen: dict[str, int] = {}  # 1 = on the current path, 2 = done
    circles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if seen.get(nxt) == 1:
                circles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for start in sorted(edges):
        if start not in seen:
            visit(start, [start])
    return [c for c in circles if not all(m.startswith(c.split(" -> ")[0]) for m in c.split(" -> "))]


def test_a_stage_imports_only_core_and_the_stages_before_it() -> None:
    wrong = backward_imports(graph())
    assert not wrong, "imports against the pipeline order:\n" + "\n".join(wrong)


def test_there_are_no_import_circles() -> None:
    circles = import_circles(graph())
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_checks_fire_on_a_backward_import_and_a_circle(tmp_path: Path) -> None:
    """The checks can fail: core importing serve, data importing the CLI, and a two-module circle."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from supportbot.serve.app import build_app\n")
    assert imports_of(bad) == {"supportbot.serve.app", "supportbot.serve.app.build_app"}
    edges = {
        "supportbot.core.models": {"supportbot.serve.app"},
        "supportbot.data.pipeline": {"supportbot.cli"},
    }
    assert backward_imports(edges) == [
        "supportbot.core.models -> supportbot.serve.app",
        "supportbot.data.pipeline -> supportbot.cli",
    ]
    loop = {"supportbot.eval.a": {"supportbot.eval.b"}, "supportbot.eval.b": {"supportbot.eval.a"}}
    assert import_circles(loop) == ["supportbot.eval.a -> supportbot.eval.b -> supportbot.eval.a"]


def test_architecture_map_names_every_module() -> None:
    """docs/ARCHITECTURE.md is a true map: each module of each stage is named there, and nothing else is."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in {"__init__.py", "__main__.py"}:
            continue
        rel = path.relative_to(PACKAGE)
        name = rel.with_suffix("").as_posix()
        if len(rel.parts) == 1:  # top-level entry modules are named by file
            if f"`{rel.name}`" not in text:
                missing.append(str(rel))
        elif f"`{rel.stem}`" not in _row_of(text, rel.parts[0]):
            missing.append(name)
    assert not missing, "modules missing from docs/ARCHITECTURE.md: " + ", ".join(missing)


def _row_of(text: str, package: str) -> str:
    rows = [line for line in text.splitlines() if re.match(rf"^\| `{re.escape(package)}/`", line)]
    if not rows:
        pytest.fail(f"docs/ARCHITECTURE.md has no table row for `{package}/`")
    return rows[0]
