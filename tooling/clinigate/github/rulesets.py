"""Branch protection as code: ``.github/rulesets/*.json`` in the shape of GitHub's rulesets API.

    >>> rulesets = build(repo_root)                           # doctest: +SKIP
    >>> sorted(rulesets)                                      # doctest: +SKIP
    ['checkpoints.json', 'evaluations.json', 'ledger-tags.json', 'ledger.json', 'main.json']

Apply each with ``gh api -X POST repos/OWNER/REPO/rulesets --input .github/rulesets/main.json``
(``PUT …/rulesets/ID`` to update). What they hold (DESIGN §10, §13):

* ``main.json`` — the default branch: changes only through a pull request with a code-owner
  review, stale reviews dismissed on push, the last push approved by someone else; the commit
  status ``clinigate/gate`` required *from the clinigate GitHub App* (``integration_id``, from
  trust.yaml ``sigstore.ci.status_app_id``): the approval workflow posts it from the default
  branch, and no workflow's GITHUB_TOKEN — a pull request's own included — posts as that App;
  the evaluation workflow required from the default branch (the ``workflows`` rule pins the
  file, the repository id and ``refs/heads/main``), so it runs, and starts the approval
  workflow, whatever the PR did to its own copy; no deletion, no force-push, linear history.
* ``ledger.json`` — ``refs/heads/clinigate/ledger``: never deleted, never rewritten; created and
  updated only by the deploy key the approval workflow holds in its protected environment.
* ``ledger-tags.json`` — ``refs/tags/clinigate/ledger/*``, the ledger heads ``ledger push``
  publishes: created only by that deploy key, never deleted or moved, so a fresh clone can tell
  a rewound ledger.
* ``checkpoints.json`` — ``refs/heads/clinigate/checkpoints``, the signed audit checkpoints
  (``audit checkpoint``): like the ledger, never deleted or rewritten, created and updated only
  by the deploy key, which audit.yml and sync.yml hold through the ``approvals`` environment.
* ``evaluations.json`` — ``refs/heads/clinigate/evaluations``, the gate's signed evaluation records
  (``check --record``, ``github gate-status --record``): a failure stays on record (B-13), so the
  branch is append-only too, updated only by the deploy key (``ledger push`` carries it).

The models below are the part of the API's request body clinigate writes, ``extra="forbid"``:
a misspelt key is an error here instead of a rule GitHub silently ignores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import layout
from ..audit.checkpoint import CHECKPOINTS_REF
from ..errors import ClinigateError
from ..findings import Finding
from ..generated import Generated
from ..manifest.trust import CiIdentity

RULESETS_DIR = ".github/rulesets"
GATE_CHECK = "clinigate/gate"
GATE_WORKFLOW = ".github/workflows/pr-gate.yml"
LEDGER_BRANCH = layout.LEDGER_REF
LEDGER_TAGS = "refs/tags/clinigate/ledger/*"


class _Api(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RefName(_Api):
    include: list[str]
    exclude: list[str] = Field(default_factory=list)


class Conditions(_Api):
    ref_name: RefName


class BypassActor(_Api):
    actor_id: int | None  # null for a deploy key (GitHub's rule)
    actor_type: Literal["Integration", "OrganizationAdmin", "RepositoryRole", "Team", "DeployKey"]
    bypass_mode: Literal["always", "pull_request"] = "always"


class PullRequestParameters(_Api):
    required_approving_review_count: Annotated[int, Field(ge=0, le=10)]
    dismiss_stale_reviews_on_push: bool
    require_code_owner_review: bool
    require_last_push_approval: bool
    required_review_thread_resolution: bool


class StatusCheck(_Api):
    context: str
    # Only this App's status counts: any workflow's GITHUB_TOKEN posts as GitHub Actions.
    integration_id: int


class StatusChecksParameters(_Api):
    required_status_checks: list[StatusCheck]
    strict_required_status_checks_policy: bool


class WorkflowFile(_Api):
    path: str
    repository_id: int
    ref: str


class WorkflowsParameters(_Api):
    workflows: list[WorkflowFile]


class SimpleRule(_Api):
    type: Literal["creation", "update", "deletion", "non_fast_forward", "required_linear_history",
                  "required_signatures"]


class PullRequestRule(_Api):
    type: Literal["pull_request"]
    parameters: PullRequestParameters


class StatusChecksRule(_Api):
    type: Literal["required_status_checks"]
    parameters: StatusChecksParameters


class WorkflowsRule(_Api):
    type: Literal["workflows"]
    parameters: WorkflowsParameters


Rule = Annotated[SimpleRule | PullRequestRule | StatusChecksRule | WorkflowsRule, Field(discriminator="type")]


class Ruleset(_Api):
    """The body of ``POST /repos/{owner}/{repo}/rulesets``."""

    name: str
    target: Literal["branch", "tag"]
    enforcement: Literal["active", "evaluate", "disabled"]
    bypass_actors: list[BypassActor] = Field(default_factory=list)
    conditions: Conditions
    rules: list[Rule]


class RulesetsProblem(ClinigateError):
    exit_code = 1


def build(repo_root: Path) -> dict[str, Ruleset]:
    """The four rulesets; the repository id comes from trust.yaml's pinned CI identity."""
    ci = _ci_identity(repo_root)
    repository_id = int(ci.repository_id)
    if ci.status_app_id is None:
        raise RulesetsProblem("trust.yaml names no GitHub App for the clinigate/gate status "
                              "(sigstore.ci.status_app_id): without it any workflow's token could post "
                              "a green gate", hint="create the App (statuses: write, pull-requests: read), "
                              "install it on the repository and put its numeric id there")
    main = Ruleset(
        name="clinigate: main", target="branch", enforcement="active",
        conditions=Conditions(ref_name=RefName(include=["~DEFAULT_BRANCH"])),
        rules=[
            SimpleRule(type="deletion"), SimpleRule(type="non_fast_forward"),
            SimpleRule(type="required_linear_history"),
            PullRequestRule(type="pull_request", parameters=PullRequestParameters(
                required_approving_review_count=1, dismiss_stale_reviews_on_push=True,
                require_code_owner_review=True, require_last_push_approval=True,
                required_review_thread_resolution=True)),
            StatusChecksRule(type="required_status_checks", parameters=StatusChecksParameters(
                required_status_checks=[StatusCheck(context=GATE_CHECK,
                                                    integration_id=int(ci.status_app_id))],
                strict_required_status_checks_policy=True)),
            WorkflowsRule(type="workflows", parameters=WorkflowsParameters(workflows=[
                WorkflowFile(path=GATE_WORKFLOW, repository_id=repository_id, ref="refs/heads/main")])),
        ])
    # The approval workflow pushes the ledger with a deploy key kept in its protected environment;
    # the same key creates the published head tags (and moves none), and audit.yml and sync.yml push
    # checkpoints with it from their environment.
    ledger = _append_only("clinigate: approval ledger", "branch", LEDGER_BRANCH)
    tags = _append_only("clinigate: published ledger heads", "tag", LEDGER_TAGS)
    checkpoints = _append_only("clinigate: audit checkpoints", "branch", CHECKPOINTS_REF)
    evaluations = _append_only("clinigate: gate evaluation records", "branch", layout.EVALUATIONS_REF)
    return {"main.json": main, "ledger.json": ledger, "ledger-tags.json": tags,
            "checkpoints.json": checkpoints, "evaluations.json": evaluations}


def _append_only(name: str, target: Literal["branch", "tag"], ref: str) -> Ruleset:
    """A ref nobody may create, delete, update or rewind, except the deploy key that appends to it."""
    return Ruleset(
        name=name, target=target, enforcement="active",
        bypass_actors=[BypassActor(actor_id=None, actor_type="DeployKey")],
        conditions=Conditions(ref_name=RefName(include=[ref])),
        rules=[SimpleRule(type="creation"), SimpleRule(type="deletion"), SimpleRule(type="non_fast_forward"),
               SimpleRule(type="update")])


def render(ruleset: Ruleset) -> str:
    return json.dumps(ruleset.model_dump(mode="json"), indent=2) + "\n"


def write(repo_root: Path) -> list[Path]:
    folder = repo_root / RULESETS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, ruleset in build(repo_root).items():
        (folder / name).write_text(render(ruleset), encoding="utf-8")
        written.append(folder / name)
    return written


def check(repo_root: Path) -> list[Finding]:
    """One finding per ruleset file that is missing, stale or edited by hand."""
    findings = []
    for name, ruleset in build(repo_root).items():
        path = repo_root / RULESETS_DIR / name
        actual = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        if actual != render(ruleset):
            what = "the file is missing" if actual is None else "the file differs from what clinigate writes"
            findings.append(Finding(f"{RULESETS_DIR}/{name}", None, None, "rulesets.stale",
                                    f"{what}; run `clinigate rulesets` and commit it"))
    return findings


def generate(repo_root: Path, *, check_only: bool = False) -> Generated:
    """Write .github/rulesets/*.json, or with ``check_only`` say which are missing or stale."""
    subject = f"{RULESETS_DIR}/"
    if not check_only:
        written = tuple(p.relative_to(repo_root).as_posix() for p in write(repo_root))
        return Generated(subject, written=written)
    return Generated(subject, stale=tuple(check(repo_root)), checked=True)


def _ci_identity(repo_root: Path) -> CiIdentity:
    from ..layout import TRUST_PATH
    from ..manifest.loader import load_file
    from ..manifest.trust import Trust

    loaded = load_file(repo_root, TRUST_PATH)
    trust = loaded.document
    if not isinstance(trust, Trust):
        raise RulesetsProblem(f"{TRUST_PATH} does not load; the rulesets need its pinned repository id",
                              hint="run `clinigate validate`", findings=loaded.findings)
    if trust.sigstore.ci is None:
        raise RulesetsProblem(f"{TRUST_PATH} pins no CI identity (sigstore.ci), so the repository id the "
                              "gate workflow rule names is unknown",
                              hint="set sigstore.ci.repository_id (gh api repos/OWNER/REPO --jq .id)")
    return trust.sigstore.ci
