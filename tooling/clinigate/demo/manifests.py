"""The version manifests the tour writes: the next data update of a model, and a broken copy of it."""

from __future__ import annotations

import copy
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .. import layout
from ..errors import EnvironmentProblem
from ..manifest import strict_yaml
from ..manifest.semver import SemverKey, next_minor
from .step import DEMO_MODEL


def latest_version_file(workdir: Path, model: str) -> Path:
    files = list((workdir / layout.versions_dir(model)).glob("*.yaml"))
    if not files:
        raise EnvironmentProblem(f"the example registry has no versions of {model}")
    return max(files, key=lambda p: SemverKey(p.stem))


def as_new_version(data: dict[str, Any], version: str, modification: str | None = None) -> dict[str, Any]:
    """A plausible data update: one more quarter of data, a new artifact, same method; released
    manually at every site as the PCCP's ``modification`` (its data update), if named."""
    new = copy.deepcopy(data)
    new.update(version=version, parent=data["version"], submitted_on=date.today().isoformat())
    new["change"] = {
        "summary": "Quarterly retraining on one more quarter of data from the same sites",
        "rationale": "Scheduled refresh under the PCCP data-update protocol; no change to "
                     "algorithm, features or hyperparameters.",
        "declared_class": "data_update",
        # A refresh by the same method touches the risk controls the last one did (IEC 62304 §7.4).
        "risk_controls_affected": list(data["change"].get("risk_controls_affected", [])),
    }
    if modification is not None:
        new["change"]["modification_id"] = modification
        new["change"]["release"] = {"implementation": "manual", "scope": "global"}
    dataset = new["training"]["dataset"]
    dataset["version"] = f"{dataset['version']}-q+1"
    dataset["sha256"] = digest(f"{dataset['sha256']} plus one quarter")
    for site in dataset["sites"]:
        site["n"] += site["n"] // 20
    dataset["size"] = sum(site["n"] for site in dataset["sites"])
    artifact = new["artifact"]
    artifact["mlflow"]["version"] += 1
    artifact["mlflow"]["run_id"] = digest(f"run for {version}")[:32]
    artifact["uri"] = f"models:/{artifact['mlflow']['registered_model']}/{artifact['mlflow']['version']}"
    artifact["sha256"] = digest(f"{artifact['sha256']} retrained as {version}")
    return new


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def break_manifest(good: dict[str, Any]) -> dict[str, Any]:
    broken = copy.deepcopy(good)
    change = broken["change"]
    change["rationle"] = change.pop("rationale")
    broken["validation"]["overall"]["auc_roc"] = 1.07
    for sub in broken["validation"]["subgroups"]:
        if sub["attribute"] == "age_band" and sub["group"].startswith("80"):
            sub["ci95"] = [round(sub["auc_roc"] + 0.02, 3), round(sub["auc_roc"] + 0.09, 3)]
    return broken


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    header = layout.schema_comment(layout.version_path(data["model"], data["version"]))
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + body, encoding="utf-8")


def data_update_modification(workdir: Path, model: str) -> str | None:
    """The id of the first modification ``model``'s PCCP declares for data updates, if any."""
    plan = strict_yaml.parse((workdir / layout.pccp_path(model)).read_text(encoding="utf-8"))
    for entry in plan.get("modifications") or []:
        if "data_update" in entry.get("change_classes", []):
            return str(entry["id"])
    return None


def write_data_update(workdir: Path, model: str = DEMO_MODEL) -> str:
    """Write the next minor version of ``model`` as a conforming data update; its relative path."""
    latest = latest_version_file(workdir, model)
    data = strict_yaml.parse(latest.read_text(encoding="utf-8"))
    new_version = next_minor(data["version"])
    path = latest.parent / f"{new_version}.yaml"
    write_manifest(path, as_new_version(data, new_version, data_update_modification(workdir, model)))
    return path.relative_to(workdir).as_posix()
