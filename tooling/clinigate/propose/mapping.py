"""What the run's facts say about each manifest field, and what the parent manifest carries over.

Filled in from MLflow: the artifact, the run id, hyperparameters (numbers parsed from MLflow's
strings), the validation metrics whose names match (:mod:`.metrics`), the datasets the run logged,
the training library from the ``MLmodel`` flavor. Copied from the parent when it has them: model
card, monitoring, features, algorithm family, compute, and the validation dataset's details when
the run validated on the parent's dataset. Anything else is a :class:`~.draft.Todo`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from .. import layout
from ..manifest.values import GIT_COMMIT_RE, SHA256_RE
from .draft import (
    Algorithm,
    Artifact,
    DatasetIdentity,
    Features,
    Infrastructure,
    Inherited,
    ManifestDraft,
    MlflowRef,
    ModelCard,
    Monitoring,
    Param,
    Todo,
    Training,
    TrainingDataset,
    Validation,
    ValidationDataset,
)
from .metrics import first, overall_metrics
from .reader import DatasetFacts, MlflowFacts

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
_NOT_HYPERPARAMETERS = frozenset(SEED_PARAMS + ALGORITHM_PARAMS + FEATURE_PARAMS + SIZE_NAMES)
TRAINING_CONTEXTS = ("training", "train")
VALIDATION_CONTEXTS = ("validation", "eval", "evaluation", "testing", "test")


def build_draft(facts: MlflowFacts, *, model: str, version: str, parent_version: str | None,
                parent: Mapping[str, Any], submitted_by: str | None, today: date) -> ManifestDraft:
    """The draft of ``model`` ``version`` from the run's facts and the ``parent`` manifest's data."""
    model_card, monitoring = parent.get("model_card"), parent.get("monitoring")
    return ManifestDraft(
        model=model, version=version, parent=parent_version,
        submitted_by=submitted_by or Todo(f"your person id from {layout.ROLES_PATH}"),
        submitted_on=today,
        artifact=artifact(facts),
        training=Training(
            dataset=training_dataset(facts),
            algorithm=algorithm(facts, _section(parent, "training", "algorithm")),
            features=features(facts, _section(parent, "training", "features")),
            infrastructure=Infrastructure(
                compute=_section(parent, "training", "infrastructure").get("compute")
                or Todo("where the model was trained"),
                training_duration_minutes=facts.duration_minutes or None)),
        validation=validation(facts, parent),
        model_card=model_card if isinstance(model_card, dict) else ModelCard(),
        monitoring=monitoring if isinstance(monitoring, dict) else Monitoring(),
    )


def parse_param(text: str) -> Param:
    """MLflow stores every param as a string: give numbers and booleans back their type."""
    if text in ("True", "true", "False", "false"):
        return text in ("True", "true")
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        number = float(text)
        return number if math.isfinite(number) else text
    return text


def artifact(facts: MlflowFacts) -> Artifact:
    commit = facts.tags.get("mlflow.source.git.commit", "")
    return Artifact(
        uri=facts.artifact_uri, sha256=facts.sha256,
        mlflow=MlflowRef(
            registered_model=facts.registered_model or Todo("the registered model's name"),
            version=int(facts.model_version) if facts.model_version else Todo(
                "the registered model version (register the run's model first)"),
            run_id=facts.run_id or Todo("the MLflow run that trained this version")),
        code_commit=commit if GIT_COMMIT_RE.match(commit) else None)


def _dataset_for(facts: MlflowFacts, contexts: tuple[str, ...]) -> DatasetFacts | None:
    for ds in facts.datasets:
        if (ds.context or "").lower() in contexts:
            return ds
    if contexts == TRAINING_CONTEXTS and len(facts.datasets) == 1 and facts.datasets[0].context is None:
        return facts.datasets[0]
    return None


def _dataset_identity(ds: DatasetFacts | None, what: str) -> DatasetIdentity:
    if ds is None:
        return DatasetIdentity(Todo(f"{what} dataset name (the run logged no {what} dataset input)"),
                               Todo(f"{what} dataset version"), Todo(f"SHA-256 of the {what} dataset"))
    found = next((d for d in (ds.sha256, ds.digest) if d and SHA256_RE.match(d)), None)
    sha = found or Todo(f"SHA-256 of the {what} dataset (MLflow's digest {ds.digest!r} is not a SHA-256)")
    return DatasetIdentity(ds.name, ds.version or Todo(f"version of dataset {ds.name}"), sha)


def training_dataset(facts: MlflowFacts) -> TrainingDataset:
    identity = _dataset_identity(_dataset_for(facts, TRAINING_CONTEXTS), "training")
    size = first({**facts.params, **{k: str(v) for k, v in facts.metrics.items()}}, SIZE_NAMES)
    parsed = parse_param(size) if size is not None else None
    if isinstance(parsed, float) and parsed.is_integer():
        parsed = int(parsed)
    return TrainingDataset(name=identity.name, version=identity.version, sha256=identity.sha256,
                           size=parsed if isinstance(parsed, int) else Todo("number of training records"))


def _flavor(mlmodel: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
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


def algorithm(facts: MlflowFacts, parent: Mapping[str, Any]) -> Algorithm:
    """The family from an ``algorithm`` param or the flavor; the library from the flavor, or the parent's."""
    params = facts.params
    flavor = _flavor(facts.mlmodel)
    declared = first(params, ALGORITHM_PARAMS)
    kind = declared if declared in ALGORITHMS else _FLAVOR_ALGORITHM.get(flavor[0] if flavor else "")
    framework: Inherited = flavor[0] if flavor else None
    version: Inherited = _flavor_version(flavor[1]) if flavor else None
    if framework is None or framework == parent.get("framework"):
        framework = framework or parent.get("framework")
        version = version or parent.get("framework_version")
    seed = parse_param(first(params, SEED_PARAMS) or "")
    return Algorithm(
        type=kind or parent.get("type") or Todo(f"one of {', '.join(ALGORITHMS)}"),
        framework=framework or Todo("library family, e.g. xgboost, lightgbm, pytorch"),
        framework_version=version or Todo("version of the training library"),
        hyperparameters={k: parse_param(v) for k, v in sorted(params.items())
                         if k not in _NOT_HYPERPARAMETERS},
        random_seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else Todo(
            "random seed of the training run (a non-negative integer)"))


def _signature_names(mlmodel: Mapping[str, Any]) -> list[str] | None:
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


def _param_names(params: Mapping[str, str]) -> list[str] | None:
    text = first(params, ("features", "feature_names"))
    if text is None:
        return None
    try:
        names = json.loads(text)
    except ValueError:
        names = [n.strip() for n in text.split(",")]
    return [str(n) for n in names] if isinstance(names, list) and names else None


def features(facts: MlflowFacts, parent: Mapping[str, Any]) -> Features | dict[str, Inherited]:
    """The feature names from a ``features`` param or the model signature; the parent's when they match."""
    names = _param_names(facts.params) or _signature_names(facts.mlmodel)
    if names is None or names == parent.get("names"):
        if parent:
            return dict(parent)
        names = None
    return Features(set=facts.params.get("feature_set") or parent.get("set") or Todo("feature set name"),
                    version=facts.params.get("feature_set_version") or Todo("feature set version"),
                    names=tuple(names) if names else Todo("list of the model's input feature names"))


def _section(parent: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    node: Any = parent
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def validation(facts: MlflowFacts, parent: Mapping[str, Any]) -> Validation:
    """The validation dataset (the parent's details when it is the parent's dataset) and metrics."""
    ds = _dataset_for(facts, VALIDATION_CONTEXTS)
    identity = _dataset_identity(ds, "validation")
    previous = _section(parent, "validation", "dataset")
    if ds is not None and previous.get("sha256") == str(identity.sha256) and previous.get("name") == ds.name:
        dataset = ValidationDataset(
            name=identity.name, version=previous.get("version", identity.version), sha256=identity.sha256,
            inherited={k: previous[k] for k in ("locked", "date_range", "sites") if k in previous})
    else:
        dataset = ValidationDataset(name=identity.name, version=identity.version, sha256=identity.sha256,
                                    locked=Todo("true if this is the PCCP's locked (sequestered) test set"))
    return Validation(dataset=dataset, overall=overall_metrics(facts.metrics))
