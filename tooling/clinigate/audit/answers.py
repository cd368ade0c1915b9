"""What each ``clinigate audit`` question does, one call each; the CLI parses the question and
renders the typed answer.

    answer = deployment_timeline(root=root, model="sepsis-ews", env="production")
    answer.value.deployments      # every deployment change, with its evidence
    answer.unreadable             # desired states that did not load (they changed nothing)
    check = check_history(root=root, since=None)
    check.report.passed

Each question opens the history of the deployment branch (``rev``, default its tip, must lie on
its first-parent line) through the :class:`~clinigate.audit.query.Auditor`, with the answers this
clone keeps under .git/clinigate/audit/ unless ``cached`` is false.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .. import layout

if TYPE_CHECKING:
    from ..findings import Report
    from .bundles import BundleExport
    from .query import Auditor, Deployed, InForce, Modification

T = TypeVar("T")
Progress = Callable[[Sequence[Any], str], Iterable[Any]]  # audit/verify.py's, e.g. a progress bar


@dataclass(frozen=True)
class Unreadable:
    """A desired state of the model that did not load: the history skips it (sync refused it too)."""

    path: str
    why: str
    commit: str


@dataclass(frozen=True)
class Answer(Generic[T]):
    """An answer about one model, and the model's documents on the history that did not load."""

    value: T
    unreadable: tuple[Unreadable, ...] = ()


@dataclass(frozen=True)
class Timeline:
    """Every deployment change of ``model``; ``mlflow``: MLflow was asked when sync applied each."""

    model: str
    deployments: list[Deployed] = field(default_factory=list)
    mlflow: bool = False


@dataclass(frozen=True)
class Modifications:
    """Each version of ``model`` merged on the branch, as its base's rules classed it under the PCCP."""

    model: str
    items: list[Modification] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryCheck:
    """``audit verify``: the findings on ``branch`` at ``tip`` (after ``since``, if given)."""

    report: Report
    branch: str
    tip: str
    since: str | None = None


def deployment_timeline(*, root: Path, model: str, env: str | None = None, branch: str = "main",
                        rev: str | None = None, cached: bool = True,
                        tracking_uri: str | None = None) -> Answer[Timeline]:
    """``model``'s deployment changes (``env`` only, if given); with ``tracking_uri``, when sync applied
    each in that MLflow registry."""
    with _auditor(root, branch, rev, model, cached) as auditor:
        rows = auditor.timeline(model, env)
        if tracking_uri:
            from ..registry.actual import MlflowRegistry
            from .applied import mark_applied

            rows = mark_applied(auditor.git, auditor.log.rev, rows, MlflowRegistry(tracking_uri))
        return Answer(Timeline(model, rows, mlflow=bool(tracking_uri)), _unreadable(auditor, model))


def version_in_force(*, root: Path, model: str, env: str, moment: datetime, branch: str = "main",
                     rev: str | None = None, cached: bool = True) -> Answer[InForce]:
    """The version of ``model`` in force in ``env`` at ``moment`` (an aware datetime)."""
    with _auditor(root, branch, rev, model, cached) as auditor:
        return Answer(auditor.at(model, env, moment), _unreadable(auditor, model))


def pccp_modifications(*, root: Path, model: str, branch: str = "main", rev: str | None = None,
                       cached: bool = True) -> Modifications:
    """The modifications made to ``model`` under its PCCP, for the next submission."""
    with _auditor(root, branch, rev, model, cached) as auditor:
        return Modifications(model, auditor.modifications(model))


def check_history(*, root: Path, branch: str = "main", rev: str | None = None, since: str | None = None,
                  cached: bool = True, progress: Progress = lambda items, label: items) -> HistoryCheck:
    """The whole history verified (audit/verify.py); ``progress`` wraps the long parts of the work."""
    from ..findings import Report
    from ..gitrepo import Git
    from ..registry.branch import deployable
    from .cache import AuditCache
    from .verify import verify_history

    git = Git(root)
    tip = deployable(git, rev, branch)
    findings = verify_history(git, tip, since=since, cache=AuditCache.open(git, enabled=cached),
                              progress=progress)
    report = Report(files=sorted({f.path for f in findings}), findings=findings)
    report.sort()
    return HistoryCheck(report, branch, tip, since)


def export_approvals(*, root: Path, out: Path, model: str | None = None, version: str | None = None,
                     branch: str = "main", rev: str | None = None) -> BundleExport:
    """Every approval on the ledger (``model``/``version`` narrow it) with what stock tools need to
    verify it, written into ``out`` (new or empty), judged at the branch tip or ``rev``."""
    from ..gitrepo import Git
    from ..registry.branch import deployable
    from .bundles import export_bundles

    git = Git(root)
    commit = deployable(git, rev, branch)
    return export_bundles(git, rev=rev or branch, commit=commit, out=out, model=model, version=version)


def _auditor(root: Path, branch: str, rev: str | None, model: str, cached: bool) -> Auditor:
    from ..errors import UsageError
    from ..gitrepo import Git
    from ..registry.branch import deployable
    from .cache import AuditCache
    from .query import Auditor

    git = Git(root)
    cache = AuditCache.open(git, enabled=cached)
    auditor = Auditor.open(git, deployable(git, rev, branch), cache=cache)
    if model not in auditor.models():
        auditor.close()
        known = ", ".join(sorted(auditor.models())) or "none"
        raise UsageError(f"no model {model!r} in the history of {branch}", hint=f"models: {known}")
    return auditor


def _unreadable(auditor: Auditor, model: str) -> tuple[Unreadable, ...]:
    return tuple(Unreadable(path, why, landing.commit) for landing, path, why in auditor.log.problems
                 if path.startswith(layout.model_dir(model) + "/"))
