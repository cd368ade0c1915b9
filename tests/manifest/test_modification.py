"""The PCCP's modifications and a version's release mode as documents: what validate refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.files import replace_in

from clinigate.manifest.validate import validate_registry

SEPSIS = "models/sepsis-ews"
PCCP = f"{SEPSIS}/pccp.yaml"
LATEST = f"{SEPSIS}/versions/1.3.0.yaml"


def _messages(registry: Path, path: str) -> list[str]:
    return [f.message for f in validate_registry(registry, [registry / path]).findings]


def test_the_bundled_plans_and_versions_are_valid(registry: Path) -> None:
    assert validate_registry(registry).passed


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  - id: M2\n", "  - id: M1\n", "modification ids must be unique; repeated: M1"),
    ("      - hyperparameter_tuning\n    protocol:", "      - feature_engineering\n    protocol:",
     "modification M2 lists feature_engineering, which the plan does not authorise"),
    ("      - hyperparameter_tuning\n    protocol:", "      - new_indication\n    protocol:",
     "a modification can never be a new_indication"),
    ("  - id: M2\n", "  - id: M 2\n", "must be a modification id like M1"),
])
def test_a_malformed_modification_is_refused(registry: Path, old: str, new: str, expected: str) -> None:
    replace_in(registry, PCCP, old, new)
    assert any(expected in m for m in _messages(registry, PCCP)), _messages(registry, PCCP)


def test_a_plan_with_no_impact_assessment_at_all_is_refused(registry: Path) -> None:
    text = (registry / PCCP).read_text(encoding="utf-8")
    start, end = text.index("impact_assessment:\n"), text.index("cumulative_assessment_after:")
    (registry / PCCP).write_text(text[:start] + text[end:text.index("# Description of Modifications:")],
                                 encoding="utf-8")
    assert any("the plan needs an impact assessment" in m for m in _messages(registry, PCCP))


@pytest.mark.parametrize(("release", "expected"), [
    ("scope: local", "a local release must list its sites"),
    ("scope: global\n    sites:\n    - Mercy General North", "a global release runs at every site"),
    ("scope: regional", "must be one of 'global' or 'local'"),
])
def test_a_malformed_release_is_refused(registry: Path, release: str, expected: str) -> None:
    replace_in(registry, LATEST, "scope: global", release)
    assert any(expected in m for m in _messages(registry, LATEST)), _messages(registry, LATEST)
