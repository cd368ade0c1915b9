"""Crosscheck variations for the data-independence, outside-PCCP routing and failure-record gates.

Each registry version is varied so that every branch of ``policies/independence.rego``,
``policies/routing.rego`` and ``policies/failures.rego`` fires, and the engines must agree on each
(``crosscheck.registry_corpus``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

Variation = tuple[str, dict[str, Any]]

_ROW = {"reasoning": "The plan's assessment, for the crosscheck.", "assessment": "QMS-RA-0000"}


def _variant(base: dict[str, Any], *changes: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    item = copy.deepcopy(base)
    for change in changes:
        change(item)
    return item


def _require(key: str) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        for criteria in item["facts"]["criteria_e4"].values():
            criteria[key] = True
    return change


def _independence(**facts: Any) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item["facts"]["independence"] = {"same_digest": [], "shared_sites": [], **facts}
    return change


def _overlap(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item["manifest"]["validation"]["independence"] = value
    return change


def independence_variations(base: dict[str, Any]) -> Iterator[Variation]:
    """Digests shared, sites shared under external validation, overlap checks missing or found."""
    for dataset in ("training.dataset", "training.tuning_dataset"):
        for held in ("validation.dataset", "pccp.locked_validation_set"):
            yield f"{dataset} digest equals {held}", _variant(
                base, _independence(same_digest=[{"dataset": dataset, "equals": held}]))
    shared = [{"name": "A shared site", "index": 0, "also_in": "training.dataset.sites"}]
    yield "a validation site is a training site", _variant(base, _independence(shared_sites=shared))
    external = _require("require_external_validation")
    yield "external validation required", _variant(base, external)
    yield "external validation required, a shared site", _variant(
        base, external, _independence(shared_sites=shared))
    yield "no facts.independence", _variant(base, lambda item: item["facts"].pop("independence", None))
    check = _require("require_patient_overlap_check")
    yield "patient overlap check required", _variant(base, check)
    yield "patient overlap check required, none declared", _variant(base, check, _overlap(None))
    for result in ("none_found", "found", "unknown"):
        yield f"patient overlap {result}", _variant(
            base, _overlap({"patient_overlap": {"method": "hashed MRN", "result": result}}))


def _rows(changed: str, cls: str, rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        diff = item["facts"]["diff"]
        diff.update({k: k == changed for k in diff})
        if item.get("pccp") is not None:
            item["pccp"]["outside_pccp_significance"] = [{"change_class": cls, **r} for r in rows]
    return change


def routing_variations(base: dict[str, Any]) -> Iterator[Variation]:
    """Classes outside the plan with a non-significant, significant, unreasoned or doubled row."""
    for changed, cls in (("features", "feature_engineering"), ("algorithm_type", "architecture_change")):
        for name, rows in (
            ("non-significant", [{"significant": False, **_ROW}]),
            ("significant", [{"significant": True, **_ROW}]),
            ("unreasoned", [{"significant": False, "reasoning": " ", "assessment": "QMS-RA-0000"}]),
            ("doubled", [{"significant": False, **_ROW}] * 2),
        ):
            yield f"only {changed} changed, {name} row", _variant(base, _rows(changed, cls, rows))


_RECORD = "a" * 64


def _failures(value: Any, modification: str | None = "M1",
              root_cause: dict[str, Any] | None = None) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item["facts"]["failures"] = value
        item["manifest"]["change"]["modification_id"] = modification
        if root_cause is not None:
            item["manifest"]["change"]["root_cause"] = root_cause
    return change


def failure_variations(base: dict[str, Any]) -> Iterator[Variation]:
    """Recorded failures of the same or another modification, with a root cause cited or not
    (``policies/failures.rego``)."""
    failure = {"record": _RECORD, "version": "0.9.0", "modification_id": "M1", "head": "0" * 40,
               "rules": ["gates.auc_floor"]}
    cause = {"failed_evaluation": _RECORD, "summary": "unrelated", "conclusion": "unrelated_to_pccp"}
    yield "a recorded failure of its modification, no root cause", _variant(base, _failures([failure]))
    yield "a recorded failure, its root cause cited", _variant(base, _failures([failure], root_cause=cause))
    yield "a root cause citing an unknown record", _variant(
        base, _failures([failure], root_cause={**cause, "failed_evaluation": "b" * 64}))
    yield "a root cause and no failure on record", _variant(base, _failures([], root_cause=cause))
    yield "a recorded failure of another modification", _variant(base, _failures([failure], "M2"))
    yield "a recorded failure, no modification id", _variant(base, _failures([failure], None))
    yield "facts.failures not a list", _variant(base, _failures({"record": _RECORD}))
    yield "facts.failures holding a non-object", _variant(base, _failures(["x", failure]))
