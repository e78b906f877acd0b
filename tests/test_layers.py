"""The shape of cleaners/: layered subpackages in data-flow order, no import cycles, no
upward imports, kernels/ a leaf, no backend switch read from the environment, no
private CPython module. Imports inside functions count as much as those at the top."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "cleaners"

# Lower layers never import higher ones (see ARCHITECTURE.md).
LAYERS = {
    "cleaners.kernels": 0,
    "cleaners.records": 1, "cleaners.config": 1,
    "cleaners.read": 2,
    "cleaners.clean": 3,
    "cleaners.store": 4,
    "cleaners.match": 5,
    "cleaners": 6,  # the package's own __init__ (imports nothing)
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The cleaners modules a file imports, anywhere in it (``from cleaners.x import y``
    counts as cleaners.x.y when that is a module, else cleaners.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                     for a in node.names]
        else:
            continue
        found.update(n for n in names if n == "cleaners" or n.startswith("cleaners."))
    return found


def layer(mod: str) -> int:
    best = max((k for k in LAYERS if mod == k or mod.startswith(k + ".")), key=len)
    return LAYERS[best]


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: {i for i in imports_of(p, known) if i in known and i != m} for m, p in mods.items()}


def test_every_module_has_a_layer() -> None:
    for m in modules():
        assert m == "cleaners" or any(m.startswith(k + ".") or m == k for k in LAYERS if k != "cleaners"), (
            f"{m} belongs to no layer: put it in a subpackage of LAYERS")


def test_no_upward_imports() -> None:
    bad = [f"{m} (layer {layer(m)}) imports {i} (layer {layer(i)})"
           for m, deps in graph().items() for i in deps if layer(i) > layer(m)]
    assert not bad, "\n".join(bad)


def test_kernels_import_nothing_else_of_newsclean() -> None:
    bad = [f"{m} imports {i}" for m, deps in graph().items() if m.startswith("cleaners.kernels")
           for i in deps if not i.startswith("cleaners.kernels")]
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    g = graph()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g[m]):
            if state.get(d) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_cycle_detection_sees_a_cycle(tmp_path: Path) -> None:
    """The checker itself: two modules importing each other (inside a function) are found."""
    (tmp_path / "a.py").write_text("def f():\n    from cleaners.clean import b\n")
    found = imports_of(tmp_path / "a.py", {"cleaners.clean.b"})
    assert found == {"cleaners.clean.b"}


def test_no_prefect_no_environment_switches_no_private_modules() -> None:
    for m, path in modules().items():
        src = path.read_text()
        tree = ast.parse(src)
        for node in ast.walk(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in mods:
                assert not name.startswith(("prefect", "flows")), f"{m} imports {name}: cleaners/ never imports Prefect"
                assert not re.match(r"(re|sre)_|re\._", name), f"{m} imports CPython's private {name}"
        assert "re._parser" not in src and "sre_parse" not in src, f"{m} uses CPython's private regex parser"
        assert not re.search(r"environ(\.get)?\s*[\[(]\s*['\"]NEWSCLEAN_", src), (
            f"{m} reads a NEWSCLEAN_ environment variable: settings belong in Config")
