"""``clinigate evaluate`` into a real registry, and ``check`` re-deriving what it wrote (issue 14)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from testing.evidence import NEW, PREDICTIONS, RECORD, SEPSIS, draft_version
from testing.fixtures import CliResult, commit_all

from clinigate.demo.synthetic import write_predictions
from clinigate.gate.check import run_check


@pytest.fixture
def drafted(registry: Path) -> Path:
    return draft_version(registry)


def _evaluate(run_cli: Callable[..., CliResult], repo: Path, *extra: str) -> CliResult:
    return run_cli("evaluate", "--predictions", PREDICTIONS, "--into", NEW, *extra, cwd=repo)


def test_evaluate_into_rewrites_only_the_computed_blocks_and_validates(
        drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    before = (drafted / NEW).read_text()
    result = _evaluate(run_cli, drafted)
    assert result.code == 0, result.stderr
    assert f"wrote {RECORD}" in result.stdout and f"wrote {NEW}" in result.stdout
    after = (drafted / NEW).read_text()
    start = before.index("  overall:\n")
    assert after[:start] == before[:start]  # everything above validation.overall is untouched
    assert after[after.index("\nmonitoring:"):] == before[before.index("\nmonitoring:"):]
    data = yaml.safe_load(after)
    evidence = data["validation"]["evidence"]
    assert evidence["predictions"] == {"path": PREDICTIONS,
                                       "sha256": hashlib.sha256((drafted / PREDICTIONS).read_bytes()).hexdigest()}
    assert evidence["record"] == {"path": RECORD,
                                  "sha256": hashlib.sha256((drafted / RECORD).read_bytes()).hexdigest()}
    record = json.loads((drafted / RECORD).read_text())
    assert record["overall"]["n"] == data["validation"]["overall"]["n"] == 40_000
    assert data["validation"]["overall"]["auc_roc"] == round(record["overall"]["auc_roc"], 4)
    listed = {(s["attribute"], s["group"]) for s in yaml.safe_load(before)["validation"]["subgroups"]}
    assert listed <= {(s["attribute"], s["group"]) for s in data["validation"]["subgroups"]}
    assert run_cli("validate", NEW, cwd=drafted).code == 0


def test_check_passes_matching_evidence_and_denies_each_number_that_differs(
        drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    assert _evaluate(run_cli, drafted).code == 0
    commit_all(drafted, "sepsis 1.4.0 evaluated")
    report = run_check(drafted, base="main", head="HEAD")
    (entry,) = [m for m in report.manifests if m.path == NEW]
    assert not [f for f in entry.findings if f.rule.startswith("gates.evidence")], entry.findings

    path = drafted / NEW
    data = yaml.safe_load(path.read_text())
    auc = data["validation"]["overall"]["auc_roc"]
    typed = round(auc - 0.004, 4)  # inside the interval, so only the evidence can catch it
    path.write_text(path.read_text().replace(f"    auc_roc: {auc}\n", f"    auc_roc: {typed}\n", 1))
    commit_all(drafted, "a hand-improved number")
    report = run_check(drafted, base="main", head="HEAD")
    (entry,) = [m for m in report.manifests if m.path == NEW]
    (mismatch,) = [f for f in entry.findings if f.rule == "gates.evidence_mismatch"]
    assert mismatch.field == "validation.overall.auc_roc" and mismatch.line is not None
    assert f"says {typed}" in mismatch.message and f"gives {auc}" in mismatch.message
    assert report.decision == "fail"


def test_check_denies_predictions_swapped_after_the_evaluation(
        drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    assert _evaluate(run_cli, drafted).code == 0
    write_predictions(drafted / PREDICTIONS, yaml.safe_load((drafted / NEW).read_text()), rows=40_000, seed=15)
    commit_all(drafted, "other predictions")
    text = run_cli("check", "--base", "main", cwd=drafted).stdout
    assert re.search(rf"deny {re.escape(NEW)}:\d+:\d+: \[gates.evidence_mismatch\] "
                     r"validation.evidence.predictions.sha256: .*the file changed after it was evaluated", text), text


def test_check_denies_evidence_missing_from_the_revision(drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    assert _evaluate(run_cli, drafted).code == 0
    (drafted / PREDICTIONS).unlink()
    commit_all(drafted, "manifest without its predictions")
    report = run_check(drafted, base="main", head="HEAD")
    rules = {f.rule for m in report.manifests for f in m.findings}
    assert "gates.evidence_missing" in rules and report.decision == "fail"


def _rewrite(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


def _set_cell(row: int, column: int, value: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        cells = lines[row].split(",")
        cells[column] = value
        lines[row] = ",".join(cells)
        return lines
    return edit


@pytest.mark.parametrize(("edit", "code", "expected"), [
    (lambda lines: [lines[0].replace('"score"', '"risk"'), *lines[1:]], 2, "has no column 'score'"),
    (_set_cell(7, 0, "2"), 1, "row 7: column 'label' holds 2, not a binary label"),
    (_set_cell(3, 1, "NaN"), 1, "row 3: column 'score' is NaN"),
    (_set_cell(9, 1, "1.5"), 1, "row 9: column 'score' is out of range (1.5)"),
    (_set_cell(5, 2, '""'), 1, "row 5: column 'age_band' is empty"),
], ids=["missing column", "non-binary label", "NaN score", "score out of range", "empty subgroup"])
def test_bad_predictions_are_refused_naming_row_and_column_and_nothing_is_written(
        drafted: Path, run_cli: Callable[..., CliResult], edit: Callable[[list[str]], list[str]], code: int,
        expected: str) -> None:
    _rewrite(drafted / PREDICTIONS, edit)
    before = (drafted / NEW).read_bytes()
    result = _evaluate(run_cli, drafted)
    assert result.code == code, result.stdout + result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert (drafted / NEW).read_bytes() == before and not (drafted / RECORD).exists()


def test_a_file_over_the_size_limit_is_refused_unread(drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    result = _evaluate(run_cli, drafted, "--max-bytes", "1000")
    assert result.code == 2 and "over the limit of 1,000 bytes" in result.stderr
    assert not (drafted / RECORD).exists()


def test_missing_labels_and_scores_are_counted_and_small_groups_flagged(
        drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    _rewrite(drafted / PREDICTIONS, lambda lines: [lines[0], *(
        ",".join(["", *line.split(",")[1:]]) if 1 <= i <= 30 else line for i, line in enumerate(lines[1:], 1))])
    _rewrite(drafted / PREDICTIONS, _set_cell(40, 1, ""))
    out = drafted / "evidence.json"
    result = run_cli("evaluate", "--predictions", PREDICTIONS, "--threshold", "0.1", "--subgroups",
                     "age_band,sex", "--out", str(out), "--format", "json", cwd=drafted)
    assert result.code == 0, result.stderr
    record = json.loads(out.read_text())
    assert json.loads(result.stdout) == record
    assert record["predictions"] | {"sha256": None} == {
        "file": PREDICTIONS, "sha256": None, "rows": 40_000, "used": 39_969, "missing_label": 30,
        "missing_score": 1}
    assert {g["attribute"] for g in record["subgroups"]} == {"age_band", "sex"}
    assert all(g["below_min_n"] is False for g in record["subgroups"])  # no PCCP without --into


def test_a_group_below_the_pccp_minimum_is_written_and_flagged_not_dropped(
        drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    kept = 0

    def shrink(lines: list[str]) -> list[str]:
        nonlocal kept
        out = [lines[0]]
        for line in lines[1:]:
            if '"80+"' in line:
                kept += 1
                if kept > 60:
                    line = line.replace('"80+"', '"65-79"')
            out.append(line)
        return out

    _rewrite(drafted / PREDICTIONS, shrink)
    result = _evaluate(run_cli, drafted)
    assert result.code == 0, result.stderr
    assert re.search(r"age_band=80\+ +n=60 .*below the PCCP minimum n=100", result.stdout), result.stdout
    subgroups = yaml.safe_load((drafted / NEW).read_text())["validation"]["subgroups"]
    assert {"attribute": "age_band", "group": "80+"}.items() <= next(
        s for s in subgroups if s["group"] == "80+").items()
    assert next(s for s in subgroups if s["group"] == "80+")["n"] == 60


def test_a_pccp_requiring_evidence_denies_typed_numbers_and_accepts_computed_ones(
        registry: Path, run_cli: Callable[..., CliResult]) -> None:
    pccp = registry / SEPSIS / "pccp.yaml"
    text = pccp.read_text()
    assert "      require_locked_validation_set: true\n" in text
    pccp.write_text(text.replace("      require_locked_validation_set: true\n",
                                 "      require_locked_validation_set: true\n      require_evidence: true\n"))
    commit_all(registry, "the plan requires computed evidence")
    drafted = draft_version(registry)
    commit_all(drafted, "sepsis 1.4.0, numbers typed")
    typed = run_check(drafted, base="main", head="HEAD")
    (entry,) = [m for m in typed.manifests if m.path == NEW]
    assert "gates.evidence_required" in {f.rule for f in entry.findings}, [f.rule for f in entry.findings]
    assert _evaluate(run_cli, drafted).code == 0
    commit_all(drafted, "numbers computed")
    computed = run_check(drafted, base="main", head="HEAD")
    (entry,) = [m for m in computed.manifests if m.path == NEW]
    assert not {f.rule for f in entry.findings} & {"gates.evidence_required", "gates.evidence_mismatch"}


def test_check_fails_closed_naming_the_extra_when_it_cannot_recompute(
        drafted: Path, run_cli: Callable[..., CliResult]) -> None:
    """Without numpy the evidence cannot be recomputed: exit 3 naming the extra, never a silent pass."""
    import subprocess
    import sys

    assert _evaluate(run_cli, drafted).code == 0
    commit_all(drafted, "sepsis 1.4.0 evaluated")
    code = ("import sys; sys.modules['numpy'] = None; sys.modules['pyarrow'] = None\n"
            "from clinigate.cli.main import main; main(['check', '--base', 'main'])")
    proc = subprocess.run([sys.executable, "-c", code], cwd=drafted, capture_output=True, text=True)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "needs numpy" in proc.stderr and "pip install 'clinigate[evidence]'" in proc.stderr
