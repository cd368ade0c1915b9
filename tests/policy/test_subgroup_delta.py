"""Per-subgroup AUC against production, from the bundled manifests with small edits."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from testing.changes import subgroup
from testing.fixtures import REPO_ROOT

from clinigate.manifest import strict_yaml
from clinigate.manifest.version import ModelVersion
from clinigate.policy.subgroup_delta import DeltaFlag, compare

VERSIONS = REPO_ROOT / "models" / "sepsis-ews" / "versions"


def _data(version: str) -> dict[str, Any]:
    data = strict_yaml.parse((VERSIONS / f"{version}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _head(auc: dict[tuple[str, str], float] | None = None) -> ModelVersion:
    """1.3.0 with subgroup AUCs replaced (each CI set tightly around its new AUC)."""
    data = copy.deepcopy(_data("1.3.0"))
    for (attribute, group), value in (auc or {}).items():
        sub = subgroup(data, attribute, group)
        sub.update(auc_roc=value, ci95=[round(value - 0.01, 3), round(value + 0.01, 3)])
    return ModelVersion.model_validate(data)


PRODUCTION = ModelVersion.model_validate(_data("1.2.0"))


def _rows(comparison):  # type: ignore[no-untyped-def]
    return {(r.attribute, r.group): r for r in comparison.subgroups}


def test_deltas_are_head_minus_production_exactly_rounded() -> None:
    c = compare(_head({("race", "Asian"): 0.8, ("sex", "female"): 0.89}), production_version="1.2.0", production=PRODUCTION,
                max_regression_e4=200)
    assert c.production_version == "1.2.0" and c.max_regression == 0.02
    assert c.overall is not None and (c.overall.attribute, c.overall.group) == ("overall", "all")
    assert (c.overall.delta, c.overall.flag) == (-0.003, None)
    rows = _rows(c)
    assert (rows["race", "Asian"].delta, rows["race", "Asian"].flag) == (-0.082, DeltaFlag.BELOW_PRODUCTION_CI)
    assert (rows["sex", "female"].delta, rows["sex", "female"].flag) == (0.009, None)
    assert rows["race", "Black or African American"].delta == 0.0  # 0.863 both: no float residue
    # A drop inside production's CI is not flagged: 0.823 vs 0.844 [0.611, 0.95].
    native = rows["race", "Native Hawaiian or Other Pacific Islander"]
    assert (native.delta, native.flag) == (-0.021, None)


def test_a_group_on_one_side_only_is_kept_and_flagged_next_to_its_attribute() -> None:
    data = _data("1.3.0")
    subgroup(data, "site", "Mercy General North")["group"] = "Mercy General North Campus"
    c = compare(ModelVersion.model_validate(data), production_version="1.2.0", production=PRODUCTION)
    keys = [(r.attribute, r.group) for r in c.subgroups]
    assert keys.index(("site", "Mercy General North")) == keys.index(("site", "Mercy Riverside Community Hospital")) + 1
    assert keys[-1][0] == "clinical"  # the missing site row did not sink to the bottom
    new, gone = _rows(c)["site", "Mercy General North Campus"], _rows(c)["site", "Mercy General North"]
    assert (new.flag, new.production, new.delta, new.head and new.head.n) == (DeltaFlag.NEW_GROUP, None, None, 7330)
    assert (gone.flag, gone.head, gone.delta, gone.production and gone.production.auc) == (
        DeltaFlag.MISSING, None, None, 0.872)


@pytest.mark.parametrize(("overall", "flagged"), [(0.856, False), (0.8555, True), (0.85, True)],
                         ids=["exactly-the-tolerance", "just-beyond", "beyond"])
def test_overall_row_is_judged_by_the_pccp_tolerance(overall: float, flagged: bool) -> None:
    data = _data("1.3.0")
    data["validation"]["overall"].update(auc_roc=overall, auc_ci95=[0.84, 0.87])
    c = compare(ModelVersion.model_validate(data), production_version="1.2.0", production=PRODUCTION,
                max_regression_e4=200)
    assert c.overall is not None
    assert (c.overall.flag is DeltaFlag.BEYOND_TOLERANCE) is flagged
    if overall == 0.8555:
        assert c.overall.delta == -0.021  # half away from zero: reads beyond the 0.02 it exceeds


def test_without_a_tolerance_the_overall_row_uses_productions_ci() -> None:
    data = _data("1.3.0")
    data["validation"]["overall"].update(auc_roc=0.86, auc_ci95=[0.85, 0.87])  # production [0.864, 0.887]
    c = compare(ModelVersion.model_validate(data), production_version="1.2.0", production=PRODUCTION)
    assert c.max_regression is None
    assert c.overall is not None and c.overall.flag is DeltaFlag.BELOW_PRODUCTION_CI


@pytest.mark.parametrize("name", [None, "1.2.0"], ids=["first-release", "named-but-unreadable"])
def test_no_production_manifest_means_no_rows(name: str | None) -> None:
    c = compare(_head(), production_version=name, production=None)
    assert (c.production_version, c.production_loaded, c.overall, c.subgroups) == (name, False, None, [])
