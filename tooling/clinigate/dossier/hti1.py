"""The ONC HTI-1 crosswalk: where a model's documents answer the 31 predictive-DSI source attributes.

    >>> rows = hti1_crosswalk(model, version, pccp)    # doctest: +SKIP
    >>> [(r.number, r.source) for r in rows if r.value is None]    # doctest: +SKIP

45 CFR 170.315(b)(11)(iv)(B) lists 31 source attributes a predictive decision support
intervention must make available (numbering and names: shared/notes/regulatory.md §6). Each row
says which field answers it and quotes what that field records. A row nothing records has
``value`` None: an attribute sheet that fills a gap with plausible text would be a false
statement to a regulator, so no value is ever composed from anything but the named fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from .. import layout
from ..manifest.model import Model
from ..manifest.pccp import PCCP
from ..manifest.values import SubgroupAttribute
from ..manifest.version import DateRange, ModelVersion, Subgroup


@dataclass(frozen=True)
class Hti1Attribute:
    """One source attribute: ``value`` is the recorded text, or None when nothing records it."""

    number: int
    group: str
    name: str
    source: str | None
    value: str | None


# (number, group, name), in the order of the regulation.
ATTRIBUTES: tuple[tuple[int, str, str], ...] = (
    (1, "Details and output", "Developer name and contact"),
    (2, "Details and output", "Funding source"),
    (3, "Details and output", "Output value"),
    (4, "Details and output", "Output type"),
    (5, "Purpose", "Intended use"),
    (6, "Purpose", "Patient population"),
    (7, "Purpose", "Users"),
    (8, "Purpose", "Decision role (informs, augments or replaces)"),
    (9, "Cautioned use", "Out-of-scope tasks or populations"),
    (10, "Cautioned use", "Known risks and limitations"),
    (11, "Development", "Training inclusion and exclusion criteria"),
    (12, "Development", "Use as input features of race, ethnicity, language, sexual orientation, "
                        "gender identity, sex, date of birth, SDOH and health-status data"),
    (13, "Development", "Demographic representativeness on those variables"),
    (14, "Development", "Relevance of the training data to the deployment setting"),
    (15, "Fairness", "Approach to fairness"),
    (16, "Fairness", "Bias management"),
    (17, "External validation", "Data source and setting"),
    (18, "External validation", "Tester"),
    (19, "External validation", "Demographic representativeness"),
    (20, "External validation", "Process"),
    (21, "Quantitative performance", "Internal validity"),
    (22, "Quantitative performance", "Internal fairness"),
    (23, "Quantitative performance", "External validity"),
    (24, "Quantitative performance", "External fairness"),
    (25, "Quantitative performance", "Outcome evaluations"),
    (26, "Ongoing maintenance", "Process and frequency of validity monitoring"),
    (27, "Ongoing maintenance", "Validity in local data"),
    (28, "Ongoing maintenance", "Process and frequency of fairness monitoring"),
    (29, "Ongoing maintenance", "Fairness in local data"),
    (30, "Updates", "Update process and frequency"),
    (31, "Updates", "How often performance is corrected when validity or fairness risks appear"),
)

# HTI-1 §170.315(b)(11)(iv)(A)(5)–(13) variables and the whole words of a feature name that
# point to each (attribute 12). A name scan is evidence, not proof: a derived feature can carry
# a variable under any name, which is why the row says that only names were checked.
FEATURE_TERMS: tuple[tuple[str, frozenset[str]], ...] = (
    ("race", frozenset({"race", "racial"})),
    ("ethnicity", frozenset({"ethnicity", "ethnic", "hispanic", "latino"})),
    ("language", frozenset({"language", "lang", "interpreter"})),
    ("sexual orientation", frozenset({"orientation", "lgbt", "lgbtq"})),
    ("gender identity", frozenset({"gender"})),
    ("sex", frozenset({"sex", "female", "male"})),
    # Age is computed from the date of birth, so an age input uses DOB.
    ("date of birth", frozenset({"dob", "birth", "birthdate", "birthday", "age"})),
    ("social determinants of health", frozenset({
        "sdoh", "adi", "svi", "deprivation", "housing", "homeless", "homelessness", "food",
        "transportation", "income", "poverty", "education", "employment", "unemployment",
        "insurance", "payer", "medicaid", "zip", "zipcode",
    })),
    ("health status assessment", frozenset({
        "functional", "disability", "cognitive", "cognition", "pregnancy", "pregnant", "smoking",
        "smoker", "tobacco", "frailty", "phq",
    })),
)

# Subgroup attributes that describe who the patients are (attribute 19), not where or how sick.
_DEMOGRAPHIC = frozenset({SubgroupAttribute.AGE_BAND, SubgroupAttribute.SEX, SubgroupAttribute.RACE,
                          SubgroupAttribute.ETHNICITY, SubgroupAttribute.LANGUAGE,
                          SubgroupAttribute.INSURANCE})


@dataclass(frozen=True)
class _Answer:
    source: str | None
    value: str | None


_NOT_RECORDED = _Answer(None, None)


@dataclass(frozen=True)
class _Documents:
    model: Model
    version: ModelVersion
    pccp: PCCP | None

    def model_field(self, *fields: str) -> str:
        return f"{layout.MODEL_FILE} {', '.join(fields)}"

    def version_field(self, *fields: str) -> str:
        path = PurePosixPath(layout.version_path(self.version.model, self.version.version))
        return f"{path.relative_to(layout.model_dir(self.version.model))} {', '.join(fields)}"

    def pccp_field(self, *fields: str) -> str:
        return f"{layout.PCCP_FILE} {', '.join(fields)}"


def hti1_crosswalk(model: Model, version: ModelVersion, pccp: PCCP | None) -> list[Hti1Attribute]:
    """The 31 source attributes in order, each with the field that answers it and its text."""
    docs = _Documents(model, version, pccp)
    answers = [answer for group in _GROUPS for answer in group(docs)]
    # strict: a group function that lost or gained a row must fail, not shift every later row
    return [Hti1Attribute(number, group, name, answer.source, answer.value)
            for (number, group, name), answer in zip(ATTRIBUTES, answers, strict=True)]


def _join(items: Iterable[str]) -> str:
    return "; ".join(items)


def _number(value: float) -> str:
    """A number as the manifest spells it (the shortest repr round-trips the YAML literal)."""
    return repr(value)


def _dates(span: DateRange) -> str:
    return f"{span.start.isoformat()} to {span.end.isoformat()}"


# Details and output (1–4) and Purpose (5–8): model.yaml describes the intervention itself.

def _details(docs: _Documents) -> list[_Answer]:
    dev, output = docs.model.developer, docs.model.intended_use.output
    return [
        _Answer(docs.model_field("developer.organisation", "developer.contact"),
                _join([dev.organisation, dev.contact])),
        _Answer(docs.model_field("developer.funding"), dev.funding),
        _Answer(docs.model_field("intended_use.output.description"), output.description),
        _Answer(docs.model_field("intended_use.output.type"), output.type),
    ]


def _purpose(docs: _Documents) -> list[_Answer]:
    use = docs.model.intended_use
    return [
        _Answer(docs.model_field("intended_use.purpose", "intended_use.indication", "intended_use.setting"),
                f"{use.purpose} {use.indication} Setting: {use.setting}"),
        _Answer(docs.model_field("intended_use.population"), _population(docs.model)),
        _Answer(docs.model_field("intended_use.users"), _join(use.users)),
        _Answer(docs.model_field("intended_use.decision_role"), use.decision_role),
    ]


def _population(model: Model) -> str:
    population = model.intended_use.population
    age = population.age
    ages = (f"{age.min_years} years or older" if age.max_years is None
            else f"{age.min_years} to {age.max_years} years")
    return (f"{population.description} Age: {ages}. Inclusion: {_join(population.inclusion)}. "
            f"Exclusions: {_join(population.exclusions)}.")


# Cautioned use (9–10).

def _cautioned(docs: _Documents) -> list[_Answer]:
    card = docs.version.model_card
    parts = {"model_card.limitations": card.limitations, "model_card.known_biases": card.known_biases,
             "model_card.caveats": card.caveats}
    present = {name: text for name, text in parts.items() if text is not None}
    return [
        _Answer(docs.model_field("intended_use.out_of_scope"), _join(docs.model.intended_use.out_of_scope)),
        _Answer(docs.version_field(*present), " ".join(present.values())),
    ]


# Development (11–14): the training record of this version.

def _development(docs: _Documents) -> list[_Answer]:
    training = docs.version.training
    data = training.dataset
    exclusions = _join(data.exclusions) if data.exclusions else "none"
    sites = _join(f"{site.name} (n={site.n})" for site in data.sites)
    return [
        _Answer(docs.version_field("training.dataset.inclusion", "training.dataset.exclusions"),
                f"Inclusion: {_join(data.inclusion)}. Exclusions: {exclusions}."),
        _Answer(docs.version_field("training.features.names"), _feature_scan(training.features.names)),
        _Answer(docs.version_field("training.demographics"), "Share of training records: " + _join(
            f"{attribute}: " + ", ".join(f"{group} {_number(share)}" for group, share in shares.items())
            for attribute, shares in training.demographics.items())),
        _Answer(docs.version_field("training.dataset.sites", "training.dataset.date_range")
                + "; " + docs.model_field("intended_use.setting"),
                f"Training sites: {sites}; records {_dates(data.date_range)}. "
                f"Intended setting: {docs.model.intended_use.setting}"),
    ]


def _words(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # camelCase → camel_Case
    return {word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word}


def _feature_scan(names: Sequence[str]) -> str:
    """Which input features name an HTI-1 variable (whole words of the name, see FEATURE_TERMS)."""
    hits: list[str] = []
    matched: set[str] = set()
    for name in names:
        variables = [variable for variable, terms in FEATURE_TERMS if _words(name) & terms]
        if variables:
            hits.append(f"{name} ({', '.join(variables)})")
            matched.update(variables)
    unmatched = [variable for variable, _ in FEATURE_TERMS if variable not in matched]
    found = f"Feature names that point to an HTI-1 variable: {_join(hits)}." if hits else \
        "No feature name points to an HTI-1 variable."
    rest = f" No feature name points to: {_join(unmatched)}." if hits and unmatched else ""
    return (f"{found}{rest} Checked: the whole words of the {len(names)} names in "
            "training.features.names (age counts as date of birth); derived features are not traced.")


# Fairness (15–16).

def _fairness(docs: _Documents) -> list[_Answer]:
    return [
        _Answer(docs.version_field("model_card.ethical_considerations"),
                docs.version.model_card.ethical_considerations),
        _subgroup_gate(docs),
    ]


def _subgroup_gate(docs: _Documents) -> _Answer:
    """The PCCP's subgroup acceptance criteria for the class the submitter declared."""
    declared = docs.version.change.declared_class
    if declared is None:
        return _Answer(docs.pccp_field("change_classes.<class>.acceptance"), None)
    source = docs.pccp_field(f"change_classes.{declared}.acceptance.required_subgroup_attributes",
                             "min_subgroup_n", "max_subgroup_gap")
    plan = docs.pccp.change_classes.get(declared) if docs.pccp else None
    if plan is None:
        return _Answer(source, None)
    acceptance = plan.acceptance
    return _Answer(source, (
        f"Release gate for change class {declared} (the version's declared class): every group of "
        f"{_join(acceptance.required_subgroup_attributes)} needs n of at least {acceptance.min_subgroup_n} "
        f"and an AUROC no more than {_number(acceptance.max_subgroup_gap)} below overall."))


# External validation (17–20): the version's validation set.

def _is_external(version: ModelVersion) -> bool:
    """Only a validation set whose recorded sites are all new is data from another source."""
    sites = set(version.validation.dataset.sites)
    return bool(sites) and sites.isdisjoint(site.name for site in version.training.dataset.sites)


def _external_validation(docs: _Documents) -> list[_Answer]:
    validation = docs.version.validation
    data, reference = validation.dataset, validation.reference_standard
    adjudication = f" Adjudication: {reference.adjudication}" if reference.adjudication else ""
    process_fields = ["validation.dataset.name", "validation.dataset.version", "validation.dataset.locked",
                      "validation.reference_standard.name", "validation.reference_standard.definition"]
    if reference.adjudication:
        process_fields.append("validation.reference_standard.adjudication")
    locked = "a locked (sequestered) test set" if data.locked else "not a locked test set"
    return [
        _validation_setting(docs),
        _NOT_RECORDED,  # no field names the party that tested the model
        _validation_demographics(docs),
        _Answer(docs.version_field(*process_fields),
                f"{data.name} version {data.version}, {locked}. Reference standard: {reference.name}: "
                f"{reference.definition}{adjudication}"),
    ]


def _validation_setting(docs: _Documents) -> _Answer:
    data = docs.version.validation.dataset
    source = docs.version_field("validation.dataset.sites", "validation.dataset.date_range")
    if not data.sites and data.date_range is None:
        return _Answer(source, None)
    parts = [_join(data.sites)] if data.sites else []
    if data.date_range is not None:
        parts.append(_dates(data.date_range))
    overlap = [site for site in data.sites if site in {s.name for s in docs.version.training.dataset.sites}]
    if not data.sites:
        relation = ""
    elif len(overlap) == len(data.sites):
        relation = " Every validation site is also a training site."
    elif overlap:
        relation = f" Also training sites: {_join(overlap)}."
    else:
        relation = " No validation site is a training site."
    return _Answer(source + "; compared with training.dataset.sites", f"{'; '.join(parts)}.{relation}")


def _validation_demographics(docs: _Documents) -> _Answer:
    validation = docs.version.validation
    by_attribute: dict[str, list[Subgroup]] = {}
    for sub in validation.subgroups:
        if sub.attribute in _DEMOGRAPHIC:
            by_attribute.setdefault(sub.attribute.value, []).append(sub)
    return _Answer(docs.version_field("validation.subgroups[].n", "validation.overall.n"),
                   f"n of {validation.overall.n} validation records: " + _join(
                       f"{attribute}: " + ", ".join(f"{sub.group} {sub.n}" for sub in subs)
                       for attribute, subs in by_attribute.items()))


# Quantitative performance (21–25): one validation set answers either the internal (same source
# as training) or the external pair, never both.

def _performance(docs: _Documents) -> list[_Answer]:
    validity = _Answer(docs.version_field("validation.overall"), _overall(docs.version))
    fairness = _Answer(docs.version_field("validation.subgroups"), _subgroups(docs.version))
    if _is_external(docs.version):
        internal, external = [_NOT_RECORDED, _NOT_RECORDED], [validity, fairness]
    else:
        internal, external = [validity, fairness], [_NOT_RECORDED, _NOT_RECORDED]
    return [*internal, *external, _NOT_RECORDED]  # 25: no field cites outcome studies


def _overall(version: ModelVersion) -> str:
    o = version.validation.overall
    pr = f"; AUPRC {_number(o.auc_pr)}" if o.auc_pr is not None else ""
    return (f"AUROC {_number(o.auc_roc)} (95% CI {_number(o.auc_ci95[0])} to {_number(o.auc_ci95[1])}){pr}; "
            f"n {o.n}; prevalence {_number(o.prevalence)}; at threshold {_number(o.threshold)}: sensitivity "
            f"{_number(o.sensitivity)}, specificity {_number(o.specificity)}, PPV {_number(o.ppv)}, "
            f"NPV {_number(o.npv)}; calibration slope {_number(o.calibration_slope)}; "
            f"Brier score {_number(o.brier)}")


def _subgroups(version: ModelVersion) -> str:
    return "AUROC (95% CI, n) by subgroup: " + _join(
        f"{sub.attribute} {sub.group} {_number(sub.auc_roc)} "
        f"({_number(sub.ci95[0])} to {_number(sub.ci95[1])}, n={sub.n})"
        for sub in version.validation.subgroups)


# Ongoing maintenance (26–29): the version records its monitoring plan, never the results.

def _maintenance(docs: _Documents) -> list[_Answer]:
    plan = docs.version.monitoring
    every = f"review every {plan.review_interval_days} days"
    validity = _Answer(
        docs.version_field("monitoring.performance", "monitoring.drift", "monitoring.review_interval_days"),
        f"Performance: {plan.performance.metric}, max drop {_number(plan.performance.max_drop)}; "
        f"drift: {plan.drift.metric}, threshold {_number(plan.drift.threshold)}; {every}")
    fairness_source = docs.version_field("monitoring.subgroups", "monitoring.review_interval_days")
    fairness = _Answer(fairness_source, f"Subgroup attributes tracked separately: {_join(plan.subgroups)}; "
                                        f"{every}") if plan.subgroups else _Answer(fairness_source, None)
    return [validity, _NOT_RECORDED, fairness, _NOT_RECORDED]


# Updates (30–31).

def _updates(docs: _Documents) -> list[_Answer]:
    correction = _Answer(docs.version_field("monitoring.rollback_criteria"),
                         docs.version.monitoring.rollback_criteria)
    source = docs.pccp_field("title", "version", "submission", "authorised_baseline",
                             "change_classes.*.authorised", "impact_assessment.document")
    if docs.pccp is None:
        return [_Answer(source, None), correction]
    pccp = docs.pccp
    allowed = [str(c) for c, plan in pccp.change_classes.items() if plan.authorised]
    refused = [str(c) for c, plan in pccp.change_classes.items() if not plan.authorised]
    submission = f", submission {pccp.submission}" if pccp.submission else ""
    return [_Answer(source, (
        f"{pccp.title} version {pccp.version}{submission}; authorised baseline {pccp.authorised_baseline}; "
        f"authorised change classes: {_join(allowed)}; not authorised: {_join(refused)}; "
        f"impact assessment {_assessment(pccp)}")), correction]


def _assessment(pccp: PCCP) -> str:
    """The plan's cumulative impact assessment, else its modifications' own."""
    if pccp.impact_assessment is not None:
        return pccp.impact_assessment.document
    return _join([f"{m.id}: {m.impact_assessment.document}" for m in pccp.modifications])


_GROUPS: tuple[Callable[[_Documents], list[_Answer]], ...] = (
    _details, _purpose, _cautioned, _development, _fairness, _external_validation, _performance,
    _maintenance, _updates,
)
