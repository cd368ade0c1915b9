"""The package's shape, asserted (issue 16, docs/architecture.md): no import cycle between
packages, no private name borrowed across them, modules and functions kept small, and the
registry layout spelled in one module.

Each check walks ``tooling/clinigate`` with :mod:`ast`, so a violation names its file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tooling" / "clinigate"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40
# A module may hold a longer function or pass the line limit only when its docstring says why.
EXCEPTION_NOTE = re.compile(r"size exception:", re.IGNORECASE)


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _unit(module: str) -> str:
    """The package (or top-level module) a dotted module name belongs to: ``clinigate.<unit>``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(module: str, path: Path, tree: ast.Module) -> Iterator[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) of every clinigate import, deferred ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("clinigate."):
                    yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == "clinigate" or target.startswith("clinigate."):
                yield node.lineno, target, [a.name for a in node.names]


def _edges() -> dict[str, dict[str, str]]:
    """unit -> unit it imports -> one place that does (for the message)."""
    edges: dict[str, dict[str, str]] = {}
    for module, path, tree in _modules():
        for line, target, names in _imports(module, path, tree):
            # `from clinigate import layout` / `from .. import layout` name units as names.
            units = [_unit(f"{target}.{n}") for n in names] if target == "clinigate" else [_unit(target)]
            for unit in units:
                if unit and unit != _unit(module):
                    edges.setdefault(_unit(module), {}).setdefault(unit, f"{path}:{line}")
    return edges


def _cycle(edges: dict[str, dict[str, str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(unit: str) -> list[str] | None:
        state[unit] = 1
        stack.append(unit)
        for nxt in sorted(edges.get(unit, {})):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[unit] = 2
        return None

    for unit in sorted(edges):
        if unit not in state and (found := visit(unit)):
            return found
    return None


def test_packages_import_one_another_without_a_cycle() -> None:
    edges = _edges()
    cycle = _cycle(edges)
    assert cycle is None, "package import cycle " + " -> ".join(cycle or []) + ": " + "; ".join(
        f"{a}->{b} at {edges[a][b]}" for a, b in zip(cycle or [], (cycle or [])[1:], strict=False))


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b": "x"}, "b": {"c": "y"}, "c": {"a": "z"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b": "x"}, "b": {}}) is None


def test_no_private_name_is_imported_across_packages() -> None:
    borrowed = []
    for module, path, tree in _modules():
        for line, target, names in _imports(module, path, tree):
            if _unit(target) in (_unit(module), "_internal") or target == "clinigate":
                continue
            private = [n for n in names if n.startswith("_")]
            private += [p for p in target.split(".")[2:] if p.startswith("_")]
            if private:
                borrowed.append(f"{path}:{line}: {target} {private}")
    assert borrowed == []


def _noted(tree: ast.Module) -> bool:
    return bool(EXCEPTION_NOTE.search(ast.get_docstring(tree) or ""))


def test_modules_and_functions_stay_small() -> None:
    too_big = []
    for _, path, tree in _modules():
        if _noted(tree):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{path}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{path}:{node.lineno} {node.name}: {length} lines")
    assert too_big == []


# What spells the registry layout: a path under models/, policies/ or schemas/, a versions/ or
# monitoring/ folder, clinigate's refs, or one of the document file names on its own.
LAYOUT_LITERAL = re.compile(
    r"(^|\.\./)(models|policies|schemas)/|/(versions|monitoring|evidence)/|^refs/(heads/)?clinigate|"
    r"^(model|pccp|deployment|risk|trust|roles|change_control)\.yaml$|^evidence\.json$")
LAYOUT_MODULE = PACKAGE / "layout.py"


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _layout_literals(path: Path, tree: ast.Module) -> list[str]:
    docs = _docstrings(tree)
    return [f"{path}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            and LAYOUT_LITERAL.search(node.value)]


def test_the_registry_layout_is_spelled_only_in_the_layout_module() -> None:
    found = [hit for _, path, tree in _modules() if path != LAYOUT_MODULE for hit in _layout_literals(path, tree)]
    assert found == []


@pytest.mark.parametrize("source", ['open("models/" + model + "/pccp.yaml")', 'f"{m}/versions/{v}.yaml"',
                                    'name == "deployment.yaml"', 'ref = "refs/heads/clinigate/ledger"',
                                    'line = "# yaml-language-server: $schema=../../schemas/deployment.schema.json"'])
def test_the_layout_check_sees_a_spelled_path(source: str) -> None:
    assert _layout_literals(Path("x.py"), ast.parse(source))
