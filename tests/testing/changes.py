"""A pull request's change to the example registry, and finding its parts in what ``check`` answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clinigate.policy.decision import DocumentDecision, GateDecision

SEPSIS = "models/sepsis-ews"
NEW_VERSION = f"{SEPSIS}/versions/1.4.0.yaml"


def new_sepsis_version(repo: Path, edit: Callable[[str], str] = lambda text: text) -> str:
    """sepsis-ews 1.4.0, a conforming data update of 1.3.0 (a new artifact digest), after ``edit``.

    Written at :data:`NEW_VERSION` (pending on clinical_reviewer and quality); returns that path.
    """
    text = (repo / SEPSIS / "versions/1.3.0.yaml").read_text()
    text = text.replace("version: 1.3.0\nparent: 1.2.1", "version: 1.4.0\nparent: 1.3.0", 1)
    text = re.sub(r"(?m)^(  sha256: )[0-9a-f]{64}$", lambda m: m.group(1) + "5a" * 32, text, count=1)
    (repo / NEW_VERSION).write_text(edit(text))
    return NEW_VERSION


def only_manifest(report: GateDecision, path: str) -> DocumentDecision:
    """The one manifest of ``report`` at ``path`` (asserting there is exactly one)."""
    matches = [m for m in report.manifests if m.path == path]
    assert len(matches) == 1, [m.path for m in report.manifests]
    return matches[0]


def subgroup(data: dict[str, Any], attribute: str, group: str) -> dict[str, Any]:
    """The validation subgroup ``attribute``/``group`` of a version manifest's data (to read or edit)."""
    return next(s for s in data["validation"]["subgroups"] if (s["attribute"], s["group"]) == (attribute, group))
