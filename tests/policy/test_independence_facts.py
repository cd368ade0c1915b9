"""facts.independence from the example manifests (pccp/independence.py): digests and sites compared
in Python, the policy deciding (policies/independence.rego), here on the embedded engine."""

from __future__ import annotations

from typing import Any

import yaml
from testing.fixtures import REPO_ROOT

from clinigate.manifest import strict_yaml
from clinigate.manifest.pccp import PCCP
from clinigate.manifest.version import ModelVersion
from clinigate.pccp.independence import independence_facts
from clinigate.policy.bundle import load_bundle
from clinigate.policy.crosscheck import registry_corpus

LOCKED = "7d104a2b5562f71c0aeb6d7599104d4ea37b5fcc86bdfc32d7f471bfd192e86c"


def _doc(path: str) -> dict[str, Any]:
    data = strict_yaml.parse((REPO_ROOT / path).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _version(**edits: Any) -> ModelVersion:
    data = _doc("models/sepsis-ews/versions/1.3.0.yaml")
    for dotted, value in edits.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return ModelVersion.model_validate(data)


PCCP_DOC = PCCP.model_validate(_doc("models/sepsis-ews/pccp.yaml"))


def test_independent_training_data_shares_no_digest() -> None:
    assert independence_facts(_version(), PCCP_DOC)["same_digest"] == []


def test_training_on_the_locked_set_matches_both_held_out_digests() -> None:
    facts = independence_facts(_version(training__dataset__sha256=LOCKED), PCCP_DOC)
    assert facts["same_digest"] == [
        {"dataset": "training.dataset", "equals": "validation.dataset"},
        {"dataset": "training.dataset", "equals": "pccp.locked_validation_set"},
    ]


def test_without_a_pccp_only_the_validation_set_is_compared() -> None:
    facts = independence_facts(_version(training__dataset__sha256=LOCKED), None)
    assert facts["same_digest"] == [{"dataset": "training.dataset", "equals": "validation.dataset"}]


def test_a_tuning_set_is_compared_and_its_sites_count() -> None:
    tuning = {"name": "tune", "version": "1", "sha256": LOCKED, "sites": ["Lakeview Regional"]}
    version = _version(training__tuning_dataset=tuning,
                       validation__dataset__sites=["LAKEVIEW  regional", "Elsewhere"])
    facts = independence_facts(version, PCCP_DOC)
    assert {"dataset": "training.tuning_dataset", "equals": "pccp.locked_validation_set"} in facts["same_digest"]
    assert facts["shared_sites"] == [
        {"name": "LAKEVIEW  regional", "index": 0, "also_in": "training.tuning_dataset.sites"}]


def test_validation_sites_that_gave_training_data_are_listed_with_their_index() -> None:
    facts = independence_facts(_version(), PCCP_DOC)
    assert [(s["name"], s["index"]) for s in facts["shared_sites"]] == [
        ("Mercy General Main Campus", 0), ("Mercy General North", 1), ("Mercy Riverside Community Hospital", 2)]


def test_the_real_policies_deny_the_probe_and_pass_the_example() -> None:
    from clinigate.policy.engine import make_engine

    defaults = yaml.safe_load((REPO_ROOT / "policies/data/defaults.yaml").read_text(encoding="utf-8"))
    corpus = dict(registry_corpus(REPO_ROOT, defaults))
    engine = make_engine("embedded")
    engine.load(load_bundle(REPO_ROOT))
    try:
        clean = engine.evaluate("clinigate.decision.result", corpus["sepsis-ews 1.3.0"])
        assert clean["pccp_status"] == "conforming" and clean["deny"] == []
        probe = corpus["sepsis-ews 1.3.0"]
        probe["facts"]["independence"] = independence_facts(_version(training__dataset__sha256=LOCKED), PCCP_DOC)
        judged = engine.evaluate("clinigate.decision.result", probe)
        assert judged["pccp_status"] == "deviation"
        assert {f["rule"] for f in judged["deny"]} == {"gates.data_independence"}
    finally:
        engine.close()
