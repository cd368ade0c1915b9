"""JSON in the shape DESIGN §9 documents (``validate``: manifests without classification)."""

from __future__ import annotations

import json

from ..findings import Report


def render(report: Report) -> str:
    manifests = []
    for path in report.files:
        findings = [
            {"rule": f.rule, "severity": f.severity.value, "message": f.message, "field": f.field,
             "line": f.line, "column": f.column}
            for f in report.findings_for(path)
        ]
        manifests.append({"path": path, "valid": not any(x["severity"] == "error" for x in findings),
                          "findings": findings})
    listed = set(report.files)
    extra = sorted({f.path for f in report.findings} - listed)
    for path in extra:  # findings about files that were expected but are missing
        manifests.append({"path": path, "valid": False, "findings": [
            {"rule": f.rule, "severity": f.severity.value, "message": f.message, "field": f.field,
             "line": f.line, "column": f.column} for f in report.findings_for(path)]})
    return json.dumps({"decision": "pass" if report.passed else "fail", "manifests": manifests},
                      indent=2) + "\n"
