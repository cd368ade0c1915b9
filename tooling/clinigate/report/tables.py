"""rich tables for a person at a terminal: the same results as the plain renderers, laid out.

``cli.options.emit`` uses these only when standard output is a terminal (``Renderers.interactive``);
pipes, files and CI keep the plain text byte for byte. Every cell is a ``rich.text.Text`` built
from the result's strings, never markup: a subgroup or a reason written ``[red]`` in a manifest
prints as typed. rich is imported inside each function, so nothing else pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..findings import Report, Severity

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ..policy.decision import GateDecision
    from ..registry.run import SyncOutcome


def _group(*parts: RenderableType) -> RenderableType:
    from rich.console import Group

    return Group(*parts)


def _text(value: object, style: str = "") -> RenderableType:
    from rich.text import Text

    return Text(str(value), style=style)


def findings_table(report: Report) -> RenderableType:
    """A findings report (``validate``, and the commands sharing its renderers): a row per finding
    (file:line, severity, rule, field, message), then the summary."""
    from rich.table import Table

    from .text import location, summary

    table = Table("where", "severity", "rule", "field", "message")
    for f in report.findings:
        error = f.severity is Severity.ERROR
        table.add_row(_text(location(f.path, f.line, f.column)),
                      _text(f.severity.value, "red" if error else "yellow"), _text(f.rule),
                      _text(f.field or ""), _text(f.message))
    style = "green" if report.passed else "red"
    return _group(table, _text(summary(report), f"bold {style}")) if report.findings else \
        _text(summary(report), f"bold {style}")


_DECISION_STYLE = {"pass": "bold green", "fail": "bold red", "pending": "bold yellow"}


def check_table(report: GateDecision) -> RenderableType:
    """``check``: a row per changed document (class, PCCP status, action, approvals, result), then
    each document's findings, and the decision."""
    from rich.table import Table

    from .check import head_line  # here: report/check.py imports this module for its table

    head = head_line(report)
    documents = Table("document", "class", "PCCP status", "regulatory action", "approvals missing", "result",
                      title=head, title_justify="left")
    for m in report.manifests:
        documents.add_row(_text(m.path), _text(m.change_class or m.kind), _text(m.pccp_status or "–"),
                          _text(m.regulatory_action or "–"), _text(", ".join(m.missing_roles) or "–"),
                          _text(m.decision, _DECISION_STYLE.get(m.decision, "")))
    nothing = _text(f"{head}\nno registry documents changed")
    parts: list[RenderableType] = [documents if report.manifests else nothing]
    findings = [(m.path, f) for m in report.manifests for f in m.findings]
    if findings:
        table = Table("document", "", "rule", "field", "message", title="findings", title_justify="left")
        for path, f in findings:
            deny = f.severity is Severity.ERROR
            table.add_row(_text(path), _text("deny" if deny else "warn", "red" if deny else "yellow"),
                          _text(f.rule), _text(f.field or ""), _text(f.message))
        parts.append(table)
    waived = [(m.path, w) for m in report.manifests for w in m.waived]
    if waived:  # lifted by a signed waiver: shown, never hidden (policies/waivers.rego)
        table = Table("document", "rule", "field", "message", "waived by", "until", title="waived",
                      title_justify="left")
        for path, w in waived:
            table.add_row(_text(path), _text(w.rule), _text(w.field or ""), _text(w.message), _text(w.waiver),
                          _text(w.expires))
        parts.append(table)
    parts.append(_text(f"decision: {report.decision}", _DECISION_STYLE.get(report.decision, "bold")))
    return _group(*parts)


def sync_table(outcome: SyncOutcome) -> RenderableType:
    """``sync``: a row per planned action (kind, model, alias or environment, version, reason), then
    the summary line the plain text ends with."""
    from dataclasses import asdict

    from rich.table import Table

    from .sync import head_line, summary_line

    table = Table("action", "model", "alias / environment", "version", "reason",
                  title=head_line(outcome.plan), title_justify="left")
    for action in outcome.plan.actions:
        fields = asdict(action)
        where = fields.get("alias") or fields.get("environment") or ""
        version = fields.get("version") or fields.get("current_version") or ""
        refused = action.kind in ("refuse", "drift")
        table.add_row(_text(action.kind, "red" if refused else ""), _text(action.model), _text(where),
                      _text(version), _text(action.reason))
    blocked = bool(outcome.plan.blocked) or bool(outcome.plan.refusals)
    return _group(table, _text(summary_line(outcome), "bold red" if blocked else "bold green"))
