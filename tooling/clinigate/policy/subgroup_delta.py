"""A changed version's validation AUC beside the production version's, overall and per subgroup.

    >>> comparison = compare(head, production_version="1.2.0", production=prod)  # doctest: +SKIP
    >>> [(r.attribute, r.group, r.delta, r.flag) for r in comparison.subgroups][:1]  # doctest: +SKIP
    [('race', 'Asian', -0.082, <DeltaFlag.BELOW_PRODUCTION_CI: 'below production 95% CI'>)]

Shown to reviewers, never deciding: the Rego gates judge. A group present on one side only is
kept and flagged (a renamed group must not let its old numbers vanish from the review).
Differences use the policies' integer arithmetic (:func:`clinigate.pccp.facts.e4`), so a flag
here and a regression finding of the gates agree on the same literals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from ..manifest.version import ModelVersion, Subgroup
from ..pccp.facts import E4, e4

# A PCCP's acceptance criteria bound the overall regression vs production (max_regression) and
# each subgroup's gap to its own version's overall AUC, but no subgroup's drop vs production:
# a subgroup (and the overall row, when the tolerance is unknown) is flagged when its AUC falls
# below production's 95% CI lower bound.
_OVERALL = ("overall", "all")


class _Typed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeltaFlag(StrEnum):
    NEW_GROUP = "new group"
    MISSING = "missing in this version"
    BEYOND_TOLERANCE = "drop beyond PCCP tolerance"
    BELOW_PRODUCTION_CI = "below production 95% CI"


class AucEstimate(_Typed):
    n: int
    auc: float
    ci95: tuple[float, float]


class AucDelta(_Typed):
    """One row: ``head`` or ``production`` is None when the group exists on one side only."""

    attribute: str
    group: str
    head: AucEstimate | None
    production: AucEstimate | None
    delta: float | None  # head − production, rounded to 3 decimals
    flag: DeltaFlag | None = None


class ProductionComparison(_Typed):
    """The comparison for one changed version; no rows when nothing is in production."""

    production_version: str | None  # named by deployment.yaml at the base; None: a first release
    production_loaded: bool  # False: that version's manifest does not load at the base
    max_regression: float | None = None  # the PCCP tolerance the overall row was judged by
    overall: AucDelta | None = None
    subgroups: list[AucDelta] = Field(default_factory=list)


def compare(head: ModelVersion, *, production_version: str | None, production: ModelVersion | None,
            max_regression_e4: int | None = None) -> ProductionComparison:
    """``head`` against ``production``; ``max_regression_e4``: the PCCP's overall tolerance, if known."""
    if production_version is None or production is None:
        return ProductionComparison(production_version=production_version, production_loaded=False)
    tolerance = None if max_regression_e4 is None else float(Decimal(max_regression_e4) / E4)
    return ProductionComparison(
        production_version=production_version, production_loaded=True, max_regression=tolerance,
        overall=_overall(head, production, max_regression_e4), subgroups=_subgroups(head, production))


def _overall(head: ModelVersion, production: ModelVersion, max_regression_e4: int | None) -> AucDelta:
    now, then = (AucEstimate(n=m.n, auc=m.auc_roc, ci95=(m.auc_ci95[0], m.auc_ci95[1]))
                 for m in (head.validation.overall, production.validation.overall))
    return _row(_OVERALL, now, then, max_regression_e4)


def _subgroups(head: ModelVersion, production: ModelVersion) -> list[AucDelta]:
    now = {_key(s): _estimate(s) for s in head.validation.subgroups}
    then = {_key(s): _estimate(s) for s in production.validation.subgroups}
    return [_row(key, now.get(key), then.get(key)) for key in _order(list(now), list(then))]


def _order(now: list[tuple[str, str]], then: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """This version's order; a group only production has goes after its attribute's last row."""
    keys = list(now)
    for key in then:
        if key in now:
            continue
        same = [i for i, k in enumerate(keys) if k[0] == key[0]]
        keys.insert(same[-1] + 1 if same else len(keys), key)
    return keys


def _row(key: tuple[str, str], now: AucEstimate | None, then: AucEstimate | None,
         tolerance_e4: int | None = None) -> AucDelta:
    attribute, group = key
    if now is None or then is None:
        flag = DeltaFlag.NEW_GROUP if then is None else DeltaFlag.MISSING
        return AucDelta(attribute=attribute, group=group, head=now, production=then, delta=None, flag=flag)
    return AucDelta(attribute=attribute, group=group, head=now, production=then,
                    delta=_difference(now.auc, then.auc), flag=_drop_flag(now, then, tolerance_e4))


def _drop_flag(now: AucEstimate, then: AucEstimate, tolerance_e4: int | None) -> DeltaFlag | None:
    if tolerance_e4 is not None:
        return DeltaFlag.BEYOND_TOLERANCE if e4(then.auc) - e4(now.auc) > tolerance_e4 else None
    return DeltaFlag.BELOW_PRODUCTION_CI if e4(now.auc) < e4(then.ci95[0]) else None


def _difference(now: float, then: float) -> float:
    # Half away from zero, as people round by hand: a drop of 0.0205 reads -0.021, not -0.020
    # (half-even), next to a tolerance of 0.02 it exceeds.
    exact = Decimal(e4(now) - e4(then)) / E4
    return float(exact.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _key(subgroup: Subgroup) -> tuple[str, str]:
    return subgroup.attribute.value, subgroup.group


def _estimate(subgroup: Subgroup) -> AucEstimate:
    return AucEstimate(n=subgroup.n, auc=subgroup.auc_roc, ci95=(subgroup.ci95[0], subgroup.ci95[1]))
