"""Renderers for ``check``: text for people, JSON (DESIGN §9), markdown for a PR job summary;
github, sarif and junit reuse the plain-findings renderers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..findings import Severity
from ..policy.check import CheckReport, ManifestDecision
from . import github, junit, sarif
from .signatures import claim_text, markdown_code, person

_VERDICT = {"pass": "PASS", "fail": "FAIL", "pending": "PENDING (approvals missing)"}


def _classification(m: ManifestDecision) -> str:
    if m.change_class is None and m.pccp_status is None:
        return m.kind
    return f"{m.change_class or m.kind} · {m.pccp_status} · regulatory action: {m.regulatory_action}"


def text(report: CheckReport) -> str:
    lines = [f"clinigate check {report.base[:12]}..{report.head[:12]} (engine: {report.engine})"]
    for m in report.manifests:
        lines.append(f"\n{m.path}\n  {_classification(m)}")
        for f in m.findings:
            label = "deny" if f.severity is Severity.ERROR else "warn"
            where = f" {f.field}" if f.field else ""
            where += f" (line {f.line})" if f.line else ""
            lines.append(f"  {label} [{f.rule}]{where}: {f.message}")
        if m.required_roles:
            lines.append(f"  required approvals: {', '.join(m.required_roles)}"
                         f" (missing: {', '.join(m.missing_roles) or 'none'})")
        lines.extend(_approval_line(a) for a in m.approvals)
    if not report.manifests:
        lines.append("\nno registry documents changed")
    lines.append(f"\ndecision: {report.decision}")
    return "\n".join(lines) + "\n"


def _who(approval: dict[str, Any], quote: Callable[[str], str] = str) -> str:
    """Role and printed name of an act; for one that did not verify, what it claims, so labelled."""
    if approval.get("role"):
        return f"{approval['role']} by {person(approval.get('printed_name'), approval.get('signer'))}"
    entry = quote(str(approval.get("entry") or "(unnamed)"))
    return f"ledger entry {entry}; {claim_text(approval.get('claimed'), quote)}"


def _approval_line(approval: dict[str, Any]) -> str:
    if approval.get("valid"):
        return f"  signed: {_who(approval)}: {approval.get('decision')}"
    if approval.get("rule"):
        return f"  not counted: {_who(approval)}: [{approval.get('rule')}] {approval.get('problem')}"
    return f"  signed: {_who(approval)}: {approval.get('decision')} (not an approval)"


def _approval_item(approval: dict[str, Any]) -> str:
    who = _who(approval, markdown_code)
    if approval.get("valid"):
        return f"- ✅ {who}: {approval.get('decision')}"
    if approval.get("rule"):
        return f"- ❌ not counted: {who}: **{approval.get('rule')}** {approval.get('problem')}"
    return f"- ➖ {who}: {approval.get('decision')} (not an approval)"


def json_format(report: CheckReport) -> str:
    return json.dumps({"decision": report.decision, "base": report.base, "head": report.head,
                       "manifests": [m.to_dict() for m in report.manifests]}, indent=2) + "\n"


def markdown(report: CheckReport) -> str:
    lines = [f"## clinigate gate: **{_VERDICT[report.decision]}**", "",
             f"`{report.base[:12]}..{report.head[:12]}` · engine `{report.engine}`", ""]
    if report.manifests:
        lines += ["| document | class | PCCP status | regulatory action | required approvals | result |",
                  "|---|---|---|---|---|---|"]
        for m in report.manifests:
            errors = sum(f.severity is Severity.ERROR for f in m.findings)
            result = f"{errors} blocking" if errors else ("awaiting approvals" if m.missing_roles else "ok")
            lines.append(f"| `{m.path}` | {m.change_class or m.kind} | {m.pccp_status or '–'} | "
                         f"{m.regulatory_action or '–'} | {', '.join(m.required_roles) or '–'} | {result} |")
        lines.append("")
    for m in report.manifests:
        if m.findings or m.approvals:
            lines.append(f"### `{m.path}`")
            for f in m.findings:
                icon = "❌" if f.severity is Severity.ERROR else "⚠️"
                where = f" `{f.field}`:" if f.field else ""
                lines.append(f"- {icon} **{f.rule}**{where} {f.message}")
            if m.approvals:
                # Who signed and who did not count, and why (21 CFR 11.50: name and meaning shown).
                lines += ["", "Signatures:", *(_approval_item(a) for a in m.approvals)]
            lines.append("")
    return "\n".join(lines) + "\n"


CHECK_RENDERERS: dict[str, Callable[[CheckReport], str]] = {
    "text": text,
    "json": json_format,
    "markdown": markdown,
    "github": lambda r: github.render(r.as_findings()),
    "sarif": lambda r: sarif.render(r.as_findings()),
    "junit": lambda r: junit.render(r.as_findings()),
}
