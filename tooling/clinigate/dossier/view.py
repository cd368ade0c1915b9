"""A dossier as the rows and sentences the templates print: every number formatted once, here.

Templates stay free of logic and of the manifest's shape; HTML and Markdown print the same
view, so the two formats cannot disagree. Free text is passed through unchanged: escaping is
the template engine's job (autoescape for HTML, the ``md`` filter for Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .facts import Criterion, DeploymentRow, Dossier, SignatureRow

Pairs = list[tuple[str, str | None]]


@dataclass(frozen=True)
class SubgroupRow:
    attribute: str
    group: str
    n: int
    auc: str
    ci: str
    gap: str
    sensitivity: str
    specificity: str
    small: bool


@dataclass(frozen=True)
class DemographicRow:
    attribute: str
    group: str
    training: str
    validation: str


@dataclass(frozen=True)
class ComparisonRow:
    what: str
    before: str
    after: str
    delta: str


@dataclass(frozen=True)
class Comparison:
    label: str  # "the parent version 1.2.0"
    other: str  # "1.2.0"
    rows: list[ComparisonRow]


@dataclass(frozen=True)
class HistoryRow:
    version: str
    at: str
    change_class: str | None
    pccp_status: str | None
    summary: str | None


@dataclass
class ReportView:
    model: str
    version: str
    display_name: str
    description: str
    developer: str
    commit: str
    manifest_sha256: str
    intended_use: Pairs
    card: list[tuple[str, Pairs]]
    hti1: list[Any]
    training: Pairs
    demographics: list[DemographicRow]
    validation_facts: Pairs
    overall_header: list[str]
    overall_row: list[str]
    subgroups: list[SubgroupRow]
    min_n: int | None
    pccp_facts: Pairs
    criteria: list[Criterion]
    production_version: str | None
    baseline_version: str | None
    signatures: list[SignatureRow]
    deployments: list[DeploymentRow]
    monitoring: Pairs
    limitations: Pairs
    provenance: Pairs
    change_summary: str
    change_rationale: str
    comparisons: list[Comparison]
    history: list[HistoryRow]
    forest_svg: str = ""
    distribution_svg: str = ""
    forest_alt: str = ""
    distribution_alt: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _ci(pair: Any) -> str:
    return f"{pair[0]:.3f}–{pair[1]:.3f}" if pair else "—"


def _join(items: Any) -> str:
    return "; ".join(str(i) for i in items) if items else ""


def build_view(dossier: Dossier, *, hti1: list[Any], forest_svg: str = "",
               distribution_svg: str = "") -> ReportView:
    model, version = dossier.model, dossier.version
    use = model.intended_use
    plan = dossier.acceptance.min_subgroup_n if dossier.acceptance else None
    return ReportView(
        model=model.name, version=version.version, display_name=model.display_name,
        description=model.description,
        developer=f"{model.developer.organisation} ({model.developer.contact})",
        commit=dossier.commit, manifest_sha256=dossier.manifest_sha256,
        intended_use=[("Purpose", use.purpose), ("Indication", use.indication),
                      ("Population", use.population.description), ("Setting", use.setting),
                      ("Users", _join(use.users)), ("Decision role", str(use.decision_role)),
                      ("Output", f"{use.output.type}: {use.output.description}"),
                      ("Out of scope", _join(use.out_of_scope))],
        card=_card(dossier), hti1=hti1, training=_training(dossier), demographics=_demographics(dossier),
        validation_facts=_validation_facts(dossier),
        overall_header=["n", "prevalence", "AUC", "95% CI", "sensitivity", "specificity", "PPV", "NPV",
                        "calibration slope", "Brier", "threshold"],
        overall_row=_overall(dossier), subgroups=_subgroups(dossier, plan), min_n=plan,
        pccp_facts=_pccp_facts(dossier), criteria=dossier.criteria,
        production_version=dossier.production_version,
        baseline_version=dossier.baseline.version if dossier.baseline else None,
        signatures=dossier.signatures, deployments=dossier.deployments, monitoring=_monitoring(dossier),
        limitations=[("Limitations", version.model_card.limitations),
                     ("Ethical considerations", version.model_card.ethical_considerations),
                     ("Known biases", version.model_card.known_biases),
                     ("Caveats", version.model_card.caveats),
                     ("Explainability", version.model_card.explainability)],
        provenance=[("Audited commit", dossier.commit), ("Manifest", dossier.path),
                    ("Manifest sha256", dossier.manifest_sha256), ("Landed in commit", dossier.landed_commit),
                    ("Artifact", version.artifact.uri), ("Artifact sha256", version.artifact.sha256),
                    ("Training code commit", version.artifact.code_commit),
                    ("Training data sha256", version.training.dataset.sha256),
                    ("Validation data sha256", version.validation.dataset.sha256)],
        change_summary=version.change.summary, change_rationale=version.change.rationale,
        comparisons=_comparisons(dossier), history=_history(dossier),
        forest_svg=forest_svg, distribution_svg=distribution_svg)


def _card(dossier: Dossier) -> list[tuple[str, Pairs]]:
    """The CHAI Applied Model Card v0.2 sections this registry can answer (regulatory notes §6)."""
    model, version = dossier.model, dossier.version
    use = model.intended_use
    return [
        ("Basic information", [("Model name", model.display_name),
                               ("Developer", model.developer.organisation),
                               ("Contact", model.developer.contact)]),
        ("Release information", [("Version", version.version), ("Submitted", str(version.submitted_on)),
                                 ("Landed on main (Git, claimed)", dossier.landed_at.isoformat()),
                                 ("Regulatory", _regulatory(dossier))]),
        ("Model summary", [("Summary", model.description),
                           ("Algorithm", f"{version.training.algorithm.type} "
                                         f"({version.training.algorithm.framework} "
                                         f"{version.training.algorithm.framework_version})")]),
        ("Uses and directions", [("Intended use", use.purpose), ("Users", _join(use.users)),
                                 ("Target population", use.population.description),
                                 ("Cautioned out-of-scope uses", _join(use.out_of_scope))]),
        ("Warnings", [("Risks and limitations", version.model_card.limitations),
                      ("Biases and ethical considerations", version.model_card.ethical_considerations),
                      ("Known biases", version.model_card.known_biases)]),
        ("Trust ingredients", [("Development data", f"{version.training.dataset.name} "
                                                    f"{version.training.dataset.version}, "
                                                    f"{version.training.dataset.size} encounters"),
                               ("Funding", model.developer.funding),
                               ("Ongoing maintenance", _maintenance(version))]),
        ("Key metrics", [("Overall AUC (95% CI)", f"{version.validation.overall.auc_roc:.3f} "
                                                  f"({_ci(version.validation.overall.auc_ci95)})"),
                         ("Sensitivity / specificity at threshold",
                          f"{version.validation.overall.sensitivity:.3f} / "
                          f"{version.validation.overall.specificity:.3f} at "
                          f"{version.validation.overall.threshold}"),
                         ("Test data", _dataset(version.validation.dataset))]),
    ]


def _regulatory(dossier: Dossier) -> str:
    pccp = dossier.pccp
    plan = f"PCCP {pccp.title} v{pccp.version} ({pccp.submission or 'no submission'})" if pccp else "no PCCP"
    return f"{plan}; change class {dossier.change_class or '?'}, {dossier.pccp_status or '?'}"


def _training(dossier: Dossier) -> Pairs:
    data = dossier.version.training.dataset
    sites = "; ".join(f"{s.name} (n={s.n})" for s in data.sites) if data.sites else None
    return [("Dataset", _dataset(data)), ("Period", f"{data.date_range.start} to {data.date_range.end}"),
            ("Size", str(data.size)), ("Sites", sites), ("Inclusion", _join(data.inclusion)),
            ("Exclusions", _join(data.exclusions)),
            ("De-identification", f"{data.deidentification.method}: {data.deidentification.reference}"
             if data.deidentification else None)]


def _demographics(dossier: Dossier) -> list[DemographicRow]:
    training = dossier.version.training.demographics
    subgroups = dossier.version.validation.subgroups
    totals: dict[str, int] = {}
    for s in subgroups:
        totals[s.attribute.value] = totals.get(s.attribute.value, 0) + s.n
    validation = {(s.attribute.value, s.group): s.n / totals[s.attribute.value] for s in subgroups}
    rows = []
    for attribute, groups in training.items():
        for group, share in groups.items():
            seen = validation.get((attribute.value, group))
            rows.append(DemographicRow(attribute.value, group, f"{share:.1%}",
                                       "—" if seen is None else f"{seen:.1%}"))
    return rows


def _validation_facts(dossier: Dossier) -> Pairs:
    data = dossier.version.validation.dataset
    ref = dossier.version.validation.reference_standard
    return [("Dataset", f"{data.name} {data.version} ({'locked' if data.locked else 'not locked'})"),
            ("Sites", _join(data.sites)), ("Reference standard", f"{ref.name}: {ref.definition}"),
            ("Adjudication", ref.adjudication)]


def _overall(dossier: Dossier) -> list[str]:
    o = dossier.version.validation.overall
    return [str(o.n), _p(o.prevalence), _p(o.auc_roc), _ci(o.auc_ci95), _p(o.sensitivity), _p(o.specificity),
            _p(o.ppv), _p(o.npv), f"{o.calibration_slope:.2f}", f"{o.brier:.4f}", str(o.threshold)]


def _subgroups(dossier: Dossier, min_n: int | None) -> list[SubgroupRow]:
    overall = dossier.version.validation.overall.auc_roc
    return [SubgroupRow(s.attribute.value, s.group, s.n, _p(s.auc_roc), _ci(s.ci95),
                        f"{s.auc_roc - overall:+.3f}", _p(s.sensitivity), _p(s.specificity),
                        min_n is not None and s.n < min_n)
            for s in dossier.version.validation.subgroups]


def _pccp_facts(dossier: Dossier) -> Pairs:
    pccp = dossier.pccp
    return [("Plan", f"{pccp.title}, version {pccp.version}, submission {pccp.submission or '—'}"
             if pccp else None),
            ("Authorised baseline", pccp.authorised_baseline if pccp else None),
            ("Declared change class", dossier.declared_class),
            ("Computed change class", dossier.change_class),
            ("PCCP status", dossier.pccp_status), ("Regulatory action", dossier.regulatory_action),
            ("Modification id", dossier.modification_id),
            ("Pull request", f"#{dossier.pull_request}" if dossier.pull_request else None)]


def _monitoring(dossier: Dossier) -> Pairs:
    m = dossier.version.monitoring
    return [("Drift", f"{m.drift.metric} above {m.drift.threshold}"),
            ("Performance", f"{m.performance.metric}: " + ", ".join(
                f"{k} {v}" for k, v in m.performance.model_dump().items() if k != "metric")),
            ("Tracked subgroups", _join(a.value for a in m.subgroups)),
            ("Review interval", f"{m.review_interval_days} days"), ("Rollback criteria", m.rollback_criteria)]


def _comparisons(dossier: Dossier) -> list[Comparison]:
    found = []
    if dossier.parent is not None:
        found.append(Comparison(f"the parent version {dossier.parent.version}", dossier.parent.version,
                                compare(dossier.parent, dossier.version)))
    parent = dossier.parent.version if dossier.parent else None
    if dossier.production is not None and dossier.production.version != parent:
        found.append(Comparison(f"production ({dossier.production.version})", dossier.production.version,
                                compare(dossier.production, dossier.version)))
    return found


def compare(before: Any, after: Any) -> list[ComparisonRow]:
    """Metrics overall and per subgroup, features and data, ``before`` against ``after``."""
    rows = [_metric("overall AUC", before.validation.overall.auc_roc, after.validation.overall.auc_roc),
            _metric("sensitivity", before.validation.overall.sensitivity,
                    after.validation.overall.sensitivity),
            _metric("specificity", before.validation.overall.specificity,
                    after.validation.overall.specificity),
            _metric("PPV", before.validation.overall.ppv, after.validation.overall.ppv)]
    old = {(s.attribute.value, s.group): s.auc_roc for s in before.validation.subgroups}
    new = {(s.attribute.value, s.group): s.auc_roc for s in after.validation.subgroups}
    for key in sorted(old.keys() | new.keys()):
        rows.append(_metric(f"AUC {key[0]}: {key[1]}", old.get(key), new.get(key)))
    added = sorted(set(after.training.features.names) - set(before.training.features.names))
    removed = sorted(set(before.training.features.names) - set(after.training.features.names))
    rows.append(ComparisonRow("features", _features(before), _features(after), _changes(added, removed)))
    same = before.training.dataset.sha256 == after.training.dataset.sha256
    rows.append(ComparisonRow("training data", _dataset(before.training.dataset),
                              _dataset(after.training.dataset), "same digest" if same else "new digest"))
    return rows


def _dataset(data: Any) -> str:
    return f"{data.name} {data.version}"


def _features(version: Any) -> str:
    return f"{version.training.features.set} {version.training.features.version}"


def _maintenance(version: Any) -> str:
    monitoring = version.monitoring
    return f"review every {monitoring.review_interval_days} days; {monitoring.rollback_criteria}"


def _changes(added: list[str], removed: list[str]) -> str:
    parts = ([f"+{', '.join(added)}"] if added else []) + ([f"−{', '.join(removed)}"] if removed else [])
    return "; ".join(parts) or "unchanged"


def _metric(what: str, before: float | None, after: float | None) -> ComparisonRow:
    delta = "—" if before is None or after is None else f"{after - before:+.3f}"
    return ComparisonRow(what, _p(before) if before is not None else "— (absent)",
                         _p(after) if after is not None else "— (absent)", delta)


def _history(dossier: Dossier) -> list[HistoryRow]:
    return [HistoryRow(m.event.version or "?", m.event.landing.at.isoformat(), m.evidence.change_class,
                       m.evidence.pccp_status, m.summary) for m in dossier.history]
