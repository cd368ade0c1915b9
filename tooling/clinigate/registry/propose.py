"""Draft a ModelVersion manifest from an MLflow model version or run (``clinigate propose``).

What MLflow knows is filled in: the artifact digest (recomputed from downloaded files with
:func:`~clinigate.registry.digest.artifact_digest`), the run id, hyperparameters (numbers parsed
from MLflow's strings), the validation metrics whose names match, the datasets the run logged.
What only the parent manifest knows and usually carries over (model card, monitoring, features,
algorithm family, compute) is copied from it. Everything a person must state or confirm is a
``TODO(clinigate propose): ...`` marker: where the schema wants a number, date, digest, list or
choice, the marker fails validation by type; free-text markers need the ``draft.todo`` rule.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .. import layout
from .._internal.files import write_text_atomically
from ..errors import EnvironmentProblem, UsageError
from ..manifest.semver import SEMVER_RE, SemverKey
from .actual import MlflowRegistry, is_not_found
from .digest import artifact_digest

TODO_PREFIX = "TODO(clinigate propose)"
SCHEMA_LINE = "# yaml-language-server: $schema=../../../schemas/model-version.schema.json\n"

_MODEL_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

ALGORITHMS = ("gradient_boosting", "random_forest", "logistic_regression", "neural_network",
              "transformer", "recurrent_neural_network", "convolutional_neural_network", "rule_based")
_FLAVOR_ALGORITHM = {"xgboost": "gradient_boosting", "lightgbm": "gradient_boosting",
                     "catboost": "gradient_boosting"}
SEED_PARAMS = ("random_seed", "seed", "random_state")
ALGORITHM_PARAMS = ("algorithm", "model_type")
FEATURE_PARAMS = ("features", "feature_names", "feature_set", "feature_set_version")
SIZE_NAMES = ("n_train", "train_size", "training_size", "train_n")

# manifest metric -> MLflow metric names that mean it (first match wins), tried bare, then prefixed
METRIC_NAMES: dict[str, tuple[str, ...]] = {
    "n": ("n", "n_samples", "n_validation", "n_eval", "example_count"),
    "prevalence": ("prevalence",),
    "auc_roc": ("auc_roc", "roc_auc", "auroc", "auc"),
    "auc_pr": ("auc_pr", "pr_auc", "auprc", "average_precision"),
    "sensitivity": ("sensitivity", "recall", "tpr", "true_positive_rate"),
    "specificity": ("specificity", "tnr", "true_negative_rate"),
    "ppv": ("ppv", "precision"),
    "npv": ("npv",),
    "calibration_slope": ("calibration_slope",),
    "brier": ("brier", "brier_score", "brier_score_loss"),
    "threshold": ("threshold", "decision_threshold"),
}
METRIC_PREFIXES = ("", "val_", "validation_", "test_", "eval_", "locked_")
CI_NAMES = (("auc_ci95_lower", "auc_ci95_upper"), ("auc_ci95_low", "auc_ci95_high"),
            ("auc_ci_lower", "auc_ci_upper"), ("auc_ci_low", "auc_ci_high"))
TRAINING_CONTEXTS = ("training", "train")
VALIDATION_CONTEXTS = ("validation", "eval", "evaluation", "testing", "test")


def todo(what: str) -> str:
    """The marker a person must replace; ``clinigate validate`` rejects the draft until then."""
    return f"{TODO_PREFIX}: {what}"


def is_todo(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TODO_PREFIX)


def find_todos(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted field path, marker) for every TODO marker left in ``data``."""
    if is_todo(data):
        yield path, str(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from find_todos(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_todos(value, f"{path}[{index}]")


# --------------------------------------------------------------------------- the --from-mlflow URI


@dataclass(frozen=True)
class Source:
    uri: str
    name: str | None = None  # models:/<name>/<version> or models:/<name>@<alias>
    version: str | None = None
    alias: str | None = None
    run_id: str | None = None  # runs:/<run_id>/<path>
    path: str | None = None


def parse_source(uri: str) -> Source:
    """``models:/<name>/<version>``, ``models:/<name>@<alias>`` or ``runs:/<run_id>/<path>``.

    Anything else is a usage error. An alias is resolved to its version once, when MLflow is read,
    and the draft records that version: an alias moves, a manifest must not.
    """
    models = re.fullmatch(r"models:/([^/@\s]+)/([1-9]\d*)", uri)
    if models:
        return Source(uri, name=models.group(1), version=models.group(2))
    aliased = re.fullmatch(r"models:/([^/@\s]+)@([\w\-]+)", uri)
    if aliased:
        if aliased.group(2).lower() == "latest":  # MLflow's moving pointer, like models:/<name>/latest
            raise UsageError(f"--from-mlflow {uri}: name a version or a real alias, not latest",
                             hint="e.g. --from-mlflow models:/sepsis-ews/16 or models:/sepsis-ews@staging")
        return Source(uri, name=aliased.group(1), alias=aliased.group(2))
    runs = re.fullmatch(r"runs:/([^/\s]+)/(\S+)", uri)
    if runs:
        if not _RUN_ID.match(runs.group(1)):
            raise UsageError(f"--from-mlflow {uri}: {runs.group(1)!r} is not an MLflow run id "
                             "(32 lower-case hex characters)")
        return Source(uri, run_id=runs.group(1), path=runs.group(2).strip("/"))
    raise UsageError(f"--from-mlflow {uri}: expected models:/<name>/<version>, models:/<name>@<alias> or "
                     "runs:/<run_id>/<path>", hint="e.g. --from-mlflow models:/sepsis-ews/16")


# --------------------------------------------------------------------------- what MLflow says


@dataclass(frozen=True)
class DatasetFacts:
    name: str
    digest: str
    context: str | None
    version: str | None
    sha256: str | None = None


@dataclass
class MlflowFacts:
    artifact_uri: str
    sha256: str
    registered_model: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    datasets: list[DatasetFacts] = field(default_factory=list)
    duration_minutes: int | None = None
    mlmodel: dict[str, Any] = field(default_factory=dict)


class MlflowReader(MlflowRegistry):
    """Reads one model version or run, with the error mapping of :class:`MlflowRegistry`."""

    def _get(self, what: str, missing: str, fn: Any) -> Any:
        try:
            return self._call(what, fn)
        except UsageError:
            raise
        except Exception as exc:
            if is_not_found(exc):
                raise UsageError(f"MLflow at {self.tracking_uri} has no {missing}") from exc
            raise

    def _model_version(self, source: Source) -> Any:
        name = source.name
        if source.alias is None:
            return self._get(f"read model version {name}/{source.version}",
                             f"model version {source.version} of registered model {name}",
                             lambda: self._mlflow().get_model_version(name, source.version))
        alias = source.alias
        try:
            return self._get(f"resolve alias {alias} of {name}", f"registered model {name}",
                             lambda: self._mlflow().get_model_version_by_alias(name, alias))
        except EnvironmentProblem as exc:
            # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE, not "does not exist".
            if getattr(exc.__cause__, "error_code", None) == "INVALID_PARAMETER_VALUE":
                raise UsageError(f"MLflow at {self.tracking_uri} has no alias {alias} on registered "
                                 f"model {name}") from exc
            raise

    def read(self, source: Source) -> MlflowFacts:
        if source.name is not None:
            mv = self._model_version(source)
            version = str(mv.version)
            pinned = f"models:/{source.name}/{version}"  # never the alias: it may move
            uri = str(mv.source or "")
            facts = self._download(uri if _ARTIFACT_URI.match(uri) else pinned, uri or pinned)
            facts.registered_model, facts.model_version = source.name, version
            facts.run_id = mv.run_id or None
        else:
            assert source.run_id is not None
            facts = self._download(source.uri, source.uri)
            facts.run_id = source.run_id
            found = self._registered_from_run(source.run_id, source.uri)
            if found:
                facts.registered_model, facts.model_version = found
        if facts.run_id:
            self._read_run(facts)
        return facts

    def _registered_from_run(self, run_id: str, uri: str) -> tuple[str, str] | None:
        versions = list(self._call(f"search the model versions of run {run_id}",
                                   lambda: self._mlflow().search_model_versions(f"run_id='{run_id}'")))
        exact = [mv for mv in versions if mv.source == uri]
        chosen = exact or versions
        if len(chosen) != 1:
            return None
        return str(chosen[0].name), str(chosen[0].version)

    def _download(self, manifest_uri: str, download_uri: str) -> MlflowFacts:
        from mlflow.artifacts import download_artifacts

        with tempfile.TemporaryDirectory(prefix="clinigate-propose-") as tmp:
            path = Path(self._get(f"download the artifacts at {download_uri}", f"artifacts at {download_uri}",
                                  lambda: download_artifacts(artifact_uri=download_uri, dst_path=tmp,
                                                             tracking_uri=self.tracking_uri)))
            folder = path if path.is_dir() else path.parent
            return MlflowFacts(manifest_uri, artifact_digest(folder), mlmodel=_read_mlmodel(folder))

    def _read_run(self, facts: MlflowFacts) -> None:
        run_id = facts.run_id
        run = self._get(f"read run {run_id}", f"run {run_id}", lambda: self._mlflow().get_run(run_id))
        facts.params = {str(k): str(v) for k, v in (run.data.params or {}).items()}
        facts.metrics = {str(k): float(v) for k, v in (run.data.metrics or {}).items()}
        facts.tags = {str(k): str(v) for k, v in (run.data.tags or {}).items()}
        inputs = getattr(run, "inputs", None)
        facts.datasets = [_dataset(di) for di in (getattr(inputs, "dataset_inputs", None) or [])]
        start, end = run.info.start_time, run.info.end_time
        if start and end and end > start:
            facts.duration_minutes = max(1, round((end - start) / 60000))


_ARTIFACT_URI = re.compile(r"^(models|runs|s3|gs|wasbs|file|mlflow-artifacts)://?\S+$")


def _dataset(dataset_input: Any) -> DatasetFacts:
    """Name and digest from MLflow; version and sha256 from the source JSON when it carries them.

    MLflow's own dataset digest is at most 36 characters, so a SHA-256 can only come from the
    source (e.g. ``{"uri": ..., "version": "2025.3", "sha256": "..."}``).
    """
    ds = dataset_input.dataset
    tags = {t.key: t.value for t in (dataset_input.tags or [])}
    try:
        source = json.loads(ds.source or "")
    except ValueError:
        source = None
    source = source if isinstance(source, dict) else {}
    version, sha = source.get("version"), source.get("sha256")
    return DatasetFacts(str(ds.name), str(ds.digest or ""), tags.get("mlflow.data.context"),
                        None if version is None else str(version), None if sha is None else str(sha))


def _read_mlmodel(folder: Path) -> dict[str, Any]:
    path = folder / "MLmodel"
    if not path.is_file() or path.stat().st_size > 1 << 20:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- building the draft


def parse_param(text: str) -> bool | int | float | str:
    """MLflow stores every param as a string: give numbers and booleans back their type."""
    if text in ("True", "true", "False", "false"):
        return text in ("True", "true")
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        number = float(text)
        return number if math.isfinite(number) else text
    return text


def _first(table: dict[str, Any], names: tuple[str, ...], prefixes: tuple[str, ...] = ("",)) -> Any:
    for name in names:
        for prefix in prefixes:
            if prefix + name in table:
                return table[prefix + name]
    return None


def _normalised(metrics: dict[str, float]) -> dict[str, float]:
    return {re.sub(r"[/.\-\s]", "_", k.lower()): v for k, v in metrics.items()}


def overall_metrics(metrics: dict[str, float]) -> dict[str, Any]:
    table = _normalised(metrics)
    overall: dict[str, Any] = {}
    for target, names in METRIC_NAMES.items():
        value = _first(table, names, METRIC_PREFIXES)
        if value is None:
            if target != "auc_pr":
                overall[target] = todo(f"{target} measured on the validation set")
            continue
        if target == "n":
            overall[target] = int(value) if float(value).is_integer() else value
        else:
            overall[target] = float(value)
        if target == "auc_roc":
            overall["auc_ci95"] = _auc_ci(table)
    if "auc_ci95" not in overall:
        overall["auc_ci95"] = todo("95% confidence interval of auc_roc, [lower, upper]")
    return overall


def _auc_ci(table: dict[str, float]) -> Any:
    for lower, upper in CI_NAMES:
        low, high = _first(table, (lower,), METRIC_PREFIXES), _first(table, (upper,), METRIC_PREFIXES)
        if low is not None and high is not None:
            return [float(low), float(high)]
    return todo("95% confidence interval of auc_roc, [lower, upper]")


def _dataset_for(facts: MlflowFacts, contexts: tuple[str, ...]) -> DatasetFacts | None:
    for ds in facts.datasets:
        if (ds.context or "").lower() in contexts:
            return ds
    if contexts == TRAINING_CONTEXTS and len(facts.datasets) == 1 and facts.datasets[0].context is None:
        return facts.datasets[0]
    return None


def _dataset_identity(ds: DatasetFacts | None, what: str) -> dict[str, Any]:
    if ds is None:
        return {"name": todo(f"{what} dataset name (the run logged no {what} dataset input)"),
                "version": todo(f"{what} dataset version"),
                "sha256": todo(f"SHA-256 of the {what} dataset")}
    found = next((d for d in (ds.sha256, ds.digest) if d and _SHA256.match(d)), None)
    sha = found or todo(f"SHA-256 of the {what} dataset (MLflow's digest {ds.digest!r} is not a SHA-256)")
    return {"name": ds.name, "version": ds.version or todo(f"version of dataset {ds.name}"), "sha256": sha}


def training_dataset(facts: MlflowFacts) -> dict[str, Any]:
    dataset = _dataset_identity(_dataset_for(facts, TRAINING_CONTEXTS), "training")
    size = _first({**facts.params, **{k: str(v) for k, v in facts.metrics.items()}}, SIZE_NAMES)
    parsed = parse_param(size) if size is not None else None
    if isinstance(parsed, float) and parsed.is_integer():
        parsed = int(parsed)
    dataset.update({
        "date_range": {"start": todo("first date in the training extract (YYYY-MM-DD)"),
                       "end": todo("last date in the training extract (YYYY-MM-DD)")},
        "size": parsed if isinstance(parsed, int) else todo("number of training records"),
        "sites": todo("list of sites: name, version (the site extract's version), n"),
        "inclusion": todo("list of inclusion criteria"),
        "exclusions": todo("list of exclusion criteria, or [] when none apply"),
        "deidentification": {
            "method": todo("safe_harbor, expert_determination or limited_data_set"),
            "reference": todo("where the de-identification determination or DUA is filed"),
        },
    })
    return dataset


def _flavor(mlmodel: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    flavors = mlmodel.get("flavors")
    if not isinstance(flavors, dict):
        return None
    for name, details in flavors.items():
        if name != "python_function":
            return str(name), details if isinstance(details, dict) else {}
    return None


def _flavor_version(details: dict[str, Any]) -> str | None:
    for key, value in details.items():
        if str(key).endswith("version") and key not in ("mlflow_version", "python_version") and value:
            return str(value)
    return None


def algorithm(facts: MlflowFacts, parent: dict[str, Any]) -> dict[str, Any]:
    params = facts.params
    consumed = set(SEED_PARAMS) | set(ALGORITHM_PARAMS) | set(FEATURE_PARAMS) | set(SIZE_NAMES)
    flavor = _flavor(facts.mlmodel)
    declared = _first(params, ALGORITHM_PARAMS)
    kind = declared if declared in ALGORITHMS else _FLAVOR_ALGORITHM.get(flavor[0] if flavor else "")
    framework = flavor[0] if flavor else None
    version = _flavor_version(flavor[1]) if flavor else None
    if framework is None or framework == parent.get("framework"):
        framework = framework or parent.get("framework")
        version = version or parent.get("framework_version")
    seed = parse_param(_first(params, SEED_PARAMS) or "")
    return {
        "type": kind or parent.get("type") or todo(f"one of {', '.join(ALGORITHMS)}"),
        "framework": framework or todo("library family, e.g. xgboost, lightgbm, pytorch"),
        "framework_version": version or todo("version of the training library"),
        "hyperparameters": {k: parse_param(v) for k, v in sorted(params.items()) if k not in consumed},
        "random_seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else todo(
            "random seed of the training run (a non-negative integer)"),
    }


def _signature_names(mlmodel: dict[str, Any]) -> list[str] | None:
    signature = mlmodel.get("signature")
    inputs = signature.get("inputs") if isinstance(signature, dict) else None
    try:
        columns = json.loads(inputs) if isinstance(inputs, str) else None
    except ValueError:
        return None
    if not isinstance(columns, list) or not columns:
        return None
    names = [c.get("name") for c in columns if isinstance(c, dict)]
    return [str(n) for n in names] if len(names) == len(columns) and all(names) else None


def _param_names(params: dict[str, str]) -> list[str] | None:
    text = _first(params, ("features", "feature_names"))
    if text is None:
        return None
    try:
        names = json.loads(text)
    except ValueError:
        names = [n.strip() for n in text.split(",")]
    return [str(n) for n in names] if isinstance(names, list) and names else None


def features(facts: MlflowFacts, parent: dict[str, Any]) -> dict[str, Any]:
    names = _param_names(facts.params) or _signature_names(facts.mlmodel)
    if names is None or names == parent.get("names"):
        if parent:
            return dict(parent)
        names = None
    return {
        "set": facts.params.get("feature_set") or parent.get("set") or todo("feature set name"),
        "version": facts.params.get("feature_set_version") or todo("feature set version"),
        "names": names or todo("list of the model's input feature names"),
    }


def _section(parent: dict[str, Any], *keys: str) -> dict[str, Any]:
    node: Any = parent
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def validation(facts: MlflowFacts, parent: dict[str, Any]) -> dict[str, Any]:
    ds = _dataset_for(facts, VALIDATION_CONTEXTS)
    dataset = _dataset_identity(ds, "validation")
    previous = _section(parent, "validation", "dataset")
    if ds is not None and previous.get("sha256") == dataset["sha256"] and previous.get("name") == ds.name:
        carried = ("version", "locked", "date_range", "sites")
        dataset.update({k: previous[k] for k in carried if k in previous})
    else:
        dataset["locked"] = todo("true if this is the PCCP's locked (sequestered) test set")
    return {
        "dataset": dataset,
        "reference_standard": {"name": todo("reference standard, e.g. Sepsis-3 by chart review"),
                               "definition": todo("how the outcome label is defined")},
        "overall": overall_metrics(facts.metrics),
        "subgroups": todo("per-subgroup metrics: attribute, group, n, auc_roc, ci95 for every group of "
                          "age_band, sex, race and ethnicity"),
        "robustness": todo("list of robustness tests (name, result, passed), or []"),
    }


def _carried(parent: dict[str, Any], key: str, fallback: dict[str, Any]) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else fallback


_CARD_TODO = {name: todo(f"model card: {name.replace('_', ' ')}")
              for name in ("limitations", "ethical_considerations", "explainability")}
_MONITORING_TODO = {
    "drift": {"metric": todo("psi, kl_divergence or ks_statistic"), "threshold": todo("drift threshold")},
    "performance": {"metric": todo("auc_roc, sensitivity, ppv, calibration_slope or brier"),
                    "max_drop": todo("largest tolerated drop")},
    "review_interval_days": todo("days between monitoring reviews"),
    "rollback_criteria": todo("when to roll back"),
}


def build_manifest(facts: MlflowFacts, *, model: str, version: str, parent_version: str | None,
                   parent: dict[str, Any], submitted_by: str | None, today: date) -> dict[str, Any]:
    """The draft manifest as plain data, in the order the example manifests use."""
    commit = facts.tags.get("mlflow.source.git.commit", "")
    artifact: dict[str, Any] = {
        "uri": facts.artifact_uri,
        "sha256": facts.sha256,
        "mlflow": {
            "registered_model": facts.registered_model or todo("the registered model's name"),
            "version": int(facts.model_version) if facts.model_version else todo(
                "the registered model version (register the run's model first)"),
            "run_id": facts.run_id or todo("the MLflow run that trained this version"),
        },
    }
    if _COMMIT.match(commit):
        artifact["code_commit"] = commit
    infrastructure: dict[str, Any] = {
        "compute": _section(parent, "training", "infrastructure").get("compute")
        or todo("where the model was trained")}
    if facts.duration_minutes:
        infrastructure["training_duration_minutes"] = facts.duration_minutes
    return {
        "apiVersion": "clinigate/v1",
        "kind": "ModelVersion",
        "model": model,
        "version": version,
        "parent": parent_version,
        "submitted_by": submitted_by or todo("your person id from policies/data/roles.yaml"),
        "submitted_on": today,
        "change": {"summary": todo("one line: what changed in this version"),
                   "rationale": todo("why this version exists (the reason for change)")},
        "artifact": artifact,
        "training": {
            "dataset": training_dataset(facts),
            "demographics": todo("share of training records per group for age_band, sex, race, ethnicity"),
            "algorithm": algorithm(facts, _section(parent, "training", "algorithm")),
            "features": features(facts, _section(parent, "training", "features")),
            "infrastructure": infrastructure,
        },
        "validation": validation(facts, parent),
        "model_card": _carried(parent, "model_card", _CARD_TODO),
        "monitoring": _carried(parent, "monitoring", _MONITORING_TODO),
    }


def render(data: dict[str, Any]) -> str:
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return SCHEMA_LINE + body


# --------------------------------------------------------------------------- the repository side


@dataclass
class Proposal:
    path: Path
    relpath: str
    data: dict[str, Any]
    todos: list[tuple[str, str]]


def manifest_versions(repo: Path, model: str) -> list[str]:
    folder = repo / layout.versions_dir(model)
    stems = [p.stem for p in folder.glob("*.yaml")] if folder.is_dir() else []
    return sorted((s for s in stems if SEMVER_RE.match(s)), key=SemverKey)


def next_minor(version: str) -> str:
    major, minor, _ = SemverKey(version).core
    return f"{major}.{minor + 1}.0"


def _load_parent(repo: Path, model: str, version: str) -> dict[str, Any]:
    from ..manifest.loader import load_file

    relpath = layout.version_path(model, version)
    if not (repo / relpath).is_file():
        raise UsageError(f"--parent {version}: no manifest {relpath}")
    loaded = load_file(repo, relpath)
    return loaded.data if isinstance(loaded.data, dict) else {}


def _check_model(model: str) -> None:
    if not _MODEL_NAME.match(model) or len(model) > 63:
        raise UsageError(f"model folder {model!r} is not lower-case kebab-case",
                         hint="name the folder under models/ with --model, e.g. --model sepsis-ews")


def _resolve(repo: Path, model: str, version: str | None, parent: str | None) -> tuple[str, str | None]:
    existing = manifest_versions(repo, model)
    latest = existing[-1] if existing else None
    if parent is None:  # the latest other version: redrafting 1.4.0 does not make it its own parent
        others = [v for v in existing if v != version]
        parent = others[-1] if others else None
        if parent is not None:
            _refuse_draft_parent(repo, model, parent, others[:-1])
    for what, value in (("--version", version), ("--parent", parent)):
        if value is not None and not SEMVER_RE.match(value):
            raise UsageError(f"{what} {value}: not a semantic version (e.g. 1.4.0)")
    if version is None:
        version = next_minor(latest) if latest else "1.0.0"
    return version, parent


def _refuse_draft_parent(repo: Path, model: str, latest: str, earlier: list[str]) -> None:
    """A second draft must not silently descend from a first one that nobody has finished."""
    relpath = layout.version_path(model, latest)
    if TODO_PREFIX not in (repo / relpath).read_text(encoding="utf-8", errors="replace"):
        return
    name_parent = f"--parent {earlier[-1]}" if earlier else "--parent <version>"
    raise UsageError(f"{relpath} is still a draft (it holds {TODO_PREFIX} markers), so it cannot be the "
                     "parent of a new one; nothing was written",
                     hint=f"finish that draft first, redraft it with --version {latest} --force, "
                          f"or name the parent with {name_parent}")


def _target(repo: Path, model: str, version: str, force: bool) -> tuple[Path, str]:
    relpath = layout.version_path(model, version)
    path = repo / relpath
    if path.exists() and not force:
        raise UsageError(f"{relpath} already exists; nothing was written",
                         hint="pick another --version, or pass --force to replace the file")
    return path, relpath


def propose(repo: Path, from_uri: str, tracking_uri: str, *, model: str | None = None,
            version: str | None = None, parent: str | None = None, submitted_by: str | None = None,
            force: bool = False, today: date | None = None) -> Proposal:
    """Read MLflow, build the draft and write it; refuses to overwrite without ``force``."""
    source = parse_source(from_uri)
    folder = model or source.name
    if folder is not None:  # fail fast, before any download
        _check_model(folder)
        _target(repo, folder, _resolve(repo, folder, version, parent)[0], force)
    facts = MlflowReader(tracking_uri).read(source)
    folder = folder or facts.registered_model
    if folder is None:
        raise UsageError(f"{from_uri}: the run's model is not registered, so the model folder is unknown",
                         hint="pass --model <folder under models/>")
    _check_model(folder)
    version, parent = _resolve(repo, folder, version, parent)
    path, relpath = _target(repo, folder, version, force)
    parent_data = _load_parent(repo, folder, parent) if parent else {}
    data = build_manifest(facts, model=folder, version=version, parent_version=parent, parent=parent_data,
                          submitted_by=submitted_by, today=today or date.today())
    _write(path, render(data), force)
    return Proposal(path, relpath, data, list(find_todos(data)))


def _write(path: Path, text: str, force: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not force:
        with open(path, "x", encoding="utf-8") as handle:  # never replaces a file
            handle.write(text)
        return
    write_text_atomically(path, text)
