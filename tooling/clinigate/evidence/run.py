"""``clinigate evaluate``: read predictions, compute, and write the evidence record and the manifest.

Nothing is written until everything is computed and the new manifest text has passed the loader;
the evidence record is written before the manifest so the manifest never names a record that is
not there, and both are replaced atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, layout
from .._internal.files import repo_relative, write_text_atomically
from ..errors import UsageError
from .evaluate import Evaluation, Spec, evaluate
from .into import splice
from .predictions import DEFAULT_MAX_BYTES, PredictionsInvalid, read_predictions
from .record import NotRecordable, overall_block, record_text, subgroup_blocks


@dataclass(frozen=True)
class Request:
    predictions: Path
    label: str
    score: str
    threshold: float | None
    subgroups: tuple[str, ...] | None
    into: str | None = None  # a ModelVersion manifest, repository-relative
    out: Path | None = None
    predictions_uri: str | None = None
    ci_method: str = "delong"
    resamples: int = 200
    seed: int = 0
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class Outcome:
    evaluation: Evaluation
    written: list[str] = field(default_factory=list)


def run_evaluate(repo: Path, request: Request) -> Outcome:
    manifest = _manifest(repo, request.into) if request.into else None
    spec = _spec(request, manifest)
    min_n = _min_subgroup_n(repo, request.into, manifest) if request.into else None
    shown = repo_relative(repo, request.predictions) or str(request.predictions)
    predictions = read_predictions(request.predictions, label=spec.label, score=spec.score,
                                   subgroups=list(spec.subgroups), shown=shown, max_bytes=request.max_bytes)
    evaluation = evaluate(predictions, spec, min_subgroup_n=min_n)
    outcome = Outcome(evaluation)
    text = record_text(evaluation, version=__version__)
    if request.into is None:
        if request.out is not None:
            write_text_atomically(request.out, text)
            outcome.written.append(str(request.out))
        return outcome
    assert manifest is not None
    record_path = request.out or repo / _default_record(request.into)
    record_rel = repo_relative(repo, record_path)
    if record_rel is None:
        raise UsageError(f"--out {record_path} is outside the repository, so the manifest cannot name it",
                         hint="leave --out out to write it beside the manifest's evidence")
    new_text = _new_manifest(repo, request, evaluation, manifest[0], shown, record_rel, text)
    write_text_atomically(record_path, text)
    write_text_atomically(repo / request.into, new_text)
    outcome.written += [record_rel, request.into]
    return outcome


def _manifest(repo: Path, relpath: str) -> tuple[str, dict[str, Any]]:
    place = layout.parse(relpath)
    if place is None or place.kind != "ModelVersion":
        raise UsageError(f"--into {relpath}: not a version manifest "
                         f"({layout.version_path('<model>', '<version>')})")
    if not (repo / relpath).is_file():
        raise UsageError(f"--into {relpath}: no such file",
                         hint="write the manifest first (clinigate propose)")
    from ..manifest.loader import load_file

    loaded = load_file(repo, relpath)  # strict YAML: what validate reads, duplicate keys refused
    if loaded.text is None or not isinstance(loaded.data, dict):
        raise UsageError(f"--into {relpath} is not a readable manifest; nothing was written",
                         findings=[f for f in loaded.findings if f.severity.value == "error"])
    return loaded.text, loaded.data


def _spec(request: Request, manifest: tuple[str, dict[str, Any]] | None) -> Spec:
    validation = (manifest[1].get("validation") or {}) if manifest else {}
    threshold = request.threshold
    if threshold is None:
        threshold = (validation.get("overall") or {}).get("threshold")
    if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise UsageError("--threshold: give the operating point, a probability in [0, 1]",
                         hint="with --into it defaults to the manifest's validation.overall.threshold")
    subgroups = request.subgroups
    if subgroups is None:
        listed = [s.get("attribute") for s in validation.get("subgroups") or [] if isinstance(s, dict)]
        subgroups = tuple(dict.fromkeys(a for a in listed if isinstance(a, str)))
    if not subgroups:
        raise UsageError("--subgroups: name the subgroup columns, e.g. age_band,sex,race,ethnicity",
                         hint="with --into it defaults to the attributes the manifest's subgroups list")
    return Spec(request.label, request.score, float(threshold), tuple(subgroups), request.ci_method,
                request.resamples, request.seed)


def _min_subgroup_n(repo: Path, relpath: str, manifest: tuple[str, dict[str, Any]] | None) -> int | None:
    """The PCCP's minimum group size for the class the version declares (else the smallest)."""
    from ..manifest.loader import load_file
    from ..manifest.pccp import PCCP

    place = layout.parse(relpath)
    if place is None or place.model is None or not (repo / layout.pccp_path(place.model)).is_file():
        return None
    pccp = load_file(repo, layout.pccp_path(place.model)).document
    if not isinstance(pccp, PCCP):
        return None
    sizes = {cls.value: plan.acceptance.min_subgroup_n for cls, plan in pccp.change_classes.items()}
    declared = ((manifest[1] if manifest else {}).get("change") or {}).get("declared_class")
    return sizes.get(str(declared)) or (min(sizes.values()) if sizes else None)


def _new_manifest(repo: Path, request: Request, ev: Evaluation, text: str, shown: str, record_rel: str,
                  record: str) -> str:
    import hashlib

    from ..manifest.loader import load_bytes

    where = {"uri": request.predictions_uri} if request.predictions_uri else \
        {"path": repo_relative(repo, request.predictions)}
    if where.get("path") is None and "uri" not in where:
        raise UsageError(f"{shown} is outside the repository, so check could not re-derive the numbers",
                         hint="put it in the repository (e.g. beside the manifest's evidence record) "
                              "or name its MLflow artifact with --predictions-uri runs:/<run id>/<path>")
    evidence: dict[str, Any] = {
        "predictions": {**where, "sha256": ev.predictions.sha256},
        "record": {"path": record_rel, "sha256": hashlib.sha256(record.encode()).hexdigest()},
        "label": ev.spec.label, "score": ev.spec.score, "subgroups": list(ev.spec.subgroups),
        "ci_method": ev.spec.ci_method}
    if ev.spec.ci_method == "bootstrap":
        evidence |= {"resamples": ev.spec.resamples, "seed": ev.spec.seed}
    try:
        blocks = {"overall": overall_block(ev), "subgroups": subgroup_blocks(ev), "evidence": evidence}
    except NotRecordable as exc:
        raise PredictionsInvalid(f"{request.into}: {exc}; nothing was written") from None
    new_text = splice(text, blocks)
    _refuse_invalid(load_bytes(request.into or "", new_text.encode()), request.into or "")
    return new_text


def _refuse_invalid(loaded: Any, relpath: str) -> None:
    """The written manifest must still load; a computed number outside the schema stops the write."""
    errors = [f for f in loaded.findings
              if f.severity.value == "error" and (f.field or "").startswith("validation")]
    if errors:
        raise PredictionsInvalid(f"{relpath}: the computed blocks would not validate; nothing was written",
                             findings=errors)


def _default_record(relpath: str) -> str:
    place = layout.parse(relpath)
    assert place is not None and place.model and place.version
    return f"{layout.evidence_dir(place.model, place.version)}/{layout.EVIDENCE_RECORD}"
