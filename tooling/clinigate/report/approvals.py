"""Renderers for ``verify``: every signature with printed name, time and meaning (21 CFR 11.50)."""

from __future__ import annotations

import json
from typing import Any

from ..approvals.command import ApproveOutcome
from ..approvals.ledger_replication import FetchResult, PushResult
from ..approvals.listing import LedgerListing, ListedAct
from ..approvals.verdict import ApprovalVerdict
from ..approvals.verify import VerifyReport
from .protocol import Renderers
from .signatures import claim_text, person, time_label
from .text import finding_line


def _line(verdict: ApprovalVerdict) -> list[str]:
    row = verdict.as_dict()
    state = "VALID  " if verdict.valid else "INVALID"
    if verdict.statement is None:
        lines = [f"  {state} ledger entry {verdict.entry}",
                 f"          {claim_text(row['claimed'])}"]
    else:
        lines = [f"  {state} {row['decision']:<8} {row['role']:<17} "
                 f"{person(row['printed_name'], row['signer'])}",
                 f"          meaning: {row['meaning']}"
                 + (f" · signed with {row['backend']} as {row['identity']}" if row["backend"] else "")]
    lines.append(f"          {time_label(row)}")
    if row["reason"]:
        lines.append(f"          reason: {row['reason']}")
    if not verdict.valid:
        lines.append(f"          why invalid: [{verdict.rule}] {verdict.problem}")
        if verdict.statement is not None:
            lines.append(f"          ledger entry {verdict.entry}")
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
    lines.extend(f"\n{finding_line(finding, severity=False)}" for finding in report.trust_problems)
    lines.extend(f"\nmisuse: {finding_line(finding)}" for finding in report.misuse)
    total = sum(len(d.verdicts) for d in report.documents)
    bad = sum(not v.valid for d in report.documents for v in d.verdicts)
    lines.append(f"\n{total} signatures, {bad} invalid, {len(report.ledger_problems)} ledger problems, "
                 f"{len(report.trust_problems)} trust problems"
                 + (f", {len(report.misuse)} misuse events" if report.misuse else ""))
    return "\n".join(lines) + "\n"


def json_format(report: VerifyReport) -> str:
    body: dict[str, Any] = {
        "rev": report.rev, "valid": report.valid,
        "documents": [{"path": d.path, "sha256": d.sha256 or None, "note": d.note,
                       "approvals": [v.as_dict() for v in d.verdicts]} for d in report.documents],
        "ledger_problems": report.ledger_problems,
        "trust_problems": [f.to_dict() for f in report.trust_problems],
        "misuse": [f.to_dict() for f in report.misuse],
    }
    return json.dumps(body, indent=2) + "\n"


VERIFY_RENDERERS: Renderers[VerifyReport] = Renderers("the verify report",
                                                     {"text": text, "json": json_format})


# --- approve ------------------------------------------------------------------------------------


def approve_text(outcome: ApproveOutcome) -> str:
    """What was signed and where it is recorded; then the push, unless the push failed (its error follows)."""
    act = outcome.act
    pred = act.predicate
    where = f"commit {act.commit[:12]}" if act.commit else "it was already there"
    lines = [f"signed: {pred.decision.value} {act.document} as {pred.role.value} by {pred.signer.name} "
             f"({pred.signer.id}); meaning: {pred.meaning.value}",
             f"recorded in the ledger: act {act.act_id} ({where})"]
    if outcome.push_remote is None:
        lines.append("share it with: clinigate ledger push")
    elif outcome.push_failed is None:
        lines.append(f"pushed the ledger to {outcome.push_remote}")
    return "\n".join(lines) + "\n"


APPROVE_RENDERERS: Renderers[ApproveOutcome] = Renderers("the approval", {"text": approve_text})


# --- ledger list --------------------------------------------------------------------------------


def _act_row(act: ListedAct) -> dict[str, Any]:
    if act.verdict is not None:
        return act.verdict.as_dict()
    return {"valid": None, "rule": None, "problem": act.note, "role": None, "decision": None,
            "claimed_time": None, "trusted_time": None, "time_source": "claimed",
            "claimed": act.claim.as_dict() if act.claim else None}


def _act_lines(act: ListedAct) -> list[str]:
    entry, row = act.entry, _act_row(act)
    if row["role"]:
        what = f"{row['decision']} as {row['role']} by {person(row.get('printed_name'), row.get('signer'))}"
    else:
        what = claim_text(row["claimed"])
    if row["valid"] is None:
        state = f"NOT JUDGED: {act.note}"
    else:
        state = "VALID" if row["valid"] else f"INVALID: [{row['rule']}] {row['problem']}"
    return [f"{entry.document_path}  {what}", f"    {state}", f"    {time_label(row)}",
            f"    recorded {entry.committed_at.isoformat()} by ledger commit {entry.commit[:12]} "
            f"(a Git date: claimed) · act {entry.act_id} · "
            f"document sha256:{entry.document_sha256[:12]}"]


def ledger_text(listing: LedgerListing) -> str:
    lines = [f"clinigate ledger list: validity judged with the trust and roles of {listing.name} "
             f"({listing.rev[:12]})"]
    for act in listing.acts:
        lines += ["", *_act_lines(act)]
    for finding in listing.trust_problems:
        lines += ["", finding_line(finding, severity=False)]
    lines += [f"\nnot an entry: [{p.rule}] {p.message}" for p in listing.ledger_problems]
    judged = [a.verdict for a in listing.acts if a.verdict is not None]
    valid = sum(v.valid for v in judged)
    unjudged = len(listing.acts) - len(judged)
    lines += ["", f"{valid} valid, {len(judged) - valid} invalid, {unjudged} not judged at {listing.name}; "
                  f"{len(listing.trust_problems)} trust problems",
              f"{len(listing.acts)} entries" + (f", {len(listing.ledger_problems)} files that are not acts"
                                                if listing.ledger_problems else "")]
    return "\n".join(lines) + "\n"


def ledger_json(listing: LedgerListing) -> str:
    """A list, one object per entry, as before; the judgement is added to each (``judged_at`` etc.)."""
    rows = []
    for act in listing.acts:
        e, row = act.entry, _act_row(act)
        rows.append({"path": e.path, "document": e.document_path, "model": e.model, "key": e.key,
                     "document_sha256": e.document_sha256, "act_id": e.act_id,
                     "commit": e.commit, "committed_at": e.committed_at.isoformat(), "bundle": e.text,
                     **{k: v for k, v in row.items() if k not in _ENTRY_KEYS}, "judged_at": listing.rev,
                     "note": act.note})
    return json.dumps(rows, indent=2) + "\n"


_ENTRY_KEYS = frozenset({"entry", "act_id"})  # already given by the entry itself

LEDGER_RENDERERS: Renderers[LedgerListing] = Renderers("the ledger listing",
                                                    {"text": ledger_text, "json": ledger_json})



# --- ledger fetch / push --------------------------------------------------------------------------


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(empty)"


def fetch_text(result: FetchResult) -> str:
    if result.remote_tip is None:
        return f"{result.remote} has no ledger yet; local ledger at {_short(result.local_tip)}\n"
    replayed = f", {result.replayed} local commits replayed on top" if result.replayed else ""
    return (f"fetched {result.remote}: ledger at {_short(result.remote_tip)}, "
            f"local at {_short(result.local_tip)}{replayed}\n")


def push_text(result: PushResult) -> str:
    if not result.pushed:
        return f"{result.remote} is up to date: ledger at {_short(result.tip)}\n"
    return f"pushed the ledger to {result.remote}: now at {_short(result.tip)}\n"


FETCH_RENDERERS: Renderers[FetchResult] = Renderers("the ledger fetch", {"text": fetch_text})
PUSH_RENDERERS: Renderers[PushResult] = Renderers("the ledger push", {"text": push_text})
