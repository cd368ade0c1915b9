"""A waived finding is shown as waived in every rendering of ``check``, never hidden (B-12)."""

from __future__ import annotations

import json

from clinigate.policy.decision import DocumentDecision, GateDecision, WaivedFinding
from clinigate.report.check import CHECK_RENDERERS

PATH = "models/sepsis-ews/versions/1.4.0.yaml"


def _decision() -> GateDecision:
    waived = WaivedFinding(rule="gates.subgroup_attribute_missing", message="No validation results by language.",
                           field="validation.subgroups", line=12, waiver="W-7", expires="2027-01-31T00:00:00Z")
    manifest = DocumentDecision(path=PATH, kind="ModelVersion", model="sepsis-ews", version="1.4.0",
                                change_class="data_update", pccp_status="deviation",
                                regulatory_action="new_submission", waived=[waived])
    return GateDecision(base="a" * 40, head="b" * 40, merge_base="c" * 40, rules_rev="a" * 40,
                        engine="embedded", manifests=[manifest])


def test_a_decision_with_only_waived_findings_passes() -> None:
    assert _decision().decision == "pass"


def test_text_json_and_markdown_say_waived_by_whom_until_when() -> None:
    decision = _decision()
    text = CHECK_RENDERERS["text"](decision)
    assert "waived models/sepsis-ews/versions/1.4.0.yaml:12" in text
    assert "(waived by W-7 until 2027-01-31T00:00:00Z)" in text
    [manifest] = json.loads(CHECK_RENDERERS["json"](decision))["manifests"]
    assert manifest["findings"] == [] and manifest["waived"][0]["waiver"] == "W-7"
    markdown = CHECK_RENDERERS["markdown"](decision)
    assert "waived **gates.subgroup_attribute_missing**" in markdown and "`W-7`" in markdown
    assert "ok, 1 waived" in markdown


def test_annotations_sarif_and_junit_carry_it_as_a_warning_that_says_waived() -> None:
    decision = _decision()
    github = CHECK_RENDERERS["github"](decision)
    assert "::warning" in github and "waived by W-7 until 2027-01-31T00:00:00Z" in github
    sarif = json.loads(CHECK_RENDERERS["sarif"](decision))
    [result] = sarif["runs"][0]["results"]
    assert result["level"] == "warning" and "waived by W-7 until" in result["message"]["text"]
    assert "waived by W-7" in CHECK_RENDERERS["junit"](decision)


def test_the_interactive_table_lists_it_as_waived() -> None:
    from rich.console import Console

    from clinigate.report.tables import check_table

    console = Console(width=200, record=True, color_system=None)
    console.print(check_table(_decision()))
    shown = console.export_text()
    assert "waived" in shown and "W-7" in shown and "2027-01-31T00:00:00Z" in shown
