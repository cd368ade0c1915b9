"""GitHub Actions workflow commands: ``::error file=…,line=…,col=…,title=…::message``."""

from __future__ import annotations

from ..findings import Report, Severity
from .text import summary


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    return "\n".join([*finding_commands(report), summary(report)]) + "\n"


def notice(path: str, message: str) -> str:
    """A ``::notice`` on a file: shown in the pull request's checks, never failing it."""
    return f"::notice file={_escape_property(path)}::{_escape_data(message)}"


def finding_commands(report: Report) -> list[str]:
    """One ``::error`` or ``::warning`` line per finding."""
    lines = []
    for f in report.findings:
        command = "error" if f.severity is Severity.ERROR else "warning"
        props = [f"file={_escape_property(f.path)}"]
        if f.line is not None:
            props.append(f"line={f.line}")
            if f.column is not None:
                props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f.rule)}")
        field = f"{f.field}: " if f.field else ""
        lines.append(f"::{command} {','.join(props)}::{_escape_data(field + f.message)}")
    return lines
