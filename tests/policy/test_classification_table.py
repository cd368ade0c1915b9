"""Table-driven PCCP classification: (parent, child) pairs → class, PCCP status, regulatory action.

Children are built from the bundled example manifests by small edits; the facts come from the
same Python code `check` uses and the decision from the real policies on the embedded engine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from testing.fixtures import REPO_ROOT

from clinigate.manifest import strict_yaml
from clinigate.manifest.model import Model
from clinigate.manifest.pccp import PCCP
from clinigate.manifest.version import ModelVersion
from clinigate.policy.inputs import version_facts

Edit = Callable[[dict[str, Any]], None]


def _load(path: str) -> dict[str, Any]:
    data = strict_yaml.parse((REPO_ROOT / path).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _version(model: str, version: str) -> dict[str, Any]:
    return _load(f"models/{model}/versions/{version}.yaml")


@dataclass
class Pair:
    name: str
    model: str
    parent: str | None
    edits: list[Edit]
    expect: tuple[str, str, str]
    production: str | None = None
    pccp_edits: list[Edit] = field(default_factory=list)
    intended_use_changed: bool = False


def at(path: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node: Any = doc
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        if isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return edit


def new_data(doc: dict[str, Any]) -> None:
    dataset = doc["training"]["dataset"]
    dataset["version"] = dataset["version"] + "-next"
    dataset["sha256"] = "1" * 64
    doc["artifact"]["sha256"] = "2" * 64


def subgroup(attribute: str, group_prefix: str, **values: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for sub in doc["validation"]["subgroups"]:
            if sub["attribute"] == attribute and sub["group"].startswith(group_prefix):
                sub.update(values)
                return
        raise AssertionError(f"no subgroup {attribute}={group_prefix}")
    return edit


def auc(value: float) -> Edit:
    """Set overall AUC and keep its CI around it."""
    def edit(doc: dict[str, Any]) -> None:
        overall = doc["validation"]["overall"]
        overall["auc_roc"] = value
        overall["auc_ci95"] = [round(value - 0.01, 3), round(value + 0.01, 3)]
    return edit


def drop_attribute(attribute: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["validation"]["subgroups"] = [s for s in doc["validation"]["subgroups"]
                                          if s["attribute"] != attribute]
    return edit


def hyper(name: str, value: Any) -> Edit:
    return at(f"training.algorithm.hyperparameters.{name}", value)


def add_feature(doc: dict[str, Any]) -> None:
    features = doc["training"]["features"]
    features["names"] = [*features["names"], "lactate_trend_6h"]
    features["version"] = features["version"] + "-next"


S, R = "sepsis-ews", "readmission-30d"
CONFORMING_NONE = ("conforming", "none")

PAIRS = [
    # sepsis-ews: parent 1.3.0 (AUC 0.873), production 1.2.0 (0.876), authorised 1.0.0 (0.861)
    Pair("data update", S, "1.3.0", [new_data], ("data_update", *CONFORMING_NONE)),
    Pair("new artifact from the same data", S, "1.3.0", [at("artifact.sha256", "3" * 64)], ("data_update", *CONFORMING_NONE)),
    Pair("hyperparameter retune", S, "1.3.0", [hyper("max_depth", 7)], ("hyperparameter_tuning", *CONFORMING_NONE)),
    Pair("hyperparameter number respelt 1.0 → 1", S, "1.3.0", [hyper("scale_pos_weight", 1)], ("metadata_only", *CONFORMING_NONE)),
    Pair("model card text", S, "1.3.0", [at("model_card.caveats", "Not for use in the emergency department.")], ("metadata_only", *CONFORMING_NONE)),
    Pair("monitoring plan", S, "1.3.0", [at("monitoring.review_interval_days", 60)], ("metadata_only", *CONFORMING_NONE)),
    Pair("nothing but the change text", S, "1.3.0", [at("change.summary", "Re-issue")], ("metadata_only", *CONFORMING_NONE)),
    Pair("new feature (not authorised for sepsis)", S, "1.3.0", [add_feature], ("feature_engineering", "outside_pccp", "new_submission")),
    Pair("algorithm type", S, "1.3.0", [at("training.algorithm.type", "random_forest")], ("architecture_change", "outside_pccp", "new_submission")),
    Pair("framework family", S, "1.3.0", [at("training.algorithm.framework", "lightgbm")], ("architecture_change", "outside_pccp", "new_submission")),
    Pair("data and hyperparameters: highest wins", S, "1.3.0", [new_data, hyper("max_depth", 7)], ("hyperparameter_tuning", *CONFORMING_NONE)),
    Pair("features and hyperparameters", S, "1.3.0", [add_feature, hyper("max_depth", 7)], ("feature_engineering", "outside_pccp", "new_submission")),
    Pair("intended use changed", S, "1.3.0", [new_data], ("new_indication", "outside_pccp", "new_submission"), intended_use_changed=True),
    Pair("PCCP edited in the same change", S, "1.3.0", [new_data], ("data_update", "outside_pccp", "new_submission"), pccp_edits=[at("title", "Edited plan")]),
    Pair("AUC below the floor", S, "1.3.0", [new_data, auc(0.79)], ("data_update", "deviation", "new_submission")),
    Pair("Black-patient subgroup 0.19 below overall", S, "1.3.0", [new_data, subgroup("race", "Black", auc_roc=0.683, ci95=[0.66, 0.70])], ("data_update", "deviation", "new_submission")),
    Pair("subgroup n below minimum", S, "1.3.0", [new_data, subgroup("sex", "female", n=50)], ("data_update", "deviation", "new_submission")),
    Pair("regression vs production beyond 0.02", S, "1.3.0", [new_data, auc(0.852)], ("data_update", "deviation", "new_submission")),
    Pair("regression vs production exactly 0.02", S, "1.3.0", [new_data, auc(0.856)], ("data_update", *CONFORMING_NONE)),
    Pair("subgroup gap exactly 0.10", S, "1.3.0", [new_data, subgroup("age_band", "80", auc_roc=0.773, ci95=[0.75, 0.80])], ("data_update", *CONFORMING_NONE)),
    Pair("validation set not locked", S, "1.3.0", [new_data, at("validation.dataset.locked", False)], ("data_update", "deviation", "new_submission")),
    Pair("validation set differs from the PCCP's", S, "1.3.0", [new_data, at("validation.dataset.sha256", "4" * 64)], ("data_update", "deviation", "new_submission")),
    Pair("reference standard changed", S, "1.3.0", [new_data, at("validation.reference_standard.name", "Sepsis-2 SIRS")], ("data_update", "deviation", "new_submission")),
    Pair("required site subgroups missing", S, "1.3.0", [new_data, drop_attribute("site")], ("data_update", "deviation", "new_submission")),
    Pair("first version", S, None, [], ("initial", "conforming", "new_submission")),
    # readmission-30d: parent 1.1.0 (0.719), production 1.1.0, authorised 1.0.0 (0.712)
    Pair("readmission data update", R, "1.1.0", [new_data], ("data_update", *CONFORMING_NONE)),
    Pair("readmission retune", R, "1.1.0", [hyper("C", 0.25)], ("hyperparameter_tuning", *CONFORMING_NONE)),
    Pair("readmission new feature (authorised)", R, "1.1.0", [add_feature], ("feature_engineering", "conforming", "letter_to_file")),
    Pair("readmission new feature regressing 0.015 (limit 0.01)", R, "1.1.0", [add_feature, auc(0.704)], ("feature_engineering", "deviation", "new_submission")),
    Pair("readmission algorithm change", R, "1.1.0", [at("training.algorithm.type", "gradient_boosting")], ("architecture_change", "outside_pccp", "new_submission")),
    Pair("readmission model card", R, "1.1.0", [at("model_card.caveats", "Recalibrate per site.")], ("metadata_only", *CONFORMING_NONE)),
    Pair("readmission intended use", R, "1.1.0", [new_data], ("new_indication", "outside_pccp", "new_submission"), intended_use_changed=True),
    Pair("readmission first version", R, None, [], ("initial", "conforming", "letter_to_file")),
]

PRODUCTION = {S: "1.2.0", R: "1.1.0"}


def _child(pair: Pair) -> tuple[ModelVersion, ModelVersion | None]:
    if pair.parent is None:
        base = _version(pair.model, "1.0.0")
        return ModelVersion.model_validate(base), None
    parent = _version(pair.model, pair.parent)
    child = copy.deepcopy(parent)
    major, minor, _ = (int(x) for x in pair.parent.split("."))
    child.update(version=f"{major}.{minor + 1}.0", parent=pair.parent)
    for edit in pair.edits:
        edit(child)
    return ModelVersion.model_validate(child), ModelVersion.model_validate(parent)


def _pccp(pair: Pair) -> PCCP:
    data = _load(f"models/{pair.model}/pccp.yaml")
    for edit in pair.pccp_edits:
        edit(data)
    return PCCP.model_validate(data)


def policy_input(pair: Pair, defaults: dict[str, Any]) -> dict[str, Any]:
    child, parent = _child(pair)
    pccp = _pccp(pair)
    production = ModelVersion.model_validate(_version(pair.model, PRODUCTION[pair.model]))
    authorised = ModelVersion.model_validate(_version(pair.model, pccp.authorised_baseline))
    facts = version_facts(child, parent=parent, production=production, authorised=authorised,
                          pccp=pccp, defaults=defaults)
    facts.update(pccp_changed=bool(pair.pccp_edits), intended_use_changed=pair.intended_use_changed,
                 approved_versions=[])
    model = Model.model_validate(_load(f"models/{pair.model}/model.yaml"))
    dump = lambda d: d.model_dump(mode="json", by_alias=True) if d is not None else None  # noqa: E731
    return {
        "subject": {"path": f"models/{pair.model}/versions/{child.version}.yaml", "kind": "ModelVersion",
                    "model": pair.model, "version": child.version, "change": "added", "merged_at_base": False},
        "manifest": dump(child), "base_manifest": None, "parent": dump(parent),
        "production": dump(production), "authorised": dump(authorised), "pccp": dump(pccp),
        "model_doc": dump(model), "deployment": None, "facts": facts, "approvals": [],
    }


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    from clinigate.policy.bundle import load_bundle
    from clinigate.policy.engine import make_engine

    bundle = load_bundle(REPO_ROOT)
    eng = make_engine("embedded")
    eng.load(bundle)
    eng.defaults = bundle.data["clinigate"]["defaults"]
    yield eng
    eng.close()


def test_table_has_at_least_thirty_pairs() -> None:
    assert len(PAIRS) >= 30


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_classification(pair: Pair, engine: Any) -> None:
    result = engine.evaluate("clinigate.decision.result", policy_input(pair, engine.defaults))
    got = (result["change_class"], result["pccp_status"], result["regulatory_action"])
    assert got == pair.expect, result.get("deny")
