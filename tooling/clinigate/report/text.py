"""Plain text for people: one line per finding, grouped by file, then a summary line."""

from __future__ import annotations

from ..findings import Finding, Report, Severity


def location(path: str, line: int | None, column: int | None) -> str:
    if line is None:
        return path
    return f"{path}:{line}:{column}" if column else f"{path}:{line}"


def finding_line(finding: Finding, *, severity: bool = True) -> str:
    """``file:line:col: error [rule] field: message``; ``severity=False`` leaves the label out
    (where every line is an error anyway: trust faults, stale generated files)."""
    where = location(finding.path, finding.line, finding.column)
    field = f" {finding.field}:" if finding.field else ""
    label = ("error " if finding.severity is Severity.ERROR else "warning ") if severity else ""
    return f"{where}: {label}[{finding.rule}]{field} {finding.message}"


def render(report: Report) -> str:
    lines = [finding_line(finding) for finding in report.findings]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    bad_files = len({f.path for f in report.errors})
    checked = len(report.files)
    if errors == 0:
        tail = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
        return f"ok: {checked} file{'s' * (checked != 1)} valid{tail}"
    return (f"failed: {errors} error{'s' * (errors != 1)} in {bad_files} of {checked} "
            f"file{'s' * (checked != 1)}, {warnings} warning{'s' * (warnings != 1)}")
