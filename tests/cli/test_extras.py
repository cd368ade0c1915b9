"""The light core works without its extras, and a command that needs one names it.

An extra's modules are made unimportable for the child process (``sys.modules[name] = None``
makes every ``import name`` raise ImportError, as a missing package does), so the real CLI runs
as it would on ``pip install clinigate`` without ``[mlflow]`` or ``[reports]``.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from testing.fixtures import REPO_ROOT, CliResult, git

MLFLOW = ("mlflow", "model_signing")
REPORTS = ("matplotlib", "jinja2")
RUN = ("import sys\nfor name in sys.argv[1].split(','):\n    sys.modules[name] = None\n"
       "from clinigate.cli.main import main\nmain(sys.argv[2:])\n")


def without(blocked: tuple[str, ...], *args: str, cwd: Path) -> CliResult:
    proc = subprocess.run([sys.executable, "-c", RUN, ",".join(blocked), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def test_the_core_depends_on_no_extra() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    assert not any(name in core for name in ("mlflow", "matplotlib", "jinja2", "model-signing", "pyopenssl"))
    assert {"mlflow", "reports", "demo"} <= set(project["optional-dependencies"])


def test_validate_check_verify_and_audit_run_on_the_light_core(demo_registry: Path, tmp_path: Path) -> None:
    blocked = MLFLOW + REPORTS
    git(demo_registry, "switch", "-q", "-c", "review")
    from clinigate.demo.manifests import write_data_update

    write_data_update(demo_registry)
    git(demo_registry, "add", "-A")
    git(demo_registry, "commit", "-qm", "a data update")
    for args, codes in ((("validate",), {0}), (("check", "--base", "main", "--head", "review"), {1}),
                        (("verify", "--rev", "main"), {0}), (("audit", "verify"), {0, 1}),
                        (("audit", "timeline", "sepsis-ews"), {0}),
                        (("audit", "export", "--bundle", str(tmp_path / "export")), {0})):
        result = without(blocked, *args, cwd=demo_registry)
        assert result.code in codes, (args, result.stdout + result.stderr)
        assert "Traceback" not in result.stderr and "needs" not in result.stderr, (args, result.stderr)
    assert (tmp_path / "export" / "VERIFY.md").is_file()


@pytest.mark.parametrize(("blocked", "args", "extra"), [
    (MLFLOW, ("sync", "--tracking-uri", "sqlite:///new.db", "--apply"), "mlflow"),
    (REPORTS, ("audit", "report", "sepsis-ews", "1.2.0"), "reports"),
    (("jinja2",), ("audit", "card", "sepsis-ews", "1.2.0", "--format", "md"), "reports"),
], ids=["sync", "report", "card"])
def test_a_command_without_its_extra_names_it(demo_registry: Path, blocked: tuple[str, ...],
                                              args: tuple[str, ...], extra: str) -> None:
    result = without(blocked, *args, cwd=demo_registry)
    assert result.code == 3, result.stdout + result.stderr
    assert f"pip install 'clinigate[{extra}]'" in result.stderr and "Traceback" not in result.stderr
    assert not (demo_registry / "new.db").exists()


def test_a_markdown_card_needs_no_charts(demo_registry: Path) -> None:
    result = without(("matplotlib",), "audit", "card", "sepsis-ews", "1.2.0", "--format", "md", cwd=demo_registry)
    assert result.code == 0 and "## ONC HTI-1 source attributes" in result.stdout, result.stderr


def test_the_demo_checks_its_extras_before_writing(tmp_path: Path) -> None:
    result = without(MLFLOW, "demo", "--workdir", str(tmp_path / "tour"), cwd=tmp_path)
    assert result.code == 3 and "pip install 'clinigate[mlflow]'" in result.stderr
    assert not (tmp_path / "tour").exists()
