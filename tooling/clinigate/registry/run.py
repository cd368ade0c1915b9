"""What ``clinigate sync`` does, in one call: desired state from Git, a plan against MLflow, and
(with ``apply``) its writes under the sync lock.

    outcome = sync_registry(root=root, tracking_uri="http://127.0.0.1:5000", apply=False)
    outcome.plan.in_sync      # the dry run's answer
    outcome.written           # None for a dry run; what --apply wrote
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .plan import DriftMode, Plan, Write


class UnknownModel(UsageError):
    """``--model`` names no model folder on the synced revision (exit 2)."""


@dataclass(frozen=True)
class SyncOutcome:
    """The plan sync worked from (after --apply: the one executed under the lock) and its writes."""

    plan: Plan
    written: list[Write] | None = None  # None: a dry run, nothing was to be written

    @property
    def applied(self) -> bool:
        return self.written is not None


def sync_registry(*, root: Path, tracking_uri: str, apply: bool, rev: str | None = None, branch: str = "main",
                  drift: DriftMode = "repair", prune: bool = False, legacy_stages: bool = False,
                  model: str | None = None, lock_timeout: float = 60.0) -> SyncOutcome:
    """Plan the MLflow registry against ``rev`` of the deployment ``branch``; with ``apply``, execute it.

    ``rev`` must lie on the branch's first-parent history (registry/branch.py); a ``model`` the
    revision does not hold is :class:`UnknownModel`.
    """
    from ..gitrepo import Git
    from .actual import MlflowRegistry
    from .branch import deployable
    from .desired import read_desired
    from .model_signature import trusted_keys
    from .plan import make_plan
    from .reconcile import apply as apply_plan

    git = Git(root)
    commit = deployable(git, rev, branch)
    desired = read_desired(git, rev=commit, model=model)
    # OpenSSF model signatures are checked with the keys of the revision being synced.
    client = MlflowRegistry(tracking_uri, model_keys=trusted_keys(git, desired.commit), creates=apply)
    if model is not None and not desired.models:
        raise UnknownModel(f"--model {model}: no such model under models/ on {rev or branch}")

    def plan_now() -> Plan:
        return make_plan(desired, client, drift=drift, prune=prune, legacy_stages=legacy_stages)

    plan = plan_now()
    if not apply:
        return SyncOutcome(plan)
    result = apply_plan(plan, client, lock_timeout=lock_timeout, replan=plan_now)
    return SyncOutcome(result.plan, result.written)
