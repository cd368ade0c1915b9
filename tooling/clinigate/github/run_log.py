"""The approval workflow's commands (``github record-reviews``, ``gate-status``, ``code-scanning``,
``review-line``) as the run log shows them: one block per pull request, every review with its
outcome and rule."""

from __future__ import annotations

from ..report.protocol import Renderers
from .record import ReviewOutcome
from .review_check import ReviewLines
from .workflow_run import FindingsUploaded, GateStatusPosted, NoPullRequest, ReviewsRecorded

NOTHING_TO_DO = "the event points at no open pull request: nothing to do\n"


def _outcome_line(o: ReviewOutcome) -> str:
    what = " ".join(x for x in (o.decision, f"as {o.role}" if o.role else None, o.document) if x)
    return (f"  review {o.review_id} by {o.reviewer}: {o.status}{' ' + what if what else ''} "
            f"[{o.rule}] {o.message}" + (f" (act {o.act_id})" if o.act_id else ""))


def reviews_text(result: NoPullRequest | ReviewsRecorded) -> str:
    if isinstance(result, NoPullRequest):
        return NOTHING_TO_DO
    number, run = result.number, result.run
    if run.pull.state != "open":
        return f"#{number} is {run.pull.state}: nothing recorded\n"
    lines = [f"#{number} at {run.pull.head_sha[:12]}, judged by {result.branch} at {run.rules_rev[:12]}:",
             *(_outcome_line(o) for o in run.outcomes)]
    if not run.outcomes:
        lines.append("  no review carries a 'clinigate: approve as <role> — <reason>' line yet")
    lines.append(f"  {len(run.signed)} act(s) signed" + ("; publish with: clinigate ledger push"
                                                         if run.signed else ""))
    return "\n".join(lines) + "\n"


def gate_text(result: NoPullRequest | GateStatusPosted) -> str:
    if isinstance(result, NoPullRequest):
        return NOTHING_TO_DO
    number, posted = result.number, result.posted
    if posted.decision is None:
        return f"#{number}: {posted.description}\n"
    return f"#{number} at {posted.pull.head_sha[:12]}: clinigate/gate {posted.state}: {posted.description}\n"


def scan_text(result: NoPullRequest | FindingsUploaded) -> str:
    if isinstance(result, NoPullRequest):
        return NOTHING_TO_DO
    return (f"#{result.number} at {result.pull.head_sha[:12]}: {result.count} finding(s) sent to code "
            f"scanning (upload {result.upload or '?'})\n")


REVIEWS_RENDERERS: Renderers[NoPullRequest | ReviewsRecorded] = Renderers(
    "the recorded reviews", {"text": reviews_text})
GATE_RENDERERS: Renderers[NoPullRequest | GateStatusPosted] = Renderers(
    "the gate status", {"text": gate_text})
SCAN_RENDERERS: Renderers[NoPullRequest | FindingsUploaded] = Renderers(
    "the code scanning upload", {"text": scan_text})


def review_lines_text(result: ReviewLines) -> str:
    return "".join(f"{line.text}\n" for line in result.lines)


def review_lines_github(result: ReviewLines) -> str:
    """Workflow annotations on the run: a notice for a line that reads, an error for one that does not."""
    return "".join(f"::{'notice' if line.ok else 'error'} title=clinigate review line::{line.text}\n"
                   for line in result.lines)


REVIEW_LINES_RENDERERS: Renderers[ReviewLines] = Renderers(
    "the review's lines", {"text": review_lines_text, "github": review_lines_github})
