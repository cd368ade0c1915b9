"""Renderers for ``check``: text for people, JSON (DESIGN §9), markdown for a PR job summary;
github, sarif and junit reuse the plain-findings renderers."""

from __future__ import annotations

import json
from collections.abc import Callable

from ..findings import Severity
from ..policy.decision import ApprovalRecord, DocumentDecision, GateDecision, HeadPreview
from . import github, junit, sarif, subgroup_delta
from .markdown import markdown_code, markdown_text
from .protocol import Renderers
from .signatures import claim_text, person, time_label
from .tables import check_table
from .text import location

_VERDICT = {"pass": "PASS", "fail": "FAIL", "pending": "PENDING (approvals missing)"}


def _classification(m: DocumentDecision) -> str:
    if m.change_class is None and m.pccp_status is None:
        return m.kind
    return f"{m.change_class or m.kind} · {m.pccp_status} · regulatory action: {m.regulatory_action}"


def head_line(report: GateDecision) -> str:
    """What was compared, by whose rules, on which engine: the first line of every text rendering."""
    return (f"clinigate check {report.merge_base[:12]}...{report.head[:12]} "
            f"(rules of {report.rules_rev[:12]}, engine: {report.engine})")


def text(report: GateDecision) -> str:
    lines = [head_line(report)]
    for m in report.manifests:
        lines.append(f"\n{m.path}\n  {_classification(m)}")
        for f in m.findings:
            label = "deny" if f.severity is Severity.ERROR else "warn"
            field = f" {f.field}:" if f.field else ""
            lines.append(f"  {label} {location(f.path or m.path, f.line, f.column)}: [{f.rule}]{field} "
                         f"{f.message}")
        for w in m.waived:
            field = f" {w.field}:" if w.field else ""
            lines.append(f"  waived {location(m.path, w.line, None)}: [{w.rule}]{field} {w.message} "
                         f"(waived by {w.waiver} until {w.expires})")
        if m.required_roles:
            lines.append(f"  required approvals: {', '.join(m.required_roles)}"
                         f" (missing: {', '.join(m.missing_roles) or 'none'})")
        lines.extend(_approval_line(a) for a in m.approvals)
    if not report.manifests:
        lines.append("\nno registry documents changed")
    lines.extend(_preview_lines(report.head_preview))
    lines.append(f"\ndecision: {report.decision}")
    return "\n".join(lines) + "\n"


def _preview_lines(preview: HeadPreview | None) -> list[str]:
    """The pull request's own policies: exercised and shown, never deciding (DESIGN §13)."""
    if preview is None:
        return []
    lines = ["\nthe change's own policies (shown only; the base revision's rules decide):"]
    if preview.error:
        return [*lines, f"  cannot be used: {preview.error}"]
    lines.append(f"  their Rego tests: {preview.tests_summary}")
    lines.extend(f"    {problem}" for problem in preview.problems)
    lines.extend(f"  they would decide {verdict}: {path}"
                 for path, verdict in sorted(preview.decisions.items()))
    return lines


def _who(approval: ApprovalRecord, quote: Callable[[str], str] = str) -> str:
    """Role and printed name of an act; for one that did not verify, what it claims, so labelled."""
    if approval.role:
        return f"{approval.role} by {person(approval.printed_name, approval.signer)}"
    entry = quote(approval.entry or "(unnamed)")
    return f"ledger entry {entry}; {claim_text(approval.claimed, quote)}"


def _standing(approval: ApprovalRecord) -> str:
    """``counted``, ``not counted`` (it did not verify, or a rule refused it) or ``not an approval``."""
    return "counted" if approval.valid else "not counted" if approval.rule else "not an approval"


def _manifestation(approval: ApprovalRecord) -> str:
    """Meaning and times of a verified act (21 CFR 11.50); what an unverified one claims is in _who."""
    row = approval.model_dump()
    return f"meaning: {approval.meaning} · {time_label(row)}"


def _approval_line(approval: ApprovalRecord) -> str:
    who, standing = _who(approval), _standing(approval)
    if standing == "not counted":
        head = f"  not counted: {who}: [{approval.rule}] {approval.problem}"
    else:
        note = " (not an approval)" if standing != "counted" else ""
        head = f"  signed: {who}: {approval.decision}{note}"
    return f"{head}\n    {_manifestation(approval)}" if approval.meaning else head


def _approval_item(approval: ApprovalRecord) -> str:
    who, standing = _who(approval, markdown_code), _standing(approval)
    shown = f" ({markdown_text(_manifestation(approval))})" if approval.meaning else ""
    if standing == "not counted":
        return f"- ❌ not counted: {who}: **{approval.rule}** {approval.problem}{shown}"
    if standing == "counted":
        return f"- ✅ {who}: {approval.decision}{shown}"
    return f"- ➖ {who}: {approval.decision} (not an approval){shown}"


def json_format(report: GateDecision) -> str:
    preview = report.head_preview.model_dump() if report.head_preview else None
    return json.dumps({"decision": report.decision, "base": report.base, "head": report.head,
                       "merge_base": report.merge_base, "rules_rev": report.rules_rev,
                       "manifests": [m.to_dict() for m in report.manifests],
                       "head_policies_not_deciding": preview}, indent=2) + "\n"


def markdown(report: GateDecision) -> str:
    lines = [f"## clinigate gate: **{_VERDICT[report.decision]}**", "",
             f"`{report.merge_base[:12]}...{report.head[:12]}` · judged by the rules of "
             f"`{report.rules_rev[:12]}` · engine `{report.engine}`", ""]
    if report.manifests:
        lines += ["| document | class | PCCP status | regulatory action | required approvals | result |",
                  "|---|---|---|---|---|---|"]
        for m in report.manifests:
            errors = sum(f.severity is Severity.ERROR for f in m.findings)
            result = f"{errors} blocking" if errors else ("awaiting approvals" if m.missing_roles else "ok")
            result += f", {len(m.waived)} waived" if m.waived else ""
            lines.append(f"| `{m.path}` | {m.change_class or m.kind} | {m.pccp_status or '–'} | "
                         f"{m.regulatory_action or '–'} | {', '.join(m.required_roles) or '–'} | {result} |")
        lines.append("")
    for m in report.manifests:
        lines.extend(_document_section(m))
    preview = _preview_lines(report.head_preview)
    if preview:
        lines += ["### The change's own policies (shown, not deciding)", "", "```",
                  *(p.strip() for p in preview[1:]), "```", ""]
    return "\n".join(lines) + "\n"


def _document_section(m: DocumentDecision) -> list[str]:
    if not (m.findings or m.waived or m.approvals or m.production_comparison):
        return []
    lines = [f"### `{m.path}`"]
    for f in m.findings:
        icon = "❌" if f.severity is Severity.ERROR else "⚠️"
        where = f" `{f.field}`:" if f.field else ""
        # Messages quote manifests (a subgroup's name in a gap finding): inert, like the table.
        lines.append(f"- {icon} **{f.rule}**{where} {markdown_text(f.message)}")
    for w in m.waived:
        where = f" `{w.field}`:" if w.field else ""
        lines.append(f"- 🟡 waived **{w.rule}**{where} {markdown_text(w.message)} (waived by "
                     f"{markdown_code(w.waiver)} until {markdown_code(w.expires)})")
    if m.production_comparison:
        # How the version performs per subgroup against what patients are scored by today.
        lines += ["", *subgroup_delta.markdown_lines(m.production_comparison, m.model or "the model")]
    if m.approvals:
        # Who signed and who did not count, and why (21 CFR 11.50: name and meaning shown).
        lines += ["", "Signatures:", *(_approval_item(a) for a in m.approvals)]
    return [*lines, ""]


def github_commands(report: GateDecision) -> str:
    """Annotations for the findings, a notice per version still awaiting approvals, and the gate's
    decision last: the line a reader of the job log looks for."""
    findings = report.as_findings()
    lines = github.finding_commands(findings)
    lines += [github.notice(m.path, f"approvals missing: {', '.join(m.missing_roles)}")
              for m in report.manifests if m.missing_roles and not m.blocked]
    lines.append(f"clinigate check: decision: {report.decision} ({len(findings.errors)} denied, "
                 f"{len(findings.warnings)} warnings, {len(report.manifests)} documents)")
    return "\n".join(lines) + "\n"


CHECK_RENDERERS: Renderers[GateDecision] = Renderers("the gate decision", {
    "text": text,
    "json": json_format,
    "markdown": markdown,
    "github": github_commands,
    "sarif": lambda r: sarif.render(r.as_findings()),
    "junit": lambda r: junit.render(r.as_findings(), suite="clinigate.check"),
}, interactive=check_table)
