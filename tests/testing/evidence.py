"""A registry branch with a new version and its predictions: what the evidence tests evaluate."""

from __future__ import annotations

from pathlib import Path

import yaml

from clinigate.demo.synthetic import write_predictions
from testing.changes import NEW_VERSION, SEPSIS, new_sepsis_version
from testing.fixtures import git

NEW = NEW_VERSION
PREDICTIONS = f"{SEPSIS}/evidence/1.4.0/predictions.csv"
RECORD = f"{SEPSIS}/evidence/1.4.0/evidence.json"


def draft_version(registry: Path, predictions: Path | None = None) -> Path:
    """A branch with sepsis-ews 1.4.0 (a data update) and its predictions beside it."""
    git(registry, "switch", "-q", "-c", "change")
    new_sepsis_version(registry)
    write_predictions(predictions or registry / PREDICTIONS, yaml.safe_load((registry / NEW).read_text()),
                      rows=40_000, seed=14)
    return registry
