"""JSON in the shape DESIGN §9 documents (``validate``: manifests without classification)."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from .. import layout
from ..findings import Finding, Report, Severity


def _finding(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "severity": f.severity.value, "message": f.message, "field": f.field,
            "line": f.line, "column": f.column}


def _identity(path: str) -> tuple[str | None, str | None]:
    """Model and version as the location names them (the documents may be unreadable)."""
    model = layout.model_of(path)
    if model is None:
        return None, None
    parts = PurePosixPath(path).parts
    version = PurePosixPath(parts[3]).stem if len(parts) == 4 and parts[2] == layout.VERSIONS_DIR else None
    return model, version


def render(report: Report) -> str:
    # Files that were checked, then files that findings name but that were not there (missing).
    paths = list(dict.fromkeys([*report.files, *(f.path for f in report.findings)]))
    manifests = []
    for path in paths:
        findings = report.findings_for(path)
        model, version = _identity(path)
        manifests.append({
            "path": path, "model": model, "version": version,
            "valid": not any(f.severity is Severity.ERROR for f in findings),
            "findings": [_finding(f) for f in findings],
        })
    return json.dumps({"decision": "pass" if report.passed else "fail", "manifests": manifests},
                      indent=2) + "\n"
