"""The Git layer is the one place that talks to git, and it reads objects through GitPython:

- no module outside ``clinigate/gitrepo/`` starts a ``git`` process, or asks the layer's raw
  runners (``Git.run``/``run_bytes``) for ``cat-file`` (an object read that bypasses GitPython);
- inside it, no ``cat-file`` request is written by hand (GitPython's object database asks and
  parses), and only ``worktree.py`` (validate's cache, which must not import GitPython) spawns
  processes itself;
- GitPython is imported by ``gitrepo/gitpython.py`` only, which ``--help`` and ``validate``
  never import; no module of the layer passes 400 lines, no function 40.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tooling" / "clinigate"
LAYER = PACKAGE / "gitrepo"
SPAWNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "popen", "execv", "execvp",
            "spawnv", "spawnvp", "getstatusoutput", "getoutput"}
RAW_RUNNERS = {"run", "run_bytes", "_exec"}


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _argv_head(call: ast.Call) -> str | None:
    """The first element of a list/tuple literal given as the call's first argument."""
    if not call.args or not isinstance(call.args[0], (ast.List, ast.Tuple)) or not call.args[0].elts:
        return None
    head = call.args[0].elts[0]
    return head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else None


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def git_spawns(source: str) -> list[int]:
    """Lines that start a git process: a process call with ``"git"`` as argv[0], or a lookup of
    the git executable (``shutil.which("git")``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        head = _argv_head(node)
        looks_up = _name(node.func) == "which" and any(isinstance(a, ast.Constant) and a.value == "git"
                                                       for a in node.args)
        if (_name(node.func) in SPAWNERS and head is not None and Path(head).name == "git") or looks_up:
            found.append(node.lineno)
    return found


def raw_cat_file(source: str) -> list[int]:
    """Lines that ask git's ``cat-file`` by hand: a ``"cat-file"`` argument in any call, or a
    raw runner (``run``/``run_bytes``) given ``["cat-file", …]``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            values = [a.value for a in ast.walk(node) if isinstance(a, ast.Constant) and a is not node]
            strings = [v for v in values if isinstance(v, str)]
            if _name(node.func) in RAW_RUNNERS and _argv_head(node) == "cat-file" or \
                    any(s == "cat-file" or s.startswith("--batch") for s in strings):
                found.append(node.lineno)
    return found


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_checks_catch_the_old_patterns() -> None:
    # manifest/validate_cache.py ran git itself; audit/checkpoint.py read a commit by cat-file;
    # gitrepo/git.py wrote cat-file --batch requests and parsed the answers by hand.
    assert git_spawns('subprocess.run(["git", *args], cwd=root, capture_output=True)') == [1]
    assert git_spawns('exe = shutil.which("git")\nsubprocess.run([exe, *args])') == [1]
    assert git_spawns('subprocess.run(["/usr/bin/git", "log"])') == [1]
    assert git_spawns('subprocess.run([chromium(), "--headless"])\nsubprocess.run(["opa", "eval"])') == []
    assert raw_cat_file('body = git.run_bytes(["cat-file", "commit", commit])') == [1]
    assert raw_cat_file('proc = self._exec(["cat-file", mode], data=request)') == [1]
    assert raw_cat_file('out = self.run_bytes(["cat-file", "--batch-check"], data=names)') == [1]
    assert raw_cat_file('git.run(["log", "--format=%H"])') == []


@pytest.mark.parametrize("module", [m for m in _modules(PACKAGE) if LAYER not in m.parents],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_outside_the_layer_runs_git(module: Path) -> None:
    source = module.read_text(encoding="utf-8")
    assert git_spawns(source) == [], f"{module.name} starts git: go through clinigate.gitrepo"
    assert raw_cat_file(source) == [], f"{module.name} reads objects by cat-file: use Git.read_*"
    assert "git" not in _imports(source) and "gitdb" not in _imports(source), f"{module.name} imports GitPython"


@pytest.mark.parametrize("module", _modules(LAYER), ids=lambda p: p.name)
def test_the_layer_reads_objects_through_gitpython(module: Path) -> None:
    source = module.read_text(encoding="utf-8")
    assert raw_cat_file(source) == [], f"{module.name} writes cat-file requests by hand"
    spawns = {n.lineno for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Attribute)
              and isinstance(n.value, ast.Name) and n.value.id in ("subprocess", "os") and n.attr in SPAWNERS}
    assert not spawns or module.name == "worktree.py", f"{module.name} spawns processes outside GitPython"
    if module.name != "gitpython.py":
        assert not _imports(source) & {"git", "gitdb"}, f"{module.name} imports GitPython itself"


@pytest.mark.parametrize("module", _modules(LAYER), ids=lambda p: p.name)
def test_the_layer_keeps_small_modules_and_functions(module: Path) -> None:
    source = module.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 400
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None and node.end_lineno - node.lineno + 1 <= 40, node.name


def test_help_and_validate_never_import_gitpython(registry: Path) -> None:
    code = ("import sys\nfrom clinigate.cli.main import main\n"
            "for argv in (['--help'], ['validate', '--repo', sys.argv[1]]):\n"
            "    try:\n        main(argv)\n    except SystemExit as exc:\n        assert exc.code == 0, (argv, exc.code)\n"
            "print(sorted({'git', 'gitdb', 'clinigate.gitrepo.gitpython'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code, str(registry)], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
