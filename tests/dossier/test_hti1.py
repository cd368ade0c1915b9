from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from testing.fixtures import REPO_ROOT

from clinigate.dossier.hti1 import Hti1Attribute, hti1_crosswalk
from clinigate.manifest.loader import load_file
from clinigate.manifest.model import Model
from clinigate.manifest.pccp import PCCP
from clinigate.manifest.version import ModelVersion

VERSIONS = [("sepsis-ews", "1.2.1"), ("readmission-30d", "2.0.0")]

GROUPS = {
    "Details and output": range(1, 5), "Purpose": range(5, 9), "Cautioned use": range(9, 11),
    "Development": range(11, 15), "Fairness": range(15, 17), "External validation": range(17, 21),
    "Quantitative performance": range(21, 26), "Ongoing maintenance": range(26, 30), "Updates": range(30, 32),
}


def _document(relpath: str) -> Any:
    loaded = load_file(REPO_ROOT, relpath)
    assert loaded.findings == [] and loaded.document is not None
    return loaded


def _documents(model: str, version: str) -> tuple[Model, ModelVersion, PCCP]:
    return (_document(f"models/{model}/model.yaml").document,
            _document(f"models/{model}/versions/{version}.yaml").document,
            _document(f"models/{model}/pccp.yaml").document)


def _variant(model: str, version: str, change: Callable[[dict[str, Any]], None]) -> ModelVersion:
    """The bundled version's YAML with ``change`` applied, validated by the same model."""
    data = copy.deepcopy(_document(f"models/{model}/versions/{version}.yaml").data)
    change(data)
    return ModelVersion.model_validate(data)


def _rows(rows: list[Hti1Attribute]) -> dict[int, Hti1Attribute]:
    return {row.number: row for row in rows}


@pytest.fixture(scope="module")
def sepsis() -> tuple[Model, ModelVersion, PCCP]:
    return _documents("sepsis-ews", "1.2.1")


@pytest.mark.parametrize(("model", "version"), VERSIONS)
def test_thirty_one_rows_in_order_with_their_groups(model: str, version: str) -> None:
    rows = hti1_crosswalk(*_documents(model, version))
    assert [row.number for row in rows] == list(range(1, 32))
    for row in rows:
        assert row.number in GROUPS[row.group], (row.number, row.group)
        assert row.name
        assert row.value is None or (row.value and "\n" not in row.value)


def test_answered_rows_quote_the_manifest(sepsis: tuple[Model, ModelVersion, PCCP]) -> None:
    model, version, pccp = sepsis
    rows = _rows(hti1_crosswalk(model, version, pccp))
    use, card = model.intended_use, version.model_card
    assert rows[1].source == "model.yaml developer.organisation, developer.contact"
    assert rows[1].value == "Mercy General Health, Clinical AI Lab; clinical-ai@mercy-general.example.org"
    assert rows[2].value == "Mercy General Health operating budget, Quality and Patient Safety programme"
    assert rows[3].value == use.output.description
    assert rows[4].value == "alert"
    assert rows[5].value is not None and use.purpose in rows[5].value and use.indication in rows[5].value
    assert rows[6].value is not None and use.population.description in rows[6].value
    assert rows[7].value == "Registered nurses; Rapid response team clinicians; Hospitalists and intensivists; " \
        "Sepsis coordinators"
    assert rows[8].value == "informs"
    assert rows[9].value == "; ".join(use.out_of_scope)
    assert rows[10].value == f"{card.limitations} {card.known_biases} {card.caveats}"
    assert rows[11].value is not None and "Encounters shorter than 6 hours" in rows[11].value
    assert rows[13].value is not None and "age_band: 18-44 0.196, 45-64 0.306" in rows[13].value
    assert rows[15].value == card.ethical_considerations
    assert rows[16].value is not None and "metadata_only" in rows[16].value and "at least 100" in rows[16].value
    assert rows[17].value == ("Mercy General Main Campus; Mercy General North; Mercy Riverside Community Hospital; "
                              "2019-01-01 to 2022-12-31. Every validation site is also a training site.")
    assert rows[19].value is not None and "American Indian or Alaska Native 209" in rows[19].value
    assert rows[20].value is not None and version.validation.reference_standard.definition in rows[20].value
    assert rows[21].value is not None and rows[21].value.startswith("AUROC 0.876 (95% CI 0.864 to 0.887)")
    assert rows[22].value is not None and \
        "race American Indian or Alaska Native 0.836 (0.666 to 0.929, n=209)" in rows[22].value
    assert rows[26].value == "Performance: auc_roc, max drop 0.03; drift: psi, threshold 0.2; review every 90 days"
    assert rows[28].value == ("Subgroup attributes tracked separately: age_band; sex; race; ethnicity; site; "
                              "review every 90 days")
    assert rows[30].value is not None and pccp.title in rows[30].value and "submission K231234" in rows[30].value
    assert rows[31].value == version.monitoring.rollback_criteria


def test_attributes_nothing_records_are_empty(sepsis: tuple[Model, ModelVersion, PCCP]) -> None:
    rows = hti1_crosswalk(*sepsis)
    # tester, external validity and fairness (the locked set comes from training sites),
    # outcome studies, and monitoring results (the manifest holds the plan, not its results)
    assert [row.number for row in rows if row.value is None] == [18, 23, 24, 25, 27, 29]
    assert all(row.source is None for row in rows if row.value is None)


def test_feature_scan_names_the_variables_it_found() -> None:
    rows = _rows(hti1_crosswalk(*_documents("sepsis-ews", "1.2.1")))
    assert rows[12].value is not None
    assert rows[12].value.startswith("Feature names that point to an HTI-1 variable: age_years (date of birth).")
    assert "No feature name points to: race; ethnicity; language;" in rows[12].value
    assert "the whole words of the 31 names in training.features.names" in rows[12].value

    readmission = _rows(hti1_crosswalk(*_documents("readmission-30d", "2.0.0")))
    assert readmission[12].value is not None
    for name in ("adi_national_percentile", "sdoh_housing_instability", "sdoh_screen_missing"):
        assert f"{name} (social determinants of health)" in readmission[12].value
    assert "length_of_stay_days" not in readmission[12].value


def test_feature_scan_matches_whole_words_only(sepsis: tuple[Model, ModelVersion, PCCP]) -> None:
    model, _, pccp = sepsis

    def features(data: dict[str, Any]) -> None:
        data["training"]["features"]["names"] = ["patientRace", "preferred_language", "sex_female",
                                                 "ckd_stage_4", "page_views", "usage_count"]

    value = _rows(hti1_crosswalk(model, _variant("sepsis-ews", "1.2.1", features), pccp))[12].value
    assert value is not None
    assert "patientRace (race); preferred_language (language); sex_female (sex)." in value
    for innocent in ("ckd_stage_4", "page_views", "usage_count"):
        assert innocent not in value


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for dotted in path:
            *parents, last = dotted.split(".")
            node = data
            for key in parents:
                node = node[key]
            del node[last]
    return change


@pytest.mark.parametrize(("removed", "number"), [
    (("validation.dataset.sites", "validation.dataset.date_range"), 17),
    (("monitoring.subgroups",), 28),
    (("change.declared_class",), 16),
])
def test_a_removed_field_leaves_its_row_unrecorded(sepsis: tuple[Model, ModelVersion, PCCP],
                                                   removed: tuple[str, ...], number: int) -> None:
    model, version, pccp = sepsis
    before = _rows(hti1_crosswalk(model, version, pccp))
    after = _rows(hti1_crosswalk(model, _variant("sepsis-ews", "1.2.1", _drop(*removed)), pccp))
    assert before[number].value is not None
    assert after[number].value is None
    assert {n: r for n, r in after.items() if n != number} == {n: r for n, r in before.items() if n != number}


def test_removed_model_card_text_is_not_quoted(sepsis: tuple[Model, ModelVersion, PCCP]) -> None:
    model, version, pccp = sepsis
    card = version.model_card
    changed = _variant("sepsis-ews", "1.2.1", _drop("model_card.known_biases", "model_card.caveats"))
    row = _rows(hti1_crosswalk(model, changed, pccp))[10]
    assert row.value == card.limitations
    assert row.source == "versions/1.2.1.yaml model_card.limitations"


def test_without_a_pccp_its_rows_are_unrecorded(sepsis: tuple[Model, ModelVersion, PCCP]) -> None:
    model, version, pccp = sepsis
    with_plan = _rows(hti1_crosswalk(model, version, pccp))
    without = _rows(hti1_crosswalk(model, version, None))
    assert [n for n, row in without.items() if row.value != with_plan[n].value] == [16, 30]
    assert without[16].value is None and without[30].value is None
    assert without[30].source is not None and without[30].source.startswith("pccp.yaml ")


def test_validation_at_new_sites_answers_external_rows_instead(sepsis: tuple[Model, ModelVersion, PCCP]) -> None:
    model, version, pccp = sepsis

    def new_sites(data: dict[str, Any]) -> None:
        data["validation"]["dataset"]["sites"] = ["Harbour View Regional Hospital"]

    internal = _rows(hti1_crosswalk(model, version, pccp))
    external = _rows(hti1_crosswalk(model, _variant("sepsis-ews", "1.2.1", new_sites), pccp))
    assert external[21].value is None and external[22].value is None
    assert external[23].value == internal[21].value and external[24].value == internal[22].value
    assert external[17].value == ("Harbour View Regional Hospital; 2019-01-01 to 2022-12-31. "
                                  "No validation site is a training site.")
