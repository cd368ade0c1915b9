"""``audit timeline``, ``audit at`` and ``audit export --pccp`` rendered: text, json, csv, markdown.

Every time is labelled with who vouches for it: a commit time is *claimed by Git* (anyone can
write it), a signature's time is *trusted* only when a Sigstore log or an RFC 3161 TSA vouches
for it (report/signatures.py), else claimed by the signer.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from ..audit.answers import Modifications, Timeline
from ..audit.query import Deployed, Evidence, InForce, Modification
from .markdown import markdown_code
from .protocol import Renderers
from .signatures import person, time_label

APPLIED_SOURCE = "claimed by sync (its clock)"


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deployed_dict(item: Deployed) -> dict[str, Any]:
    event, evidence = item.event, item.evidence
    return {
        "model": event.model, "environment": event.env, "before": event.before, "after": event.after,
        "rollback": event.rollback, "commit": event.landing.commit,
        "committed_at": utc(event.landing.at), "time_source": "claimed by Git (committer date)",
        "pull_request": event.landing.pull_request, "subject": event.landing.subject,
        "rationale": event.rationale,
        "evidence": _evidence_dict(evidence) if evidence else None,
        **({"applied_in_mlflow": {"at": item.applied.at, "commit": item.applied.commit,
                                  "time_source": APPLIED_SOURCE}} if item.applied else {}),
    }


def _evidence_dict(evidence: Evidence) -> dict[str, Any]:
    return {"version": evidence.version, "change_class": evidence.change_class,
            "pccp_status": evidence.pccp_status, "approvals": evidence.approvals,
            "release_approvals": evidence.release_approvals, "validation": evidence.validation,
            "problem": evidence.problem}


def timeline_json(timeline: Timeline) -> str:
    """With MLflow asked (``--tracking-uri``), a change it holds no time for says so (null)."""
    rows = [{**deployed_dict(i), **({"applied_in_mlflow": None} if timeline.mlflow and not i.applied else {})}
            for i in timeline.deployments]
    return json.dumps({"model": timeline.model, "deployments": rows}, indent=2) + "\n"


def timeline_text(timeline: Timeline) -> str:
    if not timeline.deployments:
        return f"{timeline.model}: no deployment on this history\n"
    return "".join(_text_entry(i, timeline.mlflow) for i in timeline.deployments)


def _applied(item: Deployed) -> str:
    if item.applied is None:
        return "not recorded (MLflow keeps the last time an environment was put on a version)"
    return f"{item.applied.at} ({APPLIED_SOURCE}), sync of {item.applied.commit[:12]}"


def at_json(answer: InForce) -> str:
    body = {"model": answer.model, "environment": answer.env, "at": utc(answer.moment),
            "in_force": deployed_dict(answer.deployed) if answer.deployed else None}
    return json.dumps(body, indent=2) + "\n"


def at_text(answer: InForce) -> str:
    when = utc(answer.moment)
    if answer.deployed is None:
        return f"{answer.model} {answer.env} at {when}: none (nothing was deployed there yet)\n"
    event = answer.deployed.event
    head = (f"{answer.model} {answer.env} at {when}: {event.after}, in force since {utc(event.landing.at)} "
            f"(claimed by Git), authorised by commit {event.landing.commit[:12]}"
            + (f" (pull request #{event.landing.pull_request})" if event.landing.pull_request else "") + "\n")
    return head + _text_details(answer.deployed)


def _text_entry(item: Deployed, mlflow: bool = False) -> str:
    event = item.event
    moved = f"{event.before or '(none)'} -> {event.after or '(none)'}"
    pr = f" · PR #{event.landing.pull_request}" if event.landing.pull_request else ""
    mark = "  ROLLBACK" if event.rollback else ""
    head = (f"{utc(event.landing.at)} (claimed by Git)  {event.env}: {moved}{mark}\n"
            f"  commit {event.landing.commit[:12]}{pr} · {event.landing.subject}\n")
    applied = f"  applied in MLflow: {_applied(item)}\n" if mlflow and event.after else ""
    return head + applied + _text_details(item) + "\n"


def _text_details(item: Deployed) -> str:
    lines = []
    if item.event.rationale:
        lines.append(f"  rationale: {' '.join(item.event.rationale.split())}")
    evidence = item.evidence
    if evidence is None:
        return "\n".join(lines) + "\n" if lines else ""
    klass = " · ".join(x for x in (evidence.change_class, evidence.pccp_status) if x) or "not judged"
    problem = f" ({evidence.problem})" if evidence.problem else ""
    lines.append(f"  version {evidence.version}: {klass}{problem}")
    if evidence.validation:
        v = evidence.validation
        lines.append(f"  validation: {v['dataset']}, n={v['n']}, AUC {v['auc_roc']:.3f}, "
                     f"{v['subgroups']} subgroups (lowest AUC {v['lowest_subgroup_auc']:.3f})")
    for label, acts in (("version", evidence.approvals), ("release", evidence.release_approvals)):
        for act in acts:
            lines.append(f"  {label} {_act_line(act)}")
    if not evidence.approvals and not evidence.release_approvals:
        lines.append("  approvals: none on the ledger")
    return "\n".join(lines) + "\n"


def _act_line(act: dict[str, Any]) -> str:
    state = "VALID  " if act["valid"] else f"INVALID [{act['rule']}]"
    who = person(act.get("printed_name"), act.get("signer"))
    return (f"{state} {act.get('decision') or '?'} {act.get('role') or '?'} by {who}; "
            f"meaning: {act.get('meaning') or '?'}; {time_label(act)}")


def _approvers(acts: list[dict[str, Any]]) -> str:
    """The valid acts, one phrase each: who, in what role, meaning what, when (and who says so)."""
    def when(act: dict[str, Any]) -> str:
        return f"trusted {act['trusted_time']}" if act["trusted_time"] else f"claimed {act['claimed_time']}"
    return "; ".join(f"{person(a.get('printed_name'), a.get('signer'))} as {a.get('role')} "
                     f"({a.get('meaning')}, {when(a)})" for a in acts if a["valid"])


def timeline_csv(timeline: Timeline) -> str:
    items, mlflow = timeline.deployments, timeline.mlflow
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["committed_at_claimed", "environment", "before", "after", "rollback", "commit",
                     "pull_request", "change_class", "pccp_status", "version_approvers", "release_approvers",
                     "rationale", *(["applied_in_mlflow_claimed_by_sync"] if mlflow else [])])
    for item in items:
        event, ev = item.event, item.evidence
        judged = [ev.change_class or "", ev.pccp_status or "", _approvers(ev.approvals),
                  _approvers(ev.release_approvals)] if ev else ["", "", "", ""]
        writer.writerow([utc(event.landing.at), event.env, event.before or "", event.after or "",
                         "yes" if event.rollback else "", event.landing.commit,
                         event.landing.pull_request or "", *judged,
                         " ".join((event.rationale or "").split()),
                         *([item.applied.at if item.applied else ""] if mlflow else [])])
    return out.getvalue()


def timeline_markdown(timeline: Timeline) -> str:
    model, items, mlflow = timeline.model, timeline.deployments, timeline.mlflow
    extra = " applied in MLflow (claimed by sync) |" if mlflow else ""
    header = "| committed (claimed by Git) | environment | change | commit | PR | class · PCCP | approvers |"
    rows = [f"## Deployment history of {markdown_code(model)}", "", header + extra,
            "|---|---|---|---|---|---|---|" + ("---|" if mlflow else "")]
    for item in items:
        event, ev = item.event, item.evidence
        change = f"{event.before or '(none)'} → {event.after or '(none)'}"
        change += " **rollback**" if event.rollback else ""
        klass = " · ".join(x for x in ((ev.change_class, ev.pccp_status) if ev else ()) if x)
        approvers = _approvers(ev.approvals + ev.release_approvals) if ev else ""
        shown = markdown_code(approvers) if approvers else ""
        applied = (f" {item.applied.at if item.applied else 'not recorded'} |" if mlflow else "")
        rows.append(f"| {utc(event.landing.at)} | {event.env} | {change} | `{event.landing.commit[:12]}` | "
                    f"{event.landing.pull_request or ''} | {klass} | {shown} |{applied}")
    return "\n".join(rows) + "\n"


EXPORT_COLUMNS = ["version", "merged_at_claimed", "commit", "pull_request", "modification_id", "summary",
                  "declared_class", "change_class", "pccp_status", "regulatory_action", "approvals",
                  "first_production_at_claimed", "judged"]


def modification_row(item: Modification) -> dict[str, Any]:
    event, ev = item.event, item.evidence
    first = item.first_production
    return {"version": event.version, "merged_at_claimed": utc(event.landing.at),
            "commit": event.landing.commit, "pull_request": event.landing.pull_request,
            "modification_id": item.modification_id, "summary": item.summary,
            "declared_class": item.declared_class, "change_class": ev.change_class,
            "pccp_status": ev.pccp_status, "regulatory_action": ev.regulatory_action,
            "approvals": _approvers(ev.approvals),
            "first_production_at_claimed": utc(first.landing.at) if first else None,
            "judged": "yes" if ev.problem is None else f"no: {ev.problem}"}


def export_json(export: Modifications) -> str:
    """The modifications made under the PCCP, one object per merged version."""
    return json.dumps({"model": export.model, "time_source": "merge times are Git committer dates (claimed)",
                       "modifications": [modification_row(i) for i in export.items]}, indent=2) + "\n"


def export_csv(export: Modifications) -> str:
    """The modifications made under the PCCP, one row per merged version, for the submission's tables."""
    out = io.StringIO()
    writer = csv.DictWriter(out, EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows = (modification_row(i) for i in export.items)
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return out.getvalue()


TIMELINE_RENDERERS: Renderers[Timeline] = Renderers("the audit timeline", {
    "text": timeline_text, "json": timeline_json, "csv": timeline_csv, "markdown": timeline_markdown})
AT_RENDERERS: Renderers[InForce] = Renderers("the version in force", {"text": at_text, "json": at_json})
EXPORT_RENDERERS: Renderers[Modifications] = Renderers("the PCCP export",
                                                       {"csv": export_csv, "json": export_json})
