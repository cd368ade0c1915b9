"""SARIF 2.1.0, for GitHub code scanning upload."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..findings import Finding, Report, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: Report) -> str:
    rules = sorted({f.rule for f in report.findings})
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "clinigate",
                "version": __version__,
                "informationUri": "https://github.com/clinigate/clinigate",
                "rules": [{"id": r, "shortDescription": {"text": r}} for r in rules],
            }},
            "results": [_result(f, rules.index(f.rule)) for f in report.findings],
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": finding.path}}
    if finding.line is not None:
        region: dict[str, int] = {"startLine": finding.line}
        if finding.column is not None:
            region["startColumn"] = finding.column
        location["region"] = region
    message = f"{finding.field}: {finding.message}" if finding.field else finding.message
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": "error" if finding.severity is Severity.ERROR else "warning",
        "message": {"text": message},
        "locations": [{"physicalLocation": location}],
    }
