"""``audit verify``, ``audit checkpoint`` and ``audit export --bundle`` rendered.

The history check is a findings report like validate's, in the same formats (its junit suite
named clinigate.audit), its text ending with the line that says what was checked.
"""

from __future__ import annotations

from ..audit.answers import HistoryCheck
from ..audit.bundles import BundleExport
from ..audit.checkpointing import CheckpointOutcome
from . import RENDERERS, junit
from .protocol import Renderers


def history_text(check: HistoryCheck) -> str:
    since = f" since {check.since}" if check.since else ""
    return (RENDERERS["text"](check.report) + f"audit verify: {check.branch} at {check.tip[:12]}{since}: "
            f"{len(check.report.findings)} finding(s)\n")


HISTORY_RENDERERS: Renderers[HistoryCheck] = Renderers("the history check", {
    "text": history_text,
    "json": lambda c: RENDERERS["json"](c.report),
    "github": lambda c: RENDERERS["github"](c.report),
    "sarif": lambda c: RENDERERS["sarif"](c.report),
    "junit": lambda c: junit.render(c.report, suite="clinigate.audit"),
})


def checkpoint_text(outcome: CheckpointOutcome) -> str:
    """The checkpoint written; then the push, unless it failed (its error follows)."""
    from ..audit.checkpoint import CHECKPOINTS_REF

    record = outcome.record
    ledger = record.predicate.ledger[:12] if record.predicate.ledger else "(none)"
    text = f"checkpoint {record.path}: {outcome.branch} at {record.predicate.main[:12]}, ledger at {ledger}\n"
    if outcome.push_remote and outcome.push_failed is None:
        text += f"pushed {CHECKPOINTS_REF} to {outcome.push_remote}\n"
    return text


CHECKPOINT_RENDERERS: Renderers[CheckpointOutcome] = Renderers("the checkpoint", {"text": checkpoint_text})


def bundle_text(export: BundleExport) -> str:
    total, left = len(export.approvals), len(export.skipped)
    out = export.folder
    return (f"exported {total} approval act(s) of {export.rev} at {export.commit[:12]} to {out}\n"
            f"  {total - left} verifiable with stock Sigstore tools; {left} not (VERIFY.md says why)\n"
            f"  next: read {out / 'VERIFY.md'} and run its commands from {out}\n")


BUNDLE_RENDERERS: Renderers[BundleExport] = Renderers("the approvals export", {"text": bundle_text})
