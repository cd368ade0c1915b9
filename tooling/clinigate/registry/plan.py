"""The plan: typed actions that make MLflow match Git, computed only from drift.

Rules (Argo CD / Flux, DESIGN §7):

* aliases are the environment names; an alias already where Git wants it is left alone;
* sync remembers which version it pointed each alias at in a registered-model tag
  ``clinigate.alias.<env>`` (Kubernetes' last-applied configuration, in MLflow). An alias
  whose version differs from that record was moved (or deleted) by hand: ``drift="repair"``
  moves it back and says so (an audit event), ``drift="warn"`` writes nothing and reports it;
  an alias still on the recorded version simply follows a change merged in Git;
* environment aliases that ``deployment.yaml`` no longer names are removed only with
  ``prune=True``, and pruning is refused outright when the desired state is empty;
* a version named in Git that MLflow does not have is refused as drift, never a crash;
* ``production`` only moves after the artifact digest recomputed from MLflow's copy
  matches the manifest's ``artifact.sha256``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from ..manifest.values import Environment
from .actual import (
    ArtifactCheck,
    ArtifactInspector,
    BulkVersionReader,
    RegisteredModelState,
    RegistryClient,
    VersionState,
    is_remote,
    read_each,
)
from .desired import DesiredModel, DesiredState, Target

ENVIRONMENTS = frozenset(e.value for e in Environment)
RECORD_PREFIX = "clinigate.alias."
TAG_KEYS = ("clinigate.manifest_sha256", "clinigate.git_commit", "clinigate.change_class",
            "clinigate.approved_by")
SYNCED_AT = "clinigate.synced_at"
# Version tag, per environment: "<time> <commit>" — when sync last put that environment's alias on
# this version, and the revision of main it applied. ``audit timeline --tracking-uri`` shows it.
APPLIED_PREFIX = "clinigate.applied."
# Registered-model tag: the ledger commit whose approvals the last alias move relied on. A later
# sync refuses a ledger that no longer contains it (approvals/ledger.py, ``ledger.rewound``).
LEDGER_TAG = "clinigate.ledger_commit"
MANIFEST_TAG = TAG_KEYS[0]  # every version sync ever tagged carries it
TAG_VALUE_LIMIT = 5000  # MLflow's limit for a tag value
LEGACY_STAGES = {"production": "Production", "staging": "Staging"}
DriftMode = Literal["repair", "warn"]


@dataclass(frozen=True)
class SetAlias:
    model: str
    alias: str
    version: str
    reason: str
    previous: str | None = None  # the version the alias is on now, if any
    artifact_sha256: str = ""  # what the manifest says; checked before production moves
    source: str = ""
    ledger_commit: str = ""  # the approvals this move relies on; recorded as LEDGER_TAG
    applied: str = ""  # "<time> <commit>": recorded on the version as APPLIED_PREFIX + alias
    kind: str = "set_alias"


@dataclass(frozen=True)
class RemoveAlias:
    model: str
    alias: str
    current_version: str
    reason: str
    kind: str = "remove_alias"


@dataclass(frozen=True)
class SetTags:
    model: str
    version: str
    tags: dict[str, str]
    reason: str
    kind: str = "set_tags"


@dataclass(frozen=True)
class TransitionStage:
    model: str
    version: str
    stage: str
    reason: str
    kind: str = "transition_stage"


@dataclass(frozen=True)
class Refuse:
    model: str
    environment: str
    reason: str
    kind: str = "refuse"


@dataclass(frozen=True)
class Drift:
    """Drift reported but not corrected (``--drift warn``, or an extra alias without ``--prune``)."""

    model: str
    alias: str
    current_version: str | None
    reason: str
    kind: str = "drift"


Write = SetAlias | RemoveAlias | SetTags | TransitionStage
Action = Write | Refuse | Drift


@dataclass
class Plan:
    rev: str
    commit: str
    tracking_uri: str
    actions: list[Action] = field(default_factory=list)
    blocked: str | None = None  # the whole plan is refused (usage error, exit 2)

    @property
    def writes(self) -> list[Write]:
        return [a for a in self.actions if not isinstance(a, (Refuse, Drift))]

    @property
    def refusals(self) -> list[Refuse]:
        return [a for a in self.actions if isinstance(a, Refuse)]

    @property
    def drifts(self) -> list[Drift]:
        return [a for a in self.actions if isinstance(a, Drift)]

    @property
    def in_sync(self) -> bool:
        return self.blocked is None and not self.actions

    def as_dict(self) -> dict[str, Any]:
        return {"rev": self.rev, "commit": self.commit, "tracking_uri": self.tracking_uri,
                "in_sync": self.in_sync, "blocked": self.blocked,
                "actions": [asdict(a) for a in self.actions]}


@dataclass
class ActualModel:
    """What MLflow holds for one registered model (``state`` None: it does not exist)."""

    state: RegisteredModelState | None
    versions: dict[str, VersionState] | None = None  # None: not read (nothing needed it)


def desired_tags(target: Target) -> dict[str, str]:
    tags = {"clinigate.manifest_sha256": target.manifest_sha256,
            "clinigate.git_commit": target.manifest_commit,
            "clinigate.change_class": target.change_class, "clinigate.approved_by": target.approved_by}
    return {k: v[:TAG_VALUE_LIMIT] for k, v in tags.items()}


def read_actual(desired: DesiredState, client: RegistryClient) -> dict[str, ActualModel]:
    """One ``get_registered_model`` per registered model in scope, and the versions Git names.

    Versions sync tagged before come from one paged search across every model (a few requests
    for the whole registry); a model whose wanted versions are not all among them (first sync,
    a version deleted by hand) gets its own paged search. Against a server the models are read
    concurrently (:func:`~clinigate.registry.actual.read_each`), in sorted order all the same:
    the plan and the first error reported do not depend on timing.
    """
    needed: dict[str, set[str]] = {}
    for target in desired.targets:
        needed.setdefault(target.registered_model, set()).add(target.mlflow_version)
    bulk = client.versions_tagged(MANIFEST_TAG) if needed and isinstance(client, BulkVersionReader) else {}

    def read(name: str) -> ActualModel:
        state = client.registered_model(name)
        if state is None or name not in needed:
            return ActualModel(state, None)
        known = bulk.get(name, {})
        return ActualModel(state, known if needed[name] <= known.keys() else client.versions(name))

    names = sorted(_scope(desired.models))
    return dict(zip(names, read_each(read, names, remote=is_remote(client.tracking_uri)), strict=True))


def _scope(models: Iterable[DesiredModel]) -> set[str]:
    return {r for m in models for r in (m.registered_models | {t.registered_model for t in m.targets})}


def make_plan(desired: DesiredState, client: RegistryClient, *, drift: DriftMode = "repair",
              prune: bool = False, legacy_stages: bool = False) -> Plan:
    """Read MLflow, plan from the drift, and check artifact digests before production moves."""
    if prune and desired.empty:
        return Plan(desired.rev, desired.commit, client.tracking_uri, blocked=_empty_reason(desired))
    actual = read_actual(desired, client)
    if desired.ledger is not None:
        desired.ledger.require_intact(recorded_ledger_heads(actual))
    plan = plan_from(desired, actual, tracking_uri=client.tracking_uri, drift=drift,
                     prune=prune, legacy_stages=legacy_stages)
    plan.actions = [_verify_digest(a, client) for a in plan.actions]
    return plan


def recorded_ledger_heads(actual: dict[str, ActualModel]) -> dict[str, str]:
    """The ledger commits earlier syncs relied on, by registered model (``mlflow:<name>``)."""
    return {f"MLflow registered model {name} (tag {LEDGER_TAG})": model.state.tags[LEDGER_TAG]
            for name, model in sorted(actual.items()) if model.state and model.state.tags.get(LEDGER_TAG)}


def _empty_reason(desired: DesiredState) -> str:
    return (f"refusing to prune: the desired state at {desired.rev} ({desired.commit[:12]}) is empty, "
            "so --prune would delete every environment alias; check --rev and --model")


def _verify_digest(action: Action, client: RegistryClient) -> Action:
    """Refuse a production move unless MLflow's artifacts match the manifest's digest and, when they
    carry an OpenSSF model signature, that signature verifies with a trusted key.

    A client without :class:`~clinigate.registry.actual.ArtifactInspector` (an in-memory fake) gets
    the digest check only; :class:`~clinigate.registry.actual.MlflowRegistry` always has it.
    """
    if not isinstance(action, SetAlias) or action.alias != "production" or action.previous == action.version:
        return action
    check = (client.check_artifact(action.model, action.version, action.source)
             if isinstance(client, ArtifactInspector)
             else ArtifactCheck(client.artifact_digest(action.model, action.version, action.source)))
    if check.digest != action.artifact_sha256:
        return Refuse(action.model, action.alias,
                      f"artifact digest mismatch for {action.model} version {action.version}: the manifest "
                      f"says {action.artifact_sha256}, MLflow's artifacts at {action.source} hash to "
                      f"{check.digest}; production was not moved")
    if check.signature is not None and check.signature.problem is not None:
        return Refuse(action.model, action.alias,
                      f"model signature refused for {action.model} version {action.version} "
                      f"({action.source}): {check.signature.problem}; production was not moved")
    return action


def plan_from(desired: DesiredState, actual: dict[str, ActualModel], *, tracking_uri: str = "",
              drift: DriftMode = "repair", prune: bool = False, legacy_stages: bool = False,
              now: datetime | None = None) -> Plan:
    """Pure planning: desired vs. actual, no I/O (the digest check is :func:`make_plan`'s)."""
    plan = Plan(desired.rev, desired.commit, tracking_uri)
    if prune and desired.empty:
        plan.blocked = _empty_reason(desired)
        return plan
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    for model in desired.models:
        plan.actions.extend(Refuse(r.model, r.environment, r.reason) for r in model.refusals)
        for name in sorted(_scope([model])):
            rules = _Rules(drift, prune, legacy_stages, stamp, tracking_uri, desired.ledger_commit or "",
                           desired.commit)
            plan.actions.extend(rules.model_actions(model, name, actual.get(name, ActualModel(None))))
    return plan


@dataclass
class _Rules:
    drift: DriftMode
    prune: bool
    legacy_stages: bool
    stamp: str
    tracking_uri: str
    ledger_commit: str = ""
    commit: str = ""  # the revision of main being applied

    def model_actions(self, model: DesiredModel, name: str, actual: ActualModel) -> list[Action]:
        targets = [t for t in model.targets if t.registered_model == name]
        if actual.state is None:
            missing = f"registered model {name} does not exist in MLflow at {self.tracking_uri}"
            return [Refuse(model.model, t.environment, f"{missing}; register it first")
                    for t in targets]
        actions: list[Action] = []
        tagged: set[str] = set()
        for target in targets:
            version = (actual.versions or {}).get(target.mlflow_version)
            if version is None:
                actions.append(Refuse(model.model, target.environment, (
                    f"drift: {name} version {target.mlflow_version} (named by {target.manifest_path}) is "
                    "missing from MLflow, deleted by hand? Restore it or change deployment.yaml")))
                continue
            actions.extend(self._alias(target, actual.state, version))
            if target.mlflow_version not in tagged:
                tagged.add(target.mlflow_version)
                actions.extend(self._tags(target, version))
            actions.extend(self._stage(target, version))
        if model.deployment_known:
            protected = {t.environment for t in targets} | {r.environment for r in model.refusals}
            actions.extend(self._extra(name, actual.state, protected))
        return actions

    def _alias(self, target: Target, state: RegisteredModelState, version: VersionState) -> list[Action]:
        env, want = target.environment, target.mlflow_version
        current, record = state.aliases.get(env), state.tags.get(RECORD_PREFIX + env)
        set_alias = SetAlias(target.registered_model, env, want, "", current, target.artifact_sha256,
                             version.source, self.ledger_commit, f"{self.stamp} {self.commit}".strip())
        where = f"{target.model} {target.version} ({target.registered_model} version {want})"
        if current == want:
            if record == want:
                return []
            return [replace(set_alias, reason=f"{env} is already on {where}; record it as sync's")]
        if current == record:  # the alias is where sync left it: Git changed
            was = "new alias" if current is None else f"Git moves it from version {current}"
            commit = target.manifest_commit[:12]
            return [replace(set_alias, reason=f"{was}: {env} -> {where} (commit {commit})")]
        moved = (f"alias {env} was deleted by hand" if current is None else
                 f"alias {env} was moved by hand to version {current}")
        moved += f" (sync last set it to {record})" if record else " (sync never set it)"
        if self.drift == "warn":
            return [Drift(target.registered_model, env, current, f"{moved}; Git wants {where}; "
                          "--drift warn leaves it")]
        return [replace(set_alias, reason=f"audit event: {moved}; put back on {where}")]

    def _tags(self, target: Target, version: VersionState) -> list[Action]:
        wanted = desired_tags(target)
        stale = {k: v for k, v in wanted.items() if version.tags.get(k) != v}
        if not stale:
            return []
        return [SetTags(target.registered_model, target.mlflow_version, {**wanted, SYNCED_AT: self.stamp},
                        f"tags differ from {target.manifest_path}: {', '.join(sorted(stale))}")]

    def _stage(self, target: Target, version: VersionState) -> list[Action]:
        stage = LEGACY_STAGES.get(target.environment)
        if not self.legacy_stages or stage is None or version.current_stage == stage:
            return []
        return [TransitionStage(target.registered_model, target.mlflow_version, stage,
                                f"--legacy-stages: {target.environment} -> deprecated stage {stage}")]

    def _extra(self, name: str, state: RegisteredModelState, protected: set[str]) -> list[Action]:
        actions: list[Action] = []
        for alias, version in sorted(state.aliases.items()):
            if alias not in ENVIRONMENTS or alias in protected:
                continue
            why = f"alias {alias} (version {version}) names an environment deployment.yaml does not list"
            if self.prune:
                actions.append(RemoveAlias(name, alias, version, f"prune: {why}"))
            else:
                actions.append(Drift(name, alias, version, f"{why}; --prune removes it"))
        return actions
