"""ModelVersion: one immutable manifest per model version (``models/<m>/versions/<v>.yaml``).

Each field is here because a regulator or a reviewer asks for it: seed 000 (artifact digest,
lineage, subgroup validation), FDA PCCP guidance §VII.B (data management, locked test set,
reference standard), GMLP 3/4/9/10 and the HTI-1 source attributes (regulatory.md §7.A).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, model_validator

from .claims import Claim
from .evidence import Evidence
from .independence import Independence, TuningDataset
from .release import Release
from .risk import RiskId
from .values import (
    REQUIRED_DEMOGRAPHICS,
    ChangeClass,
    Count,
    Day,
    Flag,
    GitCommit,
    Integer,
    Interval,
    ModelName,
    Number,
    PersonId,
    Probability,
    Semver,
    Sha256,
    ShortText,
    StrictModel,
    SubgroupAttribute,
    Text,
    UniqueTextList,
)

ScalarParam = Annotated[Flag | Integer | Number | ShortText, Field(union_mode="left_to_right")]


class RootCause(StrictModel):
    """Why a modification that failed its acceptance criteria may be tried again (FDA PCCP guidance
    §VII.B(3)): the failed evaluation it answers and the analysis that clears the plan."""

    failed_evaluation: Sha256 = Field(description="the gate's evaluation record of the failure (the sha256 "
                                      "`check --record` printed; policies/failures.rego)")
    summary: Text = Field(description="the root-cause analysis: what failed and why")
    conclusion: Literal["unrelated_to_pccp"] = Field(
        description="the analysis shows the failure is unrelated to the PCCP, so a re-test is allowed")
    reference: ShortText | None = Field(default=None, description="the CAPA or investigation record")


class Change(StrictModel):
    summary: ShortText
    rationale: Text = Field(description="Part 11 'reason for change': why this version exists")
    declared_class: ChangeClass | None = Field(
        default=None, description="the submitter's claim; the policy computes the real class"
    )
    modification_id: ShortText | None = Field(
        default=None, description="the PCCP modification this change implements (pccp.yaml "
        "modifications[].id); required when the plan lists modifications for the change's class"
    )
    release: Release | None = Field(default=None, description="how this modification is released: "
                                    "automatic or manual, global or local (with its sites)")
    problem_reports: list[ShortText] = Field(default_factory=list)
    root_cause: RootCause | None = Field(
        default=None, description="required when an earlier version's try of the same modification failed "
        "the gate on record (gates.retry_without_root_cause)")
    risk_controls_affected: list[ShortText] = Field(
        default_factory=list, description="the risk controls (risk.yaml) this change affects, each entry "
        "starting with the control's id: 'RC-04 post-market performance monitoring'")
    new_hazards: list[RiskId] = Field(
        default_factory=list, description="hazards this change introduces; risk.yaml must add them in the "
        "same pull request")


class MlflowRef(StrictModel):
    registered_model: ShortText
    version: Count
    run_id: Annotated[str, Strict(), Field(pattern=r"^[0-9a-f]{32}$")]


class Artifact(StrictModel):
    uri: Annotated[str, Strict(), Field(pattern=r"^(models|runs|s3|gs|wasbs|file|mlflow-artifacts)://?\S+$")]
    sha256: Sha256 = Field(
        description="digest of the complete inference package: every file, sorted relative paths"
    )
    mlflow: MlflowRef
    code_commit: GitCommit | None = None


class DateRange(StrictModel):
    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class Site(StrictModel):
    name: ShortText
    version: ShortText = Field(description="the site extract's version")
    n: Count


class Deidentification(StrictModel):
    method: Literal["safe_harbor", "expert_determination", "limited_data_set"]
    reference: ShortText = Field(description="where the determination or DUA is filed")


class TrainingDataset(StrictModel):
    name: ShortText
    version: ShortText
    sha256: Sha256
    date_range: DateRange
    size: Count
    sites: Annotated[list[Site], Field(min_length=1)]
    inclusion: Annotated[list[ShortText], Field(min_length=1)]
    exclusions: list[ShortText] = Field(description="exclusion criteria; [] when none apply")
    deidentification: Deidentification

    @model_validator(mode="after")
    def _sites_add_up(self) -> TrainingDataset:
        total = sum(site.n for site in self.sites)
        if total != self.size:
            raise ValueError(f"the sites' n add up to {total}, but size is {self.size}")
        return self


Distribution = dict[ShortText, Probability]


class Algorithm(StrictModel):
    type: Literal[
        "gradient_boosting", "random_forest", "logistic_regression", "neural_network",
        "transformer", "recurrent_neural_network", "convolutional_neural_network", "rule_based",
    ]
    framework: ShortText = Field(description="library family, e.g. xgboost, lightgbm, pytorch")
    framework_version: ShortText
    hyperparameters: dict[ShortText, ScalarParam]
    random_seed: Annotated[Integer, Field(ge=0)]


class Features(StrictModel):
    set: ShortText
    version: ShortText
    names: Annotated[UniqueTextList, Field(min_length=1)]


class Infrastructure(StrictModel):
    compute: ShortText
    environment_sha256: Sha256 | None = Field(default=None, description="lock file or image digest")
    training_duration_minutes: Count | None = None


class Training(StrictModel):
    dataset: TrainingDataset
    tuning_dataset: TuningDataset | None = Field(
        default=None, description="a separate tuning set, if any; it must be independent of validation"
    )
    demographics: dict[SubgroupAttribute, Distribution] = Field(
        description="share of training records per group, for each demographic attribute"
    )
    algorithm: Algorithm
    features: Features
    infrastructure: Infrastructure

    @model_validator(mode="after")
    def _demographics_complete(self) -> Training:
        missing = [a.value for a in REQUIRED_DEMOGRAPHICS if a not in self.demographics]
        if missing:
            raise ValueError(f"demographics must cover {', '.join(missing)}")
        for attribute, shares in self.demographics.items():
            total = round(sum(shares.values()), 3)
            if abs(total - 1.0) > 0.011:
                raise ValueError(f"demographics.{attribute.value} shares add up to {total}, not 1")
        return self


class ValidationDataset(StrictModel):
    name: ShortText
    version: ShortText
    sha256: Sha256
    locked: Flag = Field(description="true when this is the PCCP's locked (sequestered) test set")
    date_range: DateRange | None = None
    sites: list[ShortText] = Field(default_factory=list)


class ReferenceStandard(StrictModel):
    name: ShortText = Field(description="e.g. Sepsis-3 by chart review")
    definition: Text
    adjudication: ShortText | None = None




def _check_interval(point: float, ci95: list[float] | None, what: str) -> None:
    if ci95 is not None and not ci95[0] <= point <= ci95[1]:
        raise ValueError(f"{what}: 95% CI [{ci95[0]}, {ci95[1]}] must contain {point}")


class OverallMetrics(StrictModel):
    n: Count
    prevalence: Probability
    auc_roc: Probability
    auc_ci95: Interval
    auc_pr: Probability | None = Field(default=None, description="area under the PR curve")
    sensitivity: Probability
    specificity: Probability
    ppv: Probability
    npv: Probability
    calibration_slope: Annotated[Number, Field(gt=0.0, le=10.0)]
    brier: Probability
    threshold: Probability = Field(description="the operating point the other metrics use")

    @model_validator(mode="after")
    def _ci(self) -> OverallMetrics:
        _check_interval(self.auc_roc, self.auc_ci95, "auc_roc")
        return self


class Subgroup(StrictModel):
    attribute: SubgroupAttribute
    group: ShortText
    n: Count
    auc_roc: Probability
    ci95: Interval
    prevalence: Probability | None = None
    sensitivity: Probability | None = None
    specificity: Probability | None = None
    ppv: Probability | None = None
    fpr: Probability | None = None

    @model_validator(mode="after")
    def _ci(self) -> Subgroup:
        _check_interval(self.auc_roc, self.ci95, "auc_roc")
        return self


class RobustnessTest(StrictModel):
    name: ShortText
    result: Text
    passed: Flag


class Validation(StrictModel):
    dataset: ValidationDataset
    independence: Independence | None = Field(
        default=None, description="the checks that the validation data is independent of the "
        "development data (policies/independence.rego)"
    )
    reference_standard: ReferenceStandard
    overall: OverallMetrics
    subgroups: Annotated[list[Subgroup], Field(min_length=1)]
    robustness: list[RobustnessTest] = Field(default_factory=list)
    evidence: Evidence | None = Field(default=None, description="where overall and subgroups were "
                                      "computed from (clinigate evaluate); check recomputes them")

    @model_validator(mode="after")
    def _subgroups_consistent(self) -> Validation:
        seen: set[tuple[str, str]] = set()
        for sub in self.subgroups:
            key = (sub.attribute.value, sub.group)
            if key in seen:
                raise ValueError(f"subgroup {key[0]}={key[1]} is listed twice")
            seen.add(key)
            if sub.n > self.overall.n:
                raise ValueError(
                    f"subgroup {key[0]}={key[1]} has n={sub.n}, more than overall n={self.overall.n}"
                )
        present = {sub.attribute for sub in self.subgroups}
        missing = [a.value for a in REQUIRED_DEMOGRAPHICS if a not in present]
        if missing:
            raise ValueError(f"subgroups must include every group of {', '.join(missing)}")
        return self


class ModelCard(StrictModel):
    limitations: Text
    ethical_considerations: Text
    explainability: Text
    known_biases: Text | None = None
    caveats: Text | None = None
    claims: list[Claim] = Field(
        default_factory=list, description="the care settings, populations and indications this card "
        "claims; each must be covered by the intended use and the approved production deployment")


class DriftMonitor(StrictModel):
    metric: Literal["psi", "kl_divergence", "ks_statistic"]
    threshold: Annotated[Number, Field(gt=0.0, le=10.0)]


class PerformanceMonitor(StrictModel):
    metric: Literal["auc_roc", "sensitivity", "ppv", "calibration_slope", "brier"]
    max_drop: Annotated[Number, Field(gt=0.0, le=1.0)]


class Monitoring(StrictModel):
    drift: DriftMonitor
    performance: PerformanceMonitor
    subgroups: list[SubgroupAttribute] = Field(
        default_factory=list, description="attributes whose performance is tracked separately"
    )
    review_interval_days: Annotated[Integer, Field(gt=0, le=366)]
    rollback_criteria: Text


class ModelVersion(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["ModelVersion"]
    model: ModelName
    version: Semver
    parent: Semver | None = Field(description="the version this one derives from; null if first")
    submitted_by: PersonId
    submitted_on: Day = Field(description="date the submitter claims (informational)")
    change: Change
    artifact: Artifact
    training: Training
    validation: Validation
    model_card: ModelCard
    monitoring: Monitoring
