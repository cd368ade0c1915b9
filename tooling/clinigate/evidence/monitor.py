"""``clinigate monitor``: production predictions against a version's validated baseline (DESIGN §14).

Input drift is the PSI of the score and of each input feature present in both files (numeric
features binned at the reference's deciles, others by category); performance is the AUC now,
overall and for each subgroup the version's monitoring plan tracks, against the manifest's
validated value, judged by ``monitoring.performance.max_drop``. Every breached trigger names the
PCCP change class it opens; the plan's retraining class is ``data_update`` (the same model
retrained on fresh data), and a plan that does not authorise it is said so in the trigger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import layout
from .._internal.files import repo_relative, write_text_atomically
from ..errors import UsageError
from ..manifest.monitoring_report import Drift, MonitoringReport, Performance, ReportId, Trigger
from ..manifest.pccp import PCCP
from ..manifest.values import ChangeClass, ModelName
from ..manifest.version import ModelVersion
from .evaluate import Evaluation, GroupResult, Spec, evaluate
from .predictions import DEFAULT_MAX_BYTES, Predictions, read_predictions

RETRAINING = ChangeClass.DATA_UPDATE


@dataclass(frozen=True)
class MonitorRequest:
    reference: Path
    current: Path
    model: str
    version: str | None = None
    label: str = "label"
    score: str = "score"
    report_id: str | None = None
    today: dt.date | None = None
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class MonitorOutcome:
    report: MonitoringReport
    relpath: str

    @property
    def breached(self) -> bool:
        return bool(self.report.triggers)


def run_monitor(repo: Path, request: MonitorRequest) -> MonitorOutcome:
    from ..manifest.loader import load_file

    _check_names(request)
    version, manifest = _manifest(repo, request)
    pccp_loaded = load_file(repo, layout.pccp_path(request.model))
    pccp = pccp_loaded.document if isinstance(pccp_loaded.document, PCCP) else None
    today = request.today or dt.date.today()
    report_id = request.report_id or f"{today.isoformat()}-{version}"
    relpath = layout.monitoring_report_path(request.model, report_id)
    if (repo / relpath).exists():
        raise UsageError(f"{relpath} already exists; nothing was written", hint="pass another --id")
    attributes = [a.value for a in manifest.monitoring.subgroups]
    read = {name: read_predictions(path, label=request.label, score=request.score, subgroups=attributes,
                                   shown=repo_relative(repo, path) or str(path), max_bytes=request.max_bytes)
            for name, path in (("reference", request.reference), ("current", request.current))}
    spec = Spec(request.label, request.score, manifest.validation.overall.threshold, tuple(attributes))
    current = evaluate(read["current"], spec)
    drift = _drift(manifest, read["reference"], read["current"], request)
    performance = _performance(manifest, current)
    data: dict[str, Any] = {
        "apiVersion": "clinigate/v1", "kind": "MonitoringReport", "id": report_id, "model": request.model,
        "version": version, "created": today.isoformat(),
        "reference": _input(read["reference"]), "current": _input(read["current"]),
        "drift": [d.model_dump(mode="json") for d in drift],
        "performance": [p.model_dump(mode="json", exclude_none=True) for p in performance],
        "calibration_slope": {"validated": manifest.validation.overall.calibration_slope,
                              **({"current": current.overall.calibration_slope}
                                 if current.overall.calibration_slope is not None else {})},
        "triggers": [t.model_dump(mode="json", exclude_none=True)
                     for t in _triggers(drift, performance, pccp)],
    }
    report = MonitoringReport.model_validate(data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    write_text_atomically(repo / relpath, layout.schema_comment(relpath) + text)
    return MonitorOutcome(report, relpath)


def _check_names(request: MonitorRequest) -> None:
    """--model and --id become path segments: only the names the schema allows (no ../, no /)."""
    from pydantic import TypeAdapter, ValidationError

    for option, kind, value in (("--model", ModelName, request.model), ("--id", ReportId, request.report_id)):
        if value is None:
            continue
        try:
            TypeAdapter(kind).validate_python(value)
        except ValidationError:
            raise UsageError(f"{option} {value!r} is not a valid name",
                             hint="a model folder is lower-case kebab-case; a report id is letters, digits, "
                                  "'.', '_' and '-' (e.g. 2026-q4)") from None


def _manifest(repo: Path, request: MonitorRequest) -> tuple[str, ModelVersion]:
    from ..manifest.deployment import Deployment
    from ..manifest.loader import load_file

    if not (repo / layout.model_dir(request.model)).is_dir():
        raise UsageError(f"--model {request.model}: no folder {layout.model_dir(request.model)}/")
    version = request.version
    if version is None:
        deployment = load_file(repo, layout.deployment_path(request.model)).document
        if isinstance(deployment, Deployment):
            version = next((t.version for env, t in deployment.environments.items()
                            if env.value == "production"), None)
    if version is None:
        raise UsageError(f"{request.model} has no version in production", hint="name one with --version")
    loaded = load_file(repo, layout.version_path(request.model, version))
    if not isinstance(loaded.document, ModelVersion):
        raise UsageError(f"{layout.version_path(request.model, version)} is missing or invalid",
                         hint="run clinigate validate on it")
    return version, loaded.document


def _input(p: Predictions) -> dict[str, Any]:
    return {"file": p.source[-200:], "sha256": p.sha256, "rows": p.rows, "used": int(p.labels.size)}


def _drift(manifest: ModelVersion, reference: Predictions, current: Predictions,
           request: MonitorRequest) -> list[Drift]:
    from .drift import psi

    threshold = manifest.monitoring.drift.threshold
    values = {"score": psi(reference.scores, current.scores)}
    features = _features(request, list(manifest.training.features.names))
    values |= features
    return [Drift(feature=name, psi=round(v, 6), threshold=threshold, breached=v > threshold)
            for name, v in values.items()]


def _features(request: MonitorRequest, names: list[str]) -> dict[str, float]:
    """PSI of each training feature that both files carry as a column."""
    from .drift import psi
    from .predictions import read_columns

    both = read_columns(request.reference, names), read_columns(request.current, names)
    out = {}
    for name in names:
        ref, cur = both[0].get(name), both[1].get(name)
        if ref is not None and cur is not None and ref.size and cur.size:
            out[name] = psi(ref, cur)
    return out


def _performance(manifest: ModelVersion, current: Evaluation) -> list[Performance]:
    max_drop = manifest.monitoring.performance.max_drop
    validated = {(s.attribute.value, s.group): s.auc_roc for s in manifest.validation.subgroups}
    rows = [_row(current.overall, manifest.validation.overall.auc_roc, max_drop)]
    rows += [_row(g, validated.get((g.attribute or "", g.group or "")), max_drop) for g in current.subgroups]
    return rows


def _row(g: GroupResult, validated: float | None, max_drop: float) -> Performance:
    """A breach is a drop beyond the plan's ``max_drop`` that is not sampling noise: the validated
    value lies above the current 95% interval (a 2,000-case subgroup moves by 0.03 by chance)."""
    auc = round(g.auc.auc, 4) if g.auc else None
    ci95 = [round(g.auc.ci95[0], 4), round(g.auc.ci95[1], 4)] if g.auc else None
    drop = round(validated - auc, 4) if validated is not None and auc is not None else None
    breached = drop is not None and drop > max_drop and ci95 is not None and validated is not None \
        and validated > ci95[1]
    return Performance(attribute=g.attribute, group=g.group, n=g.n, auc_roc=auc, ci95=ci95,
                       validated_auc_roc=validated, drop=drop, max_drop=max_drop, breached=breached)


def _triggers(drift: list[Drift], performance: list[Performance], pccp: PCCP | None) -> list[Trigger]:
    plan = pccp.change_classes.get(RETRAINING) if pccp else None
    modification = plan.description.split(". ")[0].strip() if plan else None
    if plan is not None and not plan.authorised:
        modification = f"{RETRAINING.value} is not authorised by the PCCP: a new submission is needed"
    out = []
    for d in (d for d in drift if d.breached):
        out.append(Trigger(on="drift", what=f"PSI of {d.feature} is {d.psi:.3f}, above {d.threshold}",
                           starts=RETRAINING, modification=modification))
    for p in (p for p in performance if p.breached):
        where = "overall" if p.attribute is None else f"{p.attribute.value}={p.group}"
        out.append(Trigger(on="performance" if p.attribute is None else "subgroup_performance",
                           what=f"AUROC {where} is {p.auc_roc:.3f}, {p.drop:.3f} below the validated "
                                f"{p.validated_auc_roc:.3f} (max drop {p.max_drop}; outside the 95% "
                                "interval)",
                           starts=RETRAINING, modification=modification))
    return out
