"""Cross-document checks of a version: subgroup coverage against its PCCP, versions equal under precedence."""

from __future__ import annotations

import re
from pathlib import Path

from testing.files import replace_in

from clinigate.findings import Finding
from clinigate.manifest.validate import validate_registry

SEPSIS = "models/sepsis-ews"
LATEST = f"{SEPSIS}/versions/1.3.0.yaml"


def _findings(registry: Path, rule: str, *paths: str) -> list[Finding]:
    report = validate_registry(registry, [registry / p for p in paths or (LATEST,)])
    return [f for f in report.findings if f.rule == rule]


def _drop_subgroup(registry: Path, attribute: str, group: str) -> None:
    target = registry / LATEST
    text = target.read_text(encoding="utf-8")
    start = text.index(f"    - attribute: {attribute}\n      group: {group}\n")
    end = text.index("    - attribute:", start + 1)
    target.write_text(text[:start] + text[end:], encoding="utf-8")


def _require_site_only_for(registry: Path, keep: str | None) -> None:
    """Drop ``site`` from every change class's required_subgroup_attributes except ``keep``'s."""
    target = registry / f"{SEPSIS}/pccp.yaml"
    out, current = [], None
    for line in target.read_text(encoding="utf-8").splitlines(keepends=True):
        if (m := re.match(r"^  (\w+):\n$", line)):
            current = m.group(1)
        if line == "        - site\n" and current != keep:
            continue
        out.append(line)
    target.write_text("".join(out), encoding="utf-8")


def test_the_bundled_versions_cover_every_required_group(registry: Path) -> None:
    report = validate_registry(registry)
    assert [f for f in report.findings if f.rule in ("xref.subgroup-missing", "xref.duplicate-version")] == []


def test_each_missing_group_is_its_own_finding_at_the_subgroups_line(registry: Path) -> None:
    _drop_subgroup(registry, "age_band", "80+")
    _drop_subgroup(registry, "race", "Asian")
    found = _findings(registry, "xref.subgroup-missing")
    assert [re.search(r"no (\w+) subgroup '([^']+)'", f.message).groups() for f in found] == [  # type: ignore[union-attr]
        ("age_band", "80+"), ("race", "Asian")]
    line = (registry / LATEST).read_text().split("\n  subgroups:\n")[0].count("\n") + 2
    assert {(f.line, f.field) for f in found} == {(line, "validation.subgroups")}


def test_a_site_required_by_any_change_class_is_required(registry: Path) -> None:
    # The union over classes: declaring data_update cannot pick a plan that asks for less.
    _require_site_only_for(registry, "architecture_change")
    _drop_subgroup(registry, "site", "Mercy General North")
    assert len(_findings(registry, "xref.subgroup-missing")) == 1


def test_site_coverage_is_not_required_when_no_class_asks_for_it(registry: Path) -> None:
    _require_site_only_for(registry, None)
    _drop_subgroup(registry, "site", "Mercy General North")
    assert _findings(registry, "xref.subgroup-missing") == []


def test_a_training_site_outside_the_validation_set_is_required_once_the_set_names_no_sites(
        registry: Path) -> None:
    # St. Brendan joined the training data after the locked validation set was drawn (model card).
    assert _findings(registry, "xref.subgroup-missing") == []
    replace_in(registry, LATEST, "    sites:\n      - Mercy General Main Campus\n      - Mercy General North\n"
               "      - Mercy Riverside Community Hospital\n", "")
    [finding] = _findings(registry, "xref.subgroup-missing")
    assert "no site subgroup 'St. Brendan Community Hospital'" in finding.message
    assert "though training.dataset.sites lists it" in finding.message


def test_without_a_valid_pccp_the_demographics_are_still_required(registry: Path) -> None:
    replace_in(registry, f"{SEPSIS}/pccp.yaml", "title:", "titel:")
    _drop_subgroup(registry, "ethnicity", "Hispanic or Latino")
    _drop_subgroup(registry, "site", "Mercy General North")
    found = _findings(registry, "xref.subgroup-missing")
    assert ["'Hispanic or Latino'" in f.message for f in found] == [True]


def test_a_far_off_name_gets_no_did_you_mean(registry: Path) -> None:
    replace_in(registry, LATEST, "      group: 80+\n", "      group: octogenarians\n")
    [finding] = _findings(registry, "xref.subgroup-missing")
    assert "did you mean" not in finding.message


def _twin(registry: Path, version: str) -> str:
    path = f"{SEPSIS}/versions/{version}.yaml"
    text = (registry / LATEST).read_text(encoding="utf-8").replace("version: 1.3.0\n", f"version: {version}\n", 1)
    (registry / path).write_text(text, encoding="utf-8")
    return path


def test_versions_equal_under_precedence_are_refused_on_both_files(registry: Path) -> None:
    twin = _twin(registry, "1.3.0+build.1")
    found = _findings(registry, "xref.duplicate-version", LATEST, twin)
    assert sorted((f.path, f.field, f.line) for f in found) == sorted([(LATEST, "version", 5), (twin, "version", 5)])
    for finding in found:
        assert LATEST in finding.message and twin in finding.message


def test_a_pre_release_is_a_different_version(registry: Path) -> None:
    twin = _twin(registry, "1.3.0-rc.1")
    assert _findings(registry, "xref.duplicate-version", LATEST, twin) == []
