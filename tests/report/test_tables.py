"""The rich tables a person at a terminal sees, and the switch that shows them only there.

The switch is exercised with the real CLI in a pseudo-terminal (``pty``) beside the same command
piped: a pipe must keep the plain text byte for byte (CI, scripts), a terminal gets the table.
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from testing.fixtures import commit_all, git

from clinigate.demo.manifests import write_data_update
from clinigate.findings import Finding, Report, Severity
from clinigate.registry.plan import Plan, Refuse, SetAlias
from clinigate.registry.run import SyncOutcome
from clinigate.report import RENDERERS
from clinigate.report.tables import findings_table, sync_table

MARKUP = "[red]not markup[/red] [link=http://x]y[/link]"


def _shown(renderable: object) -> str:
    console = Console(record=True, width=220, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_the_findings_table_has_every_finding_and_prints_manifest_text_as_typed() -> None:
    report = Report(files=["models/a/versions/1.0.0.yaml", "models/a/model.yaml"], findings=[
        Finding("models/a/versions/1.0.0.yaml", 12, 5, "schema.range", "must be at most 1.0 (got 1.07)",
                "validation.overall.auc_roc"),
        Finding("models/a/model.yaml", 3, None, "path.unexpected", MARKUP, None, Severity.WARNING)])
    shown = _shown(findings_table(report))
    assert "models/a/versions/1.0.0.yaml:12:5" in shown and "models/a/model.yaml:3" in shown
    assert "schema.range" in shown and "validation.overall.auc_roc" in shown and "(got 1.07)" in shown
    assert MARKUP in shown  # rich read it as text, not as markup
    assert shown.rstrip().endswith("failed: 1 error in 1 of 2 files, 1 warning")


def test_a_clean_report_is_its_summary_line() -> None:
    assert _shown(findings_table(Report(files=["a.yaml"]))).strip() == "ok: 1 file valid"


def test_the_sync_table_has_a_row_per_action_and_the_summary() -> None:
    plan = Plan("main", "c" * 40, "http://127.0.0.1:5000", [
        SetAlias("sepsis-ews", "production", "3", "deployment.yaml: production is 1.2.1"),
        Refuse("readmit", "staging", f"no approvals {MARKUP}")])
    shown = _shown(sync_table(SyncOutcome(plan)))
    assert shown.startswith(f"sync main ({'c' * 12}) -> http://127.0.0.1:5000")
    row = next(line for line in shown.splitlines() if "set_alias" in line)
    assert "sepsis-ews" in row and "production" in row and " 3 " in row
    assert MARKUP in shown
    assert "out of sync: 1 to write, 1 refused, 0 drift warning(s)" in shown


def _in_terminal(args: list[str]) -> str:
    """The CLI's standard output when it is a terminal (a pseudo-terminal, 200 columns)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm", "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "clinigate", *args], stdout=follower,
                            stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    # Bold and italic stay under NO_COLOR (they are not colours); the words are what is checked.
    return re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode().replace("\r\n", "\n"))


def _piped(args: list[str]) -> str:
    return subprocess.run([sys.executable, "-m", "clinigate", *args], capture_output=True, text=True,
                          timeout=120).stdout


def test_validate_shows_a_table_on_a_terminal_and_plain_text_in_a_pipe(registry: Path) -> None:
    bad = registry / "models/sepsis-ews/model.yaml"
    bad.write_text(bad.read_text() + "unexpected_field: 1\n")
    args = ["validate", "--repo", str(registry), "--no-cache"]
    piped = _piped(args)
    assert "━" not in piped and "unexpected_field" in piped and piped.endswith("\n")
    assert piped.splitlines()[-1].startswith("failed: ")
    shown = _in_terminal(args)
    assert "━" in shown and "┃ where" in shown  # a rich table's heavy header rule
    assert "models/sepsis-ews/model.yaml" in shown and piped.splitlines()[-1] in shown


def test_check_shows_its_documents_as_a_table_on_a_terminal(registry: Path) -> None:
    git(registry, "switch", "-q", "-c", "review")
    path = write_data_update(registry)
    commit_all(registry, "a data update")
    args = ["check", "--base", "main", "--repo", str(registry)]
    piped = _piped(args)
    assert piped.startswith("clinigate check ") and piped.endswith("\ndecision: pending\n")
    shown = _in_terminal(args)
    assert "┃ document" in shown and "regulatory action" in shown
    row = next(line for line in shown.splitlines() if path in line)
    assert "data_update" in row and "pending" in row
    assert shown.rstrip().endswith("decision: pending")


def test_the_plain_renderer_is_what_a_pipe_gets(registry: Path) -> None:
    from clinigate.approvals.trust_files import worktree_findings
    from clinigate.manifest.validate import validate_registry

    report = validate_registry(registry, None, trust_files=worktree_findings)
    assert _piped(["validate", "--repo", str(registry), "--no-cache"]) == RENDERERS["text"](report)
