from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from testing.fixtures import REPO_ROOT

from clinigate.dossier.plots import (
    NO_CI_MARK,
    SMALL_N_MARK,
    OverallPoint,
    SubgroupPoint,
    below_band,
    distribution_svg,
    forest_plot_svg,
    overall_point,
    subgroup_points,
    training_distribution,
    validation_distribution,
)
from clinigate.manifest.loader import load_file
from clinigate.manifest.version import ModelVersion

SVG = "{http://www.w3.org/2000/svg}"
TITLE = "Sepsis-EWS 1.2.1: AUROC by subgroup"


def _version(model: str, version: str) -> ModelVersion:
    document = load_file(REPO_ROOT, f"models/{model}/versions/{version}.yaml").document
    assert isinstance(document, ModelVersion)
    return document


@pytest.fixture(scope="module")
def sepsis() -> ModelVersion:
    return _version("sepsis-ews", "1.2.1")


@pytest.fixture(scope="module")
def points(sepsis: ModelVersion) -> list[SubgroupPoint]:
    """The bundled subgroups, with age_band 80+ (row 3) made small and stripped of its CI."""
    rows = subgroup_points(sepsis)
    assert rows[3].group == "80+"
    rows[3] = SubgroupPoint("age_band", "80+", n=60, auc=0.844)
    return rows


@pytest.fixture(scope="module")
def forest(sepsis: ModelVersion, points: list[SubgroupPoint]) -> str:
    return forest_plot_svg(points, overall_point(sepsis), max_gap=0.04, min_n=100, title=TITLE)


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _ids(root: ET.Element) -> set[str]:
    return {el.attrib["id"] for el in root.iter() if "id" in el.attrib}


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_same_input_gives_the_same_bytes(sepsis: ModelVersion, points: list[SubgroupPoint], forest: str) -> None:
    again = forest_plot_svg(list(points), overall_point(sepsis), max_gap=0.04, min_n=100, title=TITLE)
    assert again == forest
    training, validation = training_distribution(sepsis), validation_distribution(sepsis)
    assert distribution_svg(training, validation, "Mix") == distribution_svg(training, validation, "Mix")


def test_svg_is_inline_text_with_title_and_description(forest: str) -> None:
    assert forest.startswith("<svg ") and "<?xml" not in forest and "<!DOCTYPE" not in forest
    assert "<metadata" not in forest  # no date, no matplotlib version
    root = _tree(forest)
    chart = root.attrib["id"]
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-labelledby"] == f"{chart}-title {chart}-desc"
    assert root[0].tag == f"{SVG}title" and root[0].text == TITLE
    assert root[1].tag == f"{SVG}desc"
    assert "<path d=\"M" in forest and "font-family: 'DejaVu Sans'" in forest  # text stayed text


def test_every_group_label_is_text(forest: str, points: list[SubgroupPoint]) -> None:
    texts = _texts(_tree(forest))
    for point in points:
        assert any(text.startswith(point.label) for text in texts), point.label


def test_description_names_overall_and_the_flagged_groups(forest: str) -> None:
    desc = _tree(forest).find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    text = desc.text
    assert "Overall AUROC 0.876 (95% CI 0.864 to 0.887)" in text
    assert "allowed gap of 0.04 below overall, down to 0.836." in text
    assert "Below the band: clinical: ICU admission during encounter (AUROC 0.827)." in text
    # 0.876 - 0.836 is exactly the allowed gap: the gate passes it, so the chart must too
    assert "American Indian" not in text
    assert "Below the minimum n of 100: age_band: 80+ (n=60)." in text
    assert "No 95% CI recorded, so no line drawn: age_band: 80+ (AUROC 0.844)." in text


def test_flagging_uses_the_gate_arithmetic() -> None:
    overall = OverallPoint(0.876, 0.864, 0.887)
    edge, beyond = SubgroupPoint("race", "edge", 500, 0.836), SubgroupPoint("race", "beyond", 500, 0.8359)
    assert below_band([edge, beyond], overall, 0.04) == [beyond]
    assert below_band([edge, beyond], overall, None) == []


def test_a_small_group_is_hollow_and_marked(forest: str) -> None:
    root = _tree(forest)
    chart = root.attrib["id"]
    marker = root.find(f".//{SVG}g[@id='{chart}-auc-3']//{SVG}use")
    assert marker is not None and "fill: #ffffff" in marker.attrib["style"]
    filled = root.find(f".//{SVG}g[@id='{chart}-auc-2']//{SVG}use")
    assert filled is not None and "fill: #ffffff" not in filled.attrib["style"]
    texts = _texts(root)
    assert f"age_band: 80+ (n=60) {SMALL_N_MARK}{NO_CI_MARK}" in texts
    assert f"{SMALL_N_MARK} n below 100 (hollow marker)" in texts


def test_a_group_without_ci_gets_no_line(forest: str, points: list[SubgroupPoint]) -> None:
    root = _tree(forest)
    chart = root.attrib["id"]
    ids = _ids(root)
    assert {f"{chart}-band", f"{chart}-overall"} <= ids
    assert {i for i in range(len(points)) if f"{chart}-auc-{i}" in ids} == set(range(len(points)))
    assert {i for i in range(len(points)) if f"{chart}-ci-{i}" in ids} == set(range(len(points))) - {3}
    line = root.find(f".//{SVG}g[@id='{chart}-ci-0']/{SVG}path")
    assert line is not None  # the structure counted above is a drawn path
    assert f"{NO_CI_MARK} no 95% CI recorded (no line drawn)" in _texts(root)


def test_without_gap_or_minimum_there_is_no_band_and_no_marks(sepsis: ModelVersion) -> None:
    svg = forest_plot_svg(subgroup_points(sepsis), overall_point(sepsis), max_gap=None, min_n=None, title="t")
    root = _tree(svg)
    assert f"{root.attrib['id']}-band" not in _ids(root)
    assert not any(SMALL_N_MARK in text or NO_CI_MARK in text for text in _texts(root))
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None and "shaded band" not in desc.text


def test_two_charts_never_share_ids(sepsis: ModelVersion) -> None:
    other = _version("sepsis-ews", "1.2.0")
    first = _tree(forest_plot_svg(subgroup_points(sepsis), overall_point(sepsis), max_gap=0.1, min_n=100,
                                  title="1.2.1"))
    second = _tree(forest_plot_svg(subgroup_points(other), overall_point(other), max_gap=0.1, min_n=100,
                                   title="1.2.0"))
    # clip paths (p…) and markers (m…) are what url(#…) and href="#…" point to; matplotlib's
    # own group names (figure_1, axes_1, …) repeat, but nothing refers to them
    referenced = {i for i in _ids(first) if re.fullmatch(r"[pm][0-9a-f]{10}", i) or i.startswith(first.attrib["id"])}
    assert len(referenced) > 50 and not referenced & _ids(second)


def test_one_ci_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="both CI bounds or neither"):
        SubgroupPoint("sex", "female", 100, 0.8, ci_low=0.7)


def test_validation_shares_come_from_subgroup_n(sepsis: ModelVersion) -> None:
    shares = validation_distribution(sepsis)
    assert shares["sex"] == {"female": 13273 / 26180, "male": 12907 / 26180}
    assert list(shares) == ["age_band", "sex", "race", "ethnicity", "site", "clinical"]
    for groups in shares.values():
        assert sum(groups.values()) == pytest.approx(1.0)


def test_training_shares_are_the_recorded_demographics(sepsis: ModelVersion) -> None:
    shares = training_distribution(sepsis)
    assert shares["age_band"] == {"18-44": 0.196, "45-64": 0.306, "65-79": 0.309, "80+": 0.189}
    assert shares["site"]["St. Brendan Community Hospital"] == 9874 / 205665
    assert "clinical" not in shares


def test_distribution_bars_and_unrecorded_sides(sepsis: ModelVersion) -> None:
    svg = distribution_svg(training_distribution(sepsis), validation_distribution(sepsis), "Who the data describe")
    root = _tree(svg)
    chart, ids, texts = root.attrib["id"], _ids(root), _texts(root)
    assert "age_band: 18-44" in texts and "clinical: ICU admission during encounter" in texts
    rows = [t for t in texts if ": " in t and not t.startswith(("Training", "Validation"))]
    train = {i for i in range(len(rows)) if f"{chart}-train-{i}" in ids}
    valid = {i for i in range(len(rows)) if f"{chart}-valid-{i}" in ids}
    # St. Brendan trained but is not in the locked set; the two clinical groups are validation only
    brendan, icu, no_icu = (rows.index("site: St. Brendan Community Hospital"),
                            rows.index("clinical: ICU admission during encounter"),
                            rows.index("clinical: No ICU admission during encounter"))
    assert train == set(range(len(rows))) - {icu, no_icu}
    assert valid == set(range(len(rows))) - {brendan}
    assert texts.count("not recorded") == 3
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert "No validation share recorded for: site: St. Brendan Community Hospital." in desc.text
    assert "No training share recorded for: clinical: ICU admission during encounter; " in desc.text


def test_importing_the_charts_does_not_import_matplotlib() -> None:
    code = "import sys, clinigate.dossier.plots; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
