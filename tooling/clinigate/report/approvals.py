"""Renderers for ``verify``: every signature with printed name, time and meaning (21 CFR 11.50)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..approvals.verdict import ApprovalVerdict
from ..approvals.verify import VerifyReport
from .text import location


def _line(verdict: ApprovalVerdict) -> list[str]:
    row = verdict.as_dict()
    when = (f"trusted: {row['time_source']}" if row["time_trusted"]
            else "claimed by the signer: no log or timestamp authority vouches for it")
    head = (f"  {'VALID  ' if verdict.valid else 'INVALID'} {row['decision'] or '?':<8} "
            f"{row['role'] or '?':<17} {row['printed_name'] or '?'} ({row['signer'] or '?'})")
    lines = [head,
             f"          time {row['time'] or '?'} ({when}) · meaning: "
             f"{row['meaning'] or '?'} · signed with {row['backend'] or '?'} as {row['identity'] or '?'}"]
    if row["reason"]:
        lines.append(f"          reason: {row['reason']}")
    if not verdict.valid:
        lines.append(f"          why invalid: [{verdict.rule}] {verdict.problem}")
    return lines


def text(report: VerifyReport) -> str:
    lines = [f"clinigate verify at {report.rev[:12]}"]
    for doc in report.documents:
        if doc.note:
            lines.append(f"\n{doc.path}  ({doc.note})")
            continue
        lines.append(f"\n{doc.path}  sha256 {doc.sha256[:16]}…")
        if not doc.verdicts:
            lines.append("  no signatures in the ledger")
        for verdict in doc.verdicts:
            lines.extend(_line(verdict))
    for problem in report.ledger_problems:
        lines.append(f"\nledger: [{problem['rule']}] {problem['message']}")
    for finding in report.trust_problems:
        where = location(finding.path, finding.line, finding.column)
        lines.append(f"\n{where}: [{finding.rule}]{' ' + finding.field + ':' if finding.field else ''} "
                     f"{finding.message}")
    total = sum(len(d.verdicts) for d in report.documents)
    bad = sum(not v.valid for d in report.documents for v in d.verdicts)
    lines.append(f"\n{total} signatures, {bad} invalid, {len(report.ledger_problems)} ledger problems, "
                 f"{len(report.trust_problems)} trust problems")
    return "\n".join(lines) + "\n"


def json_format(report: VerifyReport) -> str:
    body: dict[str, Any] = {
        "rev": report.rev, "valid": report.valid,
        "documents": [{"path": d.path, "sha256": d.sha256 or None, "note": d.note,
                       "approvals": [v.as_dict() for v in d.verdicts]} for d in report.documents],
        "ledger_problems": report.ledger_problems,
        "trust_problems": [f.to_dict() for f in report.trust_problems],
    }
    return json.dumps(body, indent=2) + "\n"


VERIFY_RENDERERS: dict[str, Callable[[VerifyReport], str]] = {"text": text, "json": json_format}
