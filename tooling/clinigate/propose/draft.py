"""The draft manifest, typed: what MLflow said, what the parent manifest carries over, and a
:class:`Todo` wherever a person must state or confirm a value.

A :class:`Todo` is written as ``TODO(clinigate propose): <what>``. Where the schema wants a number,
date, digest, list or choice, the marker fails validation by type; free-text markers need the
``draft.todo`` rule. Fields are declared in the order the example manifests use, which is the
order :meth:`ManifestDraft.render` writes them in; the defaults are what every draft asks for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, TypeAlias

import yaml

from .. import layout
from ..manifest.loader import DRAFT_MARKER

TODO_PREFIX = DRAFT_MARKER  # the marker validate refuses (rule draft.todo): one spelling for both

Inherited: TypeAlias = object  # copied verbatim from the parent manifest, whatever its YAML holds
Param: TypeAlias = "bool | int | float | str"  # an MLflow param with its type given back


@dataclass(frozen=True)
class Todo:
    """A value a person must supply; ``clinigate validate`` rejects the draft until then."""

    what: str

    @property
    def marker(self) -> str:
        return f"{TODO_PREFIX}: {self.what}"

    def __str__(self) -> str:
        return self.marker


def is_todo(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TODO_PREFIX)


def find_todos(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted field path, marker) for every TODO marker left in manifest ``data``."""
    if is_todo(data):
        yield path, str(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from find_todos(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_todos(value, f"{path}[{index}]")


_OMITTED_WHEN_NONE = {"omit_none": True}  # field metadata: a None value leaves the key out


def _plain(value: object) -> object:
    """YAML data: a Todo as its marker, a section as its mapping, a tuple as a list."""
    if isinstance(value, Todo):
        return value.marker
    if isinstance(value, _Section):
        return value.to_data()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


class _Section:
    """A mapping of the manifest: its fields in declaration order, as plain YAML data."""

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {}
        for spec in fields(self):  # type: ignore[arg-type]  # every section is a dataclass
            value = getattr(self, spec.name)
            if value is None and spec.metadata.get("omit_none"):
                continue
            data[spec.name] = _plain(value)
        return data


@dataclass(frozen=True, kw_only=True)
class Change(_Section):
    summary: Todo = Todo("one line: what changed in this version")
    rationale: Todo = Todo("why this version exists (the reason for change)")


@dataclass(frozen=True, kw_only=True)
class MlflowRef(_Section):
    registered_model: str | Todo
    version: int | Todo
    run_id: str | Todo


@dataclass(frozen=True, kw_only=True)
class Artifact(_Section):
    uri: str
    sha256: str
    mlflow: MlflowRef
    code_commit: str | None = field(default=None, metadata=_OMITTED_WHEN_NONE)


@dataclass(frozen=True)
class DatasetIdentity:
    """Which dataset: from the run's logged dataset inputs, or Todos when it logged none."""

    name: str | Todo
    version: str | Todo
    sha256: str | Todo


@dataclass(frozen=True, kw_only=True)
class DateRange(_Section):
    start: Todo = Todo("first date in the training extract (YYYY-MM-DD)")
    end: Todo = Todo("last date in the training extract (YYYY-MM-DD)")


@dataclass(frozen=True, kw_only=True)
class Deidentification(_Section):
    method: Todo = Todo("safe_harbor, expert_determination or limited_data_set")
    reference: Todo = Todo("where the de-identification determination or DUA is filed")


@dataclass(frozen=True, kw_only=True)
class TrainingDataset(_Section):
    name: str | Todo
    version: str | Todo
    sha256: str | Todo
    date_range: DateRange = DateRange()
    size: int | Todo
    sites: Todo = Todo("list of sites: name, version (the site extract's version), n")
    inclusion: Todo = Todo("list of inclusion criteria")
    exclusions: Todo = Todo("list of exclusion criteria, or [] when none apply")
    deidentification: Deidentification = Deidentification()


@dataclass(frozen=True, kw_only=True)
class Algorithm(_Section):
    type: Inherited  # a known algorithm family, the parent's, or a Todo
    framework: Inherited  # the MLmodel flavor, the parent's, or a Todo
    framework_version: Inherited
    hyperparameters: Mapping[str, Param]
    random_seed: int | Todo


@dataclass(frozen=True, kw_only=True)
class Features(_Section):
    set: Inherited  # the run's feature_set param, the parent's set, or a Todo
    version: str | Todo
    names: tuple[str, ...] | Todo


@dataclass(frozen=True, kw_only=True)
class Infrastructure(_Section):
    compute: Inherited  # the parent's, or a Todo
    training_duration_minutes: int | None = field(default=None, metadata=_OMITTED_WHEN_NONE)


@dataclass(frozen=True, kw_only=True)
class Training(_Section):
    dataset: TrainingDataset
    demographics: Todo = Todo("share of training records per group for age_band, sex, race, ethnicity")
    algorithm: Algorithm
    features: Features | Mapping[str, Inherited]  # the parent's, when the run names the same features
    infrastructure: Infrastructure


@dataclass(frozen=True, kw_only=True)
class ValidationDataset(_Section):
    name: str | Todo
    version: Inherited  # the run's, or the parent's when it is the parent's dataset
    sha256: str | Todo
    inherited: Mapping[str, Inherited] = field(default_factory=dict)  # locked, date_range, sites
    locked: Todo | None = field(default=None, metadata=_OMITTED_WHEN_NONE)  # None: inherited

    def to_data(self) -> dict[str, object]:
        data = super().to_data()
        inherited = data.pop("inherited")
        assert isinstance(inherited, dict)
        locked = {"locked": data.pop("locked")} if "locked" in data else {}
        return {**data, **inherited, **locked}


AUC_CI95_TODO = Todo("95% confidence interval of auc_roc, [lower, upper]")


def _measured(metric: str) -> Todo:
    return Todo(f"{metric} measured on the validation set")


@dataclass(frozen=True, kw_only=True)
class OverallMetrics(_Section):
    """The validation metrics; auc_pr is left out when the run logged none (the schema allows it)."""

    n: int | float | Todo = _measured("n")
    prevalence: float | Todo = _measured("prevalence")
    auc_roc: float | Todo = _measured("auc_roc")
    auc_ci95: tuple[float, float] | Todo = AUC_CI95_TODO
    auc_pr: float | None = field(default=None, metadata=_OMITTED_WHEN_NONE)
    sensitivity: float | Todo = _measured("sensitivity")
    specificity: float | Todo = _measured("specificity")
    ppv: float | Todo = _measured("ppv")
    npv: float | Todo = _measured("npv")
    calibration_slope: float | Todo = _measured("calibration_slope")
    brier: float | Todo = _measured("brier")
    threshold: float | Todo = _measured("threshold")

    def to_data(self) -> dict[str, object]:
        data = super().to_data()
        if isinstance(self.auc_roc, Todo):  # no AUC measured: its interval is asked for last
            data["auc_ci95"] = data.pop("auc_ci95")
        return data


@dataclass(frozen=True, kw_only=True)
class ReferenceStandard(_Section):
    name: Todo = Todo("reference standard, e.g. Sepsis-3 by chart review")
    definition: Todo = Todo("how the outcome label is defined")


@dataclass(frozen=True, kw_only=True)
class Validation(_Section):
    dataset: ValidationDataset
    reference_standard: ReferenceStandard = ReferenceStandard()
    overall: OverallMetrics
    subgroups: Todo = Todo("per-subgroup metrics: attribute, group, n, auc_roc, ci95 for every group of "
                           "age_band, sex, race and ethnicity")
    robustness: Todo = Todo("list of robustness tests (name, result, passed), or []")


@dataclass(frozen=True, kw_only=True)
class ModelCard(_Section):
    limitations: Todo = Todo("model card: limitations")
    ethical_considerations: Todo = Todo("model card: ethical considerations")
    explainability: Todo = Todo("model card: explainability")


@dataclass(frozen=True, kw_only=True)
class Drift(_Section):
    metric: Todo = Todo("psi, kl_divergence or ks_statistic")
    threshold: Todo = Todo("drift threshold")


@dataclass(frozen=True, kw_only=True)
class PerformanceWatch(_Section):
    metric: Todo = Todo("auc_roc, sensitivity, ppv, calibration_slope or brier")
    max_drop: Todo = Todo("largest tolerated drop")


@dataclass(frozen=True, kw_only=True)
class Monitoring(_Section):
    drift: Drift = Drift()
    performance: PerformanceWatch = PerformanceWatch()
    review_interval_days: Todo = Todo("days between monitoring reviews")
    rollback_criteria: Todo = Todo("when to roll back")


@dataclass(frozen=True, kw_only=True)
class ManifestDraft(_Section):
    """A ModelVersion manifest with its Todos; model card and monitoring are the parent's when it has them."""

    model: str
    version: str
    parent: str | None
    submitted_by: str | Todo
    submitted_on: date
    change: Change = Change()
    artifact: Artifact
    training: Training
    validation: Validation
    model_card: ModelCard | Mapping[str, Inherited] = ModelCard()
    monitoring: Monitoring | Mapping[str, Inherited] = Monitoring()

    def to_data(self) -> dict[str, object]:
        return {"apiVersion": "clinigate/v1", "kind": "ModelVersion", **super().to_data()}

    def render(self) -> str:
        """The manifest file: the schema line, then the YAML."""
        body = yaml.safe_dump(self.to_data(), sort_keys=False, allow_unicode=True, width=100,
                              default_flow_style=False)
        return layout.schema_comment(layout.version_path(self.model, self.version)) + body

    def todos(self) -> tuple[tuple[str, str], ...]:
        """(dotted field path, marker) for every field a person must still fill in."""
        return tuple(find_todos(self.to_data()))
