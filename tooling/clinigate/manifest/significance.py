"""The PCCP's significance rules for changes outside the plan (regulatory.md §7 C-18).

A change whose class the plan does not authorise is outside the PCCP. FDA's device-modification
guidances ("Deciding When to Submit a 510(k) for a Software Change to an Existing Device") then
decide whether it needs a new submission or is documented by a letter to file. The plan may make
that assessment in advance, per change class, with its reasoning; ``policies/routing.rego`` routes
a non-significant one to ``letter_to_file`` and shows the reasoning to the reviewer.

    outside_pccp_significance:
      - change_class: feature_engineering
        significant: false
        reasoning: A recomputed input from the same EHR signal ... does not change the risk profile.
        assessment: QMS-RA-0150 rev A
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from pydantic import Field

from .values import ChangeClass, Flag, ShortText, StrictModel, Text

# A first version is a new device and a new intended use is outside any PCCP: neither is ever a
# letter to file (FDA PCCP guidance §VI.C, App. B).
ALWAYS_SIGNIFICANT = frozenset({ChangeClass.INITIAL, ChangeClass.NEW_INDICATION})


class SignificanceRule(StrictModel):
    change_class: ChangeClass = Field(description="a class the plan does not authorise")
    significant: Flag = Field(description="false: a change of this class is documented by letter to file")
    reasoning: Text = Field(description="why the plan judges such a change (non-)significant; shown "
                            "to the reviewers in the pccp.significance finding")
    assessment: ShortText = Field(description="controlled document id of the significance assessment")


class _Plan(Protocol):
    @property
    def authorised(self) -> bool: ...


def check_rules(rules: Sequence[SignificanceRule], plans: Mapping[ChangeClass, _Plan]) -> None:
    """Refuse rows that could never apply or that no assessment could justify."""
    seen: set[ChangeClass] = set()
    for index, rule in enumerate(rules):
        where = f"row {index}"
        if rule.change_class in seen:
            raise ValueError(f"{where}: {rule.change_class.value} already has a row; "
                             "give each change class one row")
        seen.add(rule.change_class)
        if not rule.significant and rule.change_class in ALWAYS_SIGNIFICANT:
            raise ValueError(f"{where}: a {rule.change_class.value} change is always significant "
                             "(a new device or a new intended use needs a submission)")
        plan = plans.get(rule.change_class)
        if plan is not None and plan.authorised:
            raise ValueError(f"{where}: {rule.change_class.value} is authorised by this plan, so its "
                             "changes are inside the PCCP and the row would never apply")
