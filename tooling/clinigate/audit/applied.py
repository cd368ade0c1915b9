"""When each deployment change took effect in MLflow, as sync recorded it there.

    >>> rows = mark_applied(git, tip, auditor.timeline("sepsis-ews"), MlflowRegistry(uri))  # doctest: +SKIP
    >>> rows[-1].applied                                                                    # doctest: +SKIP
    Applied(at='2026-03-15T14:02:11+00:00', commit='3f2a9c01…')

Each time sync moves an environment's alias onto a version it tags that version
``clinigate.applied.<environment>`` with its clock's time and the revision of main it applied
(registry/plan.py). MLflow keeps one value per tag, so a version records only the last time an
environment was put on it: a change applied earlier and later applied again (a rollback to a
version that ran before) shows the later time, and the earlier entry says "not recorded". The
time is sync's own clock: claimed by the sync job, not vouched for by a log or a TSA.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import layout

if TYPE_CHECKING:
    from ..gitrepo import Git
    from ..registry.actual import RegistryClient
    from .query import Deployed


@dataclass(frozen=True)
class Applied:
    at: str  # ISO 8601, sync's clock
    commit: str  # the revision of main that sync applied


def mark_applied(git: Git, tip: str, rows: list[Deployed], client: RegistryClient) -> list[Deployed]:
    """``rows`` with ``applied`` set where MLflow records that sync applied them."""
    from ..manifest.revision import Snapshot
    from ..manifest.version import ModelVersion
    from ..registry.plan import APPLIED_PREFIX

    docs = Snapshot(git, tip)
    where: dict[str, tuple[str, str]] = {}  # semver -> (registered model, MLflow version), as merged
    for row in rows:
        version, model = row.event.after, row.event.model
        if version and model and version not in where:
            doc = docs.doc(layout.version_path(model, version))
            if isinstance(doc, ModelVersion):
                where[version] = (doc.artifact.mlflow.registered_model, str(doc.artifact.mlflow.version))
    tags: dict[str, dict[str, dict[str, str]]] = {}  # registered model -> MLflow version -> tags
    for name in sorted({name for name, _ in where.values()}):
        tags[name] = {v: state.tags for v, state in client.versions(name).items()}
    marked = list(rows)
    for semver, (name, number) in where.items():
        for key, value in tags.get(name, {}).get(number, {}).items():
            if not key.startswith(APPLIED_PREFIX) or len(value.split()) != 2:
                continue
            env, (at, commit) = key.removeprefix(APPLIED_PREFIX), value.split()
            index = _entry(git, marked, env, semver, commit)
            if index is not None:
                marked[index] = replace(marked[index], applied=Applied(at, commit))
    return marked


def _entry(git: Git, rows: list[Deployed], env: str, version: str, commit: str) -> int | None:
    """The last change of ``env`` to ``version`` that the applied revision ``commit`` contains."""
    for index in range(len(rows) - 1, -1, -1):
        event = rows[index].event
        if event.env == env and event.after == version and _contains(git, commit, event.landing.commit):
            return index
    return None


def _contains(git: Git, commit: str, landing: str) -> bool:
    from ..errors import ClinigateError

    try:
        return git.is_ancestor(landing, commit)
    except ClinigateError:
        return False  # a revision this clone does not have (or was rewritten away): no claim on it
