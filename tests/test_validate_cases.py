"""Case folders: ``tests/cases/validate/{pass,fail}/<case>/`` (check-jsonschema's acceptance style).

Each case holds ``case.yaml`` (where its input goes in a copy of the example registry, and for
failing cases the findings it must produce) and an ``input.yaml`` (or a generated input).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from testing.fixtures import CliResult

from clinigate.findings import Finding
from clinigate.manifest.validate import validate_registry

CASES = Path(__file__).parent / "cases" / "validate"


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (CASES / kind).iterdir() if p.is_dir())


def _place(case: Path, repo: Path) -> tuple[str, dict[str, Any]]:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    target = repo / spec["path"]
    target.parent.mkdir(parents=True, exist_ok=True)
    if "symlink_to" in spec:
        if target.exists():
            target.unlink()
        os.symlink(spec["symlink_to"], target)
    elif "generate" in spec:
        gen = spec["generate"]
        unit = gen["pattern"].encode()
        target.write_bytes(unit * (gen["bytes"] // len(unit) + 1))
    else:
        source = next(p for p in case.iterdir() if p.name.startswith("input"))
        target.write_bytes(source.read_bytes())
    return spec["path"], spec


def _matches(expected: dict[str, Any], finding: Finding) -> bool:
    return (
        finding.rule == expected["rule"]
        and expected["message"] in finding.message
        and expected.get("line", finding.line) == finding.line
        and expected.get("column", finding.column) == finding.column
        and expected.get("field", finding.field) == finding.field
    )


@pytest.mark.parametrize("case", _cases("fail"), ids=lambda p: p.name)
def test_failing_case_produces_its_findings(case: Path, registry: Path) -> None:
    path, spec = _place(case, registry)
    report = validate_registry(registry, [registry / path])
    found = report.findings_for(spec.get("finding_path", path))
    assert not report.passed
    for expected in spec["expect"]:
        assert any(_matches(expected, f) for f in found), (
            f"{case.name}: expected {expected}, got {[(f.rule, f.line, f.field, f.message) for f in found]}")
    for rule in spec.get("absent", []):  # a rule the case must not also produce (one mistake, one finding)
        assert not any(f.rule == rule for f in found), (case.name, [(f.rule, f.message) for f in found])


@pytest.mark.parametrize("case", _cases("pass"), ids=lambda p: p.name)
def test_passing_case_is_clean(case: Path, registry: Path) -> None:
    path, _ = _place(case, registry)
    report = validate_registry(registry, [registry / path])
    assert report.passed, [(f.rule, f.line, f.message) for f in report.errors]


def test_there_are_at_least_thirty_failing_cases() -> None:
    assert len(_cases("fail")) >= 30


@pytest.mark.slow
@pytest.mark.parametrize("case", _cases("fail"), ids=lambda p: p.name)
def test_failing_case_through_the_cli(case: Path, registry: Path,
                                      run_cli: Callable[..., CliResult]) -> None:
    path, spec = _place(case, registry)
    result = run_cli("validate", path, cwd=registry)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    first = spec["expect"][0]
    shown = spec.get("finding_path", path)
    line = f":{first['line']}:" if "line" in first else ""
    assert any(out.startswith(shown + line) and first["message"] in out and first["rule"] in out
               for out in result.stdout.splitlines()), result.stdout
