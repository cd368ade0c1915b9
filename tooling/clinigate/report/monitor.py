"""``clinigate monitor`` as text or JSON."""

from __future__ import annotations

import json

from ..evidence.monitor import MonitorOutcome
from ..manifest.monitoring_report import CITATION_PREFIX
from .protocol import Renderers


def text(outcome: MonitorOutcome) -> str:
    r = outcome.report
    lines = [f"{r.model} {r.version}: {r.current.used:,} production cases ({r.current.file}) against "
             f"{r.reference.used:,} reference cases ({r.reference.file})", "", "drift (PSI):"]
    lines += [f"  {'BREACH' if d.breached else 'ok':6} {d.feature:<32} {d.psi:.3f} (threshold {d.threshold})"
              for d in r.drift]
    lines += ["", "AUROC now against validated:"]
    for p in r.performance:
        where = "overall" if p.attribute is None else f"{p.attribute.value}={p.group}"
        now = f"{p.auc_roc:.3f}" if p.auc_roc is not None else "n/a"
        then = f"{p.validated_auc_roc:.3f}" if p.validated_auc_roc is not None else "not validated"
        lines.append(f"  {'BREACH' if p.breached else 'ok':6} {where:<40} n={p.n:<7} {now} vs {then}")
    lines.append("")
    if r.triggers:
        lines.append(f"{len(r.triggers)} trigger(s) breached:")
        lines += [f"  {t.what}: starts {t.starts.value}" + (f" ({t.modification})" if t.modification else "")
                  for t in r.triggers]
    else:
        lines.append("no trigger breached")
    lines += ["", f"wrote {outcome.relpath}",
              f"cite it from the version that answers it: change.problem_reports: [{CITATION_PREFIX}{r.id}]"]
    return "\n".join(lines) + "\n"


def json_format(outcome: MonitorOutcome) -> str:
    doc = outcome.report.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps({"path": outcome.relpath, "breached": outcome.breached, "report": doc}, indent=2) + "\n"


MONITOR_RENDERERS: Renderers[MonitorOutcome] = Renderers("the monitoring report",
                                                        {"text": text, "json": json_format})
