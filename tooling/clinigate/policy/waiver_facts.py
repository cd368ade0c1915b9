"""``facts.waivers`` and ``facts.waiver`` for the policies (policies/waivers.rego).

A version is judged with every waiver of its model at the head: the waiver is the thing under
review when the pull request adds it, or already merged. Its approvals are filled in by the gate
(``gate/decider.py``) from the ledger, judged like any document's. Times reach Rego as epoch
seconds computed here, and the clock is the gate's own (:func:`~clinigate.manifest.waiver.now_epoch`),
never a time the pull request provides.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from ..manifest.revision import Snapshot
from ..manifest.waiver import Waiver, now_epoch


def waiver_entry(path: str, waiver: Waiver) -> dict[str, Any]:
    """One waiver as the policies read it; ``approvals`` is filled by the gate."""
    return {"id": waiver.id, "path": path, "rule": waiver.rule, "field": waiver.scope.field,
            "versions": list(waiver.scope.versions), "expires": _rfc3339(waiver),
            "expires_epoch": waiver.expires_epoch(),
            "required_roles": [r.value for r in waiver.required_roles], "approvals": []}


def version_waiver_facts(head: Snapshot, model: str) -> dict[str, Any]:
    """``facts.waivers`` (the model's waivers at the head) and ``facts.now_epoch`` of a version."""
    return {"waivers": [waiver_entry(p, w) for p, w in head.waivers(model).items()], "now_epoch": now_epoch()}


def waiver_subject_facts(waiver: Waiver) -> dict[str, Any]:
    """``facts.waiver`` and ``facts.now_epoch`` of a Waiver that is itself the changed document."""
    return {"waiver": {"expires_epoch": waiver.expires_epoch()}, "now_epoch": now_epoch()}


def _rfc3339(waiver: Waiver) -> str:
    """The expiry in UTC (``…Z``), however the waiver spelt its offset: one spelling in every report."""
    return waiver.expires.astimezone(UTC).isoformat().replace("+00:00", "Z")
