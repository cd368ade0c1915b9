"""``check --format markdown|json``: each new version against production, per subgroup, through the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from testing.changes import subgroup
from testing.fixtures import CliResult, commit_all, git

from clinigate.demo.manifests import write_data_update
from clinigate.manifest import strict_yaml

Edit = Callable[[dict[str, Any]], None]
SCRIPT_GROUP = "| <script>alert(1)</script> **x**"


def _propose(repo: Path, *edits: Edit) -> str:
    """sepsis-ews 1.4.0 (a data update of 1.3.0, as the demo writes it) with ``edits``, on a branch."""
    git(repo, "switch", "-q", "-c", "change")
    path = write_data_update(repo, "sepsis-ews")
    data = strict_yaml.parse((repo / path).read_text(encoding="utf-8"))
    for edit in edits:
        edit(data)
    (repo / path).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    commit_all(repo, "sepsis-ews 1.4.0")
    return path


def lower_asian(data: dict[str, Any]) -> None:
    subgroup(data, "race", "Asian").update(auc_roc=0.8, ci95=[0.75, 0.85])


def raise_female(data: dict[str, Any]) -> None:
    subgroup(data, "sex", "female").update(auc_roc=0.89, ci95=[0.873, 0.905])


def rename_site(data: dict[str, Any]) -> None:
    subgroup(data, "site", "Mercy General North")["group"] = "Mercy General North Campus"


def hostile_name(data: dict[str, Any]) -> None:
    """A group named with markup, and far enough below overall that a gate's message quotes it."""
    subgroup(data, "sex", "male").update(group=SCRIPT_GROUP, auc_roc=0.7, ci95=[0.68, 0.72])


def _markdown(run_cli: Callable[..., CliResult], repo: Path) -> str:
    result = run_cli("check", "--base", "main", "--format", "markdown", cwd=repo)
    assert result.code == 1 and not result.stderr, result.stderr  # pending approvals at least
    return result.stdout


def _table(md: str) -> list[list[str]]:
    """The delta table's body rows, cell by cell, unescaped (no cell here holds an escaped pipe)."""
    start = md.index("| attribute | group | n |")
    lines = md[start:].split("\n\n", 1)[0].splitlines()[2:]
    return [[re.sub(r"\\(.)", r"\1", c.strip()) for c in line.strip("|").split(" | ")] for line in lines]


def test_markdown_shows_each_group_against_production(registry: Path, run_cli) -> None:
    _propose(registry, lower_asian, raise_female, rename_site)
    md = _markdown(run_cli, registry)
    assert "AUC against production (sepsis-ews 1.2.0, deployment.yaml at the base revision):" in md
    assert "| attribute | group | n | AUC (95% CI) | production AUC (95% CI) | Δ AUC | flag |" in md
    rows = _table(md)
    assert rows[0] == ["overall", "all", "26180", "0.873 (0.861–0.884)", "0.876 (0.864–0.887)", "-0.003", ""]
    by_group = {(r[0], r[1]): r for r in rows}
    assert by_group["race", "Asian"] == ["race", "Asian", "1361", "0.800 (0.750–0.850)", "0.882 (0.823–0.924)",
                                         "-0.082", "⚠️ below production 95% CI"]
    assert by_group["sex", "female"][5:] == ["+0.009", ""]
    assert by_group["race", "Black or African American"][5] == "±0.000"
    assert by_group["site", "Mercy General North Campus"] == [
        "site", "Mercy General North Campus", "7330", "0.871 (0.847–0.892)", "—", "—", "⚠️ new group"]
    assert by_group["site", "Mercy General North"] == [
        "site", "Mercy General North", "—", "—", "0.872 (0.848–0.893)", "—", "⚠️ missing in this version"]
    groups = [(r[0], r[1]) for r in rows]
    assert groups.index(("site", "Mercy General North")) == groups.index(
        ("site", "Mercy Riverside Community Hospital")) + 1
    assert len(rows) == 1 + 21 + 1  # overall, 1.4.0's 21 groups, the one only production has


def test_json_carries_the_same_numbers(registry: Path, run_cli) -> None:
    path = _propose(registry, lower_asian, raise_female, rename_site)
    md_rows = {(r[0], r[1]): r for r in _table(_markdown(run_cli, registry))}
    doc = json.loads(run_cli("check", "--base", "main", "--format", "json", cwd=registry).stdout)
    entry = next(m for m in doc["manifests"] if m["path"] == path)
    comparison = entry["production_comparison"]
    assert (comparison["production_version"], comparison["production_loaded"],
            comparison["max_regression"]) == ("1.2.0", True, 0.02)
    assert comparison["overall"]["delta"] == -0.003 and comparison["overall"]["flag"] is None
    rows = {(r["attribute"], r["group"]): r for r in comparison["subgroups"]}
    assert rows["race", "Asian"] == {
        "attribute": "race", "group": "Asian", "delta": -0.082, "flag": "below production 95% CI",
        "head": {"n": 1361, "auc": 0.8, "ci95": [0.75, 0.85]},
        "production": {"n": 1361, "auc": 0.882, "ci95": [0.823, 0.924]}}
    assert (rows["site", "Mercy General North"]["head"], rows["site", "Mercy General North"]["flag"]) == (
        None, "missing in this version")
    assert rows["site", "Mercy General North Campus"]["production"] is None
    assert set(rows) | {("overall", "all")} == set(md_rows)
    for key, row in [(("overall", "all"), comparison["overall"]), *rows.items()]:
        shown = md_rows[key][5]
        assert shown == ("—" if row["delta"] is None else "±0.000" if row["delta"] == 0 else f"{row['delta']:+.3f}")
        assert (row["flag"] or "") in md_rows[key][6]


def test_group_names_render_literally(registry: Path, run_cli) -> None:
    _propose(registry, hostile_name)
    md = _markdown(run_cli, registry)
    assert "<script>" not in md and "**x**" not in md
    assert r"| sex | \| \<script\>alert(1)\</script\> \*\*x\*\* | 12907 | 0.700 (0.680–0.720) | — | — |" in md
    gap = next(line for line in md.splitlines() if line.startswith("- ❌ **gates.subgroup_gap**"))
    assert r"\| \<script\>alert(1)\</script\> \*\*x\*\*" in gap
    assert r"| sex | male | — | — | 0.875 (0.858–0.890) | — | ⚠️ missing in this version |" in md
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<script>" not in html and "<strong>x</strong>" not in html
    cell = "<td>| &lt;script&gt;alert(1)&lt;/script&gt; **x**</td>"
    assert cell in html
    row = re.search(r"<tr>\s*<td>sex</td>\s*" + re.escape(cell) + r"(.*?)</tr>", html, re.S)
    assert row is not None and row.group(1).count("<td>") == 5  # the pipe split no cell


def test_a_first_release_says_so_instead_of_a_table(registry: Path, run_cli) -> None:
    deployment = registry / "models" / "sepsis-ews" / "deployment.yaml"
    text = deployment.read_text(encoding="utf-8")
    deployment.write_text(re.sub(r"(?m)^  production:\n(    .*\n)+", "", text, count=1), encoding="utf-8")
    commit_all(registry, "nothing in production yet")
    path = _propose(registry, lower_asian)
    md = _markdown(run_cli, registry)
    assert ("No version of sepsis-ews is in production at the base revision (a first release): "
            "nothing to compare with.") in md
    assert "| attribute | group |" not in md
    doc = json.loads(run_cli("check", "--base", "main", "--format", "json", cwd=registry).stdout)
    entry = next(m for m in doc["manifests"] if m["path"] == path)
    assert entry["production_comparison"] == {"production_version": None, "production_loaded": False,
                                              "max_regression": None, "overall": None, "subgroups": []}


def test_documents_other_than_versions_carry_no_comparison(registry: Path, run_cli) -> None:
    git(registry, "switch", "-q", "-c", "change")
    deployment = registry / "models" / "sepsis-ews" / "deployment.yaml"
    deployment.write_text(deployment.read_text(encoding="utf-8").replace("Start 30 days", "Begin 30 days"),
                          encoding="utf-8")
    commit_all(registry, "reword the rationale")
    doc = json.loads(run_cli("check", "--base", "main", "--format", "json", cwd=registry).stdout)
    assert [(m["kind"], m["production_comparison"]) for m in doc["manifests"]] == [("Deployment", None)]
