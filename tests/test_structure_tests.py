"""The tests' own layout: shared helpers live in tests/testing/, and no test module imports another.

Read with ``ast``, never imported. A test module may import ``testing`` and ``testing.*`` (the helpers),
clinigate, the standard library and third-party packages; pytest hands it conftest fixtures by name.
It may not import a test module, a test package's ``__init__`` or a ``conftest`` (relatively or by
package name), and a test package's ``__init__.py`` holds nothing but its docstring.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HELPERS = TESTS / "testing"



def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _relative_target(module: Path, node: ast.ImportFrom) -> list[Path]:
    """The files a ``from .x import y`` names: the module ``x`` (or each ``y`` when ``x`` is a package)."""
    base = module.parent
    for _ in range(node.level - 1):
        base = base.parent
    if node.module:
        base = base.joinpath(*node.module.split("."))
        return [base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"]
    return [base / f"{a.name}.py" if (base / f"{a.name}.py").exists() else base / "__init__.py" for a in node.names]


def _absolute_target(name: str) -> Path | None:
    """Where the top-level package or module of ``name`` comes from, as the tests run (tests/ on sys.path)."""
    top = name.split(".")[0]
    if not (TESTS / top).is_dir() and not (TESTS / f"{top}.py").exists():
        return None  # not a name tests/ could provide (clinigate, the standard library, a dependency)
    spec = importlib.util.find_spec(top)
    if spec is not None and spec.origin and not Path(spec.origin).is_relative_to(TESTS):
        return None  # an installed package of the same name wins (``github`` is PyGithub, not tests/github/)
    path = TESTS.joinpath(*name.split("."))
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else path / "__init__.py"


def _imported_test_files(module: Path, source: str | None = None) -> set[Path]:
    """The files under tests/, outside tests/testing/, that ``module`` (or ``source`` placed there) imports."""
    text = module.read_text(encoding="utf-8") if source is None else source
    found: set[Path] = set()
    for node in ast.walk(ast.parse(text, str(module))):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.update(_relative_target(module, node))
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(_absolute_target(node.module) or HELPERS)
        elif isinstance(node, ast.Import):
            found.update(_absolute_target(alias.name) or HELPERS for alias in node.names)
    return {path for path in found if not path.is_relative_to(HELPERS)}


def _cross_imports() -> set[tuple[str, str]]:
    return {(module.relative_to(TESTS).as_posix(), target.relative_to(TESTS).as_posix())
            for module in _modules() for target in _imported_test_files(module)}


def test_no_test_module_imports_another_test_module() -> None:
    assert _cross_imports() == set(), "move shared helpers to tests/testing/"


def test_test_packages_hold_no_helpers() -> None:
    def only_a_docstring(path: Path) -> bool:
        body = ast.parse(path.read_text(encoding="utf-8")).body
        return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)

    inits = [p for p in TESTS.rglob("__init__.py") if not p.is_relative_to(HELPERS)]
    assert inits, "no test packages found"
    assert [p.relative_to(TESTS).as_posix() for p in inits if not only_a_docstring(p)] == []


def test_the_check_sees_each_kind_of_import() -> None:
    """The walker's own test: relative, by package name, a conftest, a helper, and a same-named install."""
    probe = TESTS / "policy" / "test_testing.py"  # any real test module, for where relative imports start
    sources = {
        "from . import write_tree": {"policy/__init__.py"},
        "from .test_embedded import X": {"policy/test_embedded.py"},
        "from ..registry.conftest import free_port": {"registry/conftest.py"},
        "from approvals.test_ledger import bundle": {"approvals/test_ledger.py"},
        "import registry.conftest": {"registry/conftest.py"},
        "from testing.fixtures import git": set(),
        "from testing import approvals": set(),
        "import github": set(),  # PyGithub
        "from clinigate.policy import testing": set(),
        "import json": set(),
    }
    for source, expected in sources.items():
        got = {p.relative_to(TESTS).as_posix() for p in _imported_test_files(probe, source)}
        assert got == expected, source
