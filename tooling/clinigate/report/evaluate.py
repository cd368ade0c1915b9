"""``clinigate evaluate`` as text (a table a reviewer reads) or JSON (the evidence record)."""

from __future__ import annotations

from .. import __version__
from ..evidence.evaluate import GroupResult
from ..evidence.record import record_text
from ..evidence.run import Outcome
from .protocol import Renderers


def _cell(g: GroupResult) -> str:
    auc = f"{g.auc.auc:.4f} [{g.auc.ci95[0]:.4f}, {g.auc.ci95[1]:.4f}]" if g.auc else "no AUC (one class)"
    c = g.confusion
    rates = "  ".join(f"{name} {p.estimate:.3f}" if p.estimate is not None else f"{name} -"
                      for name, p in (("sens", c.sensitivity), ("spec", c.specificity), ("ppv", c.ppv),
                                      ("npv", c.npv)))
    return f"n={g.n:<8} prev {g.prevalence:.4f}  AUC {auc}  {rates}"


def text(outcome: Outcome) -> str:
    ev = outcome.evaluation
    p, spec = ev.predictions, ev.spec
    lines = [f"{p.source}: {p.rows:,} rows, {p.labels.size:,} used "
             f"({p.missing_label:,} without a {spec.label}, {p.missing_score:,} without a {spec.score}); "
             f"sha256 {p.sha256}",
             f"threshold {spec.threshold} (a score at or above it is a positive call); AUC intervals: "
             f"{'DeLong' if spec.ci_method == 'delong' else f'bootstrap, {spec.resamples} resamples'}",
             ""]
    names = ["overall"] + [f"{g.attribute}={g.group}" for g in ev.subgroups]
    width = min(max(map(len, names)), 40)
    lines.append(f"  {'overall':<{width}}  {_cell(ev.overall)}")
    for name, g in zip(names[1:], ev.subgroups, strict=True):
        flag = f"   below the PCCP minimum n={ev.min_subgroup_n}" if g.below_min_n else ""
        lines.append(f"  {name:<{width}}  {_cell(g)}{flag}")
    if ev.small_groups:
        lines += ["", f"{len(ev.small_groups)} group(s) below the PCCP minimum n={ev.min_subgroup_n}: "
                  "recorded, and judged by the gate"]
    lines += [""] + [f"wrote {path}" for path in outcome.written]
    return "\n".join(lines).rstrip() + "\n"


def json_format(outcome: Outcome) -> str:
    return record_text(outcome.evaluation, version=__version__)


EVALUATE_RENDERERS: Renderers[Outcome] = Renderers("the evaluation", {"text": text, "json": json_format})
