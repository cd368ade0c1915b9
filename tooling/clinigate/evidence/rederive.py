"""The gate recomputes a version's numbers from the evidence it names (DESIGN §14).

``check`` reads the predictions file from the revision under review (never the work tree), checks
its SHA-256 against ``validation.evidence``, recomputes every metric the manifest states with the
recorded spec, and denies each number that differs beyond rounding (``gates.evidence_mismatch``,
naming the field and both values). An MLflow run artifact is not fetched here: that is reported as
a warning, so a reviewer knows the numbers were taken on trust.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from ..findings import Finding, Severity
from ..gitrepo import Git
from ..manifest.evidence import Evidence
from ..manifest.version import ModelVersion

# Half a unit in the third decimal (a value typed to 3 places is rounding), plus the half unit in
# the fourth that the recomputed value is rounded to.
TOLERANCE = 5e-4 + 5e-5 + 1e-9
MISMATCH = "gates.evidence_mismatch"
MISSING = "gates.evidence_missing"
NOT_REDERIVED = "gates.evidence_not_rederived"
Position = Callable[[str], tuple[int | None, int | None]]


def rederive(git: Git, rev: str, path: str, version: ModelVersion, position: Position,
             max_bytes: int | None = None, *, tracking_uri: str | None = None) -> list[Finding]:
    evidence = version.validation.evidence
    if evidence is None:
        return []
    from .._internal.extras import require

    require("numpy", "check (re-deriving validation.evidence)")
    require("pyarrow", "check (re-deriving validation.evidence)")

    def finding(rule: str, field: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
        line, column = position(field)
        return Finding(path, line, column, rule, message, field, severity)

    if evidence.predictions.path is None and tracking_uri is None:
        return [finding(NOT_REDERIVED, "validation.evidence.predictions.uri",
                        f"the predictions are the MLflow artifact {evidence.predictions.uri}, and check was "
                        "given no --evidence-tracking-uri: the numbers were not recomputed",
                        Severity.WARNING)]
    blobs = _read(git, rev, evidence, max_bytes)
    if evidence.predictions.uri is not None and tracking_uri is not None:
        _fetch(blobs, evidence, tracking_uri, max_bytes)
    problems = [finding(rule, field, message) for rule, field, message in blobs.problems]
    if problems or blobs.predictions is None:
        return problems
    return [finding(MISMATCH, field, message) for field, message in
            _compare(blobs.predictions, evidence, version, path)]


class _Blobs:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str, str]] = []
        self.predictions: bytes | None = None


def _read(git: Git, rev: str, evidence: Evidence, max_bytes: int | None) -> _Blobs:
    from .predictions import DEFAULT_MAX_BYTES

    limit = max_bytes or DEFAULT_MAX_BYTES
    out = _Blobs()
    in_repo = [(name, item) for name, item in (("predictions", evidence.predictions),
                                               ("record", evidence.record)) if item.path is not None]
    infos = git.object_info([f"{rev}:{item.path}" for _, item in in_repo])  # one batch, no bodies
    for name, item in in_repo:
        field = f"validation.evidence.{name}"
        info = infos.get(f"{rev}:{item.path}")
        if info is None or info.kind != "blob":
            out.problems.append((MISSING, f"{field}.path", f"{item.path} is not a file in this revision, so "
                                 "the evidence cannot be checked; commit it with the manifest"))
        elif info.size > limit:
            out.problems.append((MISSING, f"{field}.path", f"{item.path} is {info.size:,} bytes, over the "
                                 f"{limit:,}-byte limit for evidence"))
        else:
            raw = git.read_objects([info.oid])[info.oid] or b""
            _take(out, name, item.where, raw, item.sha256)
    return out


def _take(out: _Blobs, name: str, where: str, raw: bytes, recorded: str) -> None:
    """Keep the predictions' bytes when their digest is the recorded one; a mismatch otherwise."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != recorded:
        out.problems.append((MISMATCH, f"validation.evidence.{name}.sha256",
                             f"{where} has SHA-256 {digest}, but the manifest records {recorded}: the file "
                             "changed after it was evaluated"))
    elif name == "predictions":
        out.predictions = raw


def _fetch(out: _Blobs, evidence: Evidence, tracking_uri: str, max_bytes: int | None) -> None:
    """Download the runs:/ predictions from the given MLflow server and check their digest."""
    from .._internal.extras import require
    from ..tracking.session import apply_http_defaults, quiet_mlflow_logs
    from ..tracking.uri import check_tracking_uri
    from .predictions import DEFAULT_MAX_BYTES

    apply_http_defaults()  # a dead server fails in seconds; the user's setting wins
    check_tracking_uri(tracking_uri, creates=False)
    require("mlflow", "check (fetching runs:/ evidence)")
    import mlflow.artifacts

    quiet_mlflow_logs()

    uri, field = evidence.predictions.uri or "", "validation.evidence.predictions"
    with tempfile.TemporaryDirectory(prefix="clinigate-evidence-") as folder:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=folder,
                                                             tracking_uri=tracking_uri))
        except Exception as exc:  # MLflow raises many types; each means "not fetched"
            from ..tracking.uri import redact, redact_all

            reason = redact_all(str(exc).splitlines()[0][:200]) if str(exc) else type(exc).__name__
            out.problems.append((MISSING, f"{field}.uri",
                                 f"{uri} could not be fetched from {redact(tracking_uri)}: {reason}"))
            return
        if not local.is_file() or local.stat().st_size > (max_bytes or DEFAULT_MAX_BYTES):
            out.problems.append((MISSING, f"{field}.uri", f"{uri} is not one file within the size limit"))
            return
        raw = local.read_bytes()
    _take(out, "predictions", uri, raw, evidence.predictions.sha256)


def _compare(raw: bytes, evidence: Evidence, version: ModelVersion, path: str) -> list[tuple[str, str]]:
    from .evaluate import Spec, evaluate
    from .predictions import PredictionsInvalid, read_predictions
    from .record import NotRecordable, overall_block, subgroup_blocks

    spec = Spec(evidence.label, evidence.score, version.validation.overall.threshold,
                tuple(a.value for a in evidence.subgroups), evidence.ci_method,
                evidence.resamples or 200, evidence.seed or 0)
    where = evidence.predictions.where
    suffix = PurePosixPath(where.split("/", 3)[-1] if where.startswith("runs:/") else where).suffix
    with tempfile.TemporaryDirectory(prefix="clinigate-evidence-") as folder:
        copy = Path(folder) / f"predictions{suffix}"
        copy.write_bytes(raw)
        try:
            predictions = read_predictions(copy, label=spec.label, score=spec.score,
                                           subgroups=list(spec.subgroups), shown=where)
            ev = evaluate(predictions, spec)
            overall, subgroups = overall_block(ev), subgroup_blocks(ev)
        except (PredictionsInvalid, NotRecordable) as exc:
            return [("validation.evidence.predictions", f"the evidence cannot be recomputed: {exc}")]
    stated = version.model_dump(mode="json")["validation"]
    return _differences("validation.overall", stated["overall"], overall) + \
        _subgroup_differences(stated["subgroups"], subgroups)


def _differences(prefix: str, stated: dict[str, Any], computed: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in computed.items():
        if key in {"attribute", "group"} or stated.get(key) is None:
            continue  # an optional field the author left out is not a claim
        if not _same(stated[key], value):
            out.append((f"{prefix}.{key}", f"the manifest says {_show(stated[key])}, but its evidence gives "
                                            f"{_show(value)} (recomputed from the predictions)"))
    return out


def _subgroup_differences(stated: list[dict[str, Any]],
                          computed: list[dict[str, Any]]) -> list[tuple[str, str]]:
    by_key = {(s["attribute"], s["group"]): (i, s) for i, s in enumerate(stated)}
    out = []
    for block in computed:
        key = (block["attribute"], block["group"])
        if key not in by_key:
            message = (f"the evidence has subgroup {key[0]}={key[1]} (n={block['n']}), which "
                       "validation.subgroups does not list")
            out.append(("validation.subgroups", message))
            continue
        index, entry = by_key.pop(key)
        out += _differences(f"validation.subgroups[{index}]", entry, block)
    for (attribute, group), (index, _) in by_key.items():
        out.append((f"validation.subgroups[{index}]", f"subgroup {attribute}={group} is not in the evidence "
                                                      "(no prediction row has that group)"))
    return out


def _same(stated: Any, computed: Any) -> bool:
    if isinstance(computed, list):
        return isinstance(stated, list) and len(stated) == len(computed) and all(
            _same(a, b) for a, b in zip(stated, computed, strict=True))
    if isinstance(computed, int) and not isinstance(computed, bool):
        return bool(stated == computed)
    return isinstance(stated, (int, float)) and abs(float(stated) - float(computed)) <= TOLERANCE


def _show(value: Any) -> str:
    return "[" + ", ".join(_show(v) for v in value) + "]" if isinstance(value, list) else f"{value}"
