"""A registry branch with a new version and its predictions: what the evidence tests evaluate."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from clinigate.demo.synthetic import write_predictions
from testing.fixtures import git

SEPSIS = "models/sepsis-ews"
NEW = f"{SEPSIS}/versions/1.4.0.yaml"
PREDICTIONS = f"{SEPSIS}/evidence/1.4.0/predictions.csv"
RECORD = f"{SEPSIS}/evidence/1.4.0/evidence.json"


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message, date="2026-02-01T10:00:00+00:00")


def draft_version(registry: Path, predictions: Path | None = None) -> Path:
    """A branch with sepsis-ews 1.4.0 (a data update) and its predictions beside it."""
    git(registry, "switch", "-q", "-c", "change")
    text = (registry / SEPSIS / "versions/1.3.0.yaml").read_text()
    text = text.replace("version: 1.3.0\nparent: 1.2.1", "version: 1.4.0\nparent: 1.3.0", 1)
    text = re.sub(r"(?m)^(  sha256: )[0-9a-f]{64}$", lambda m: m.group(1) + "5a" * 32, text, count=1)
    (registry / NEW).write_text(text)
    write_predictions(predictions or registry / PREDICTIONS, yaml.safe_load(text), rows=40_000, seed=14)
    return registry
