"""A hospital's registry on "GitHub", for whole pull-request lives (DESIGN §10).

Everything is real but github.com and the public Sigstore: a bare origin repository, clones for
the data scientist and for each workflow run, the clinigate CLI run as the workflows run it (a
subprocess per step, with the environment GitHub Actions gives it), a private Sigstore instance
on loopback for the workflow's keyless identity, a loopback stand-in for the GitHub REST API
(testing/github_api.py), and, for the last step, a real MLflow tracking server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from testing.fixtures import CliResult, copy_example_registry, git, init_repo
from testing.github_api import LocalGitHub, LocalRepo
from testing.github_events import pull_request_event, workflow_run_event, write_event
from testing.local_sigstore import EMAIL_ISSUER, LocalSigstore

REPOSITORY, REPO_ID, OWNER_ID = "acme/clinical-models", 101, 202
APPROVAL_WORKFLOW = ".github/workflows/record-approval.yml"
STATUS_APP_ID = 777
VERSION = "models/sepsis-ews/versions/1.4.0.yaml"
DEPLOYMENT = "models/sepsis-ews/deployment.yaml"
Account = tuple[str, int]

TRUST = f"""apiVersion: clinigate/v1
kind: Trust
require_signed_approvals: true
pki:
  roots: [demo-ca.pem]
  tsa_roots: [demo-tsa-root.pem]
sigstore:
  trusted_root: local-sigstore-root.json
  signing_config: local-sigstore-config.json
  person_issuers: [{EMAIL_ISSUER}]
  ci:
    repository: {REPOSITORY}
    repository_id: "{REPO_ID}"
    owner_id: "{OWNER_ID}"
    workflow: {APPROVAL_WORKFLOW}
    status_app_id: "{STATUS_APP_ID}"
"""


def identity(name: str, person: dict[str, object]) -> dict[str, str]:
    """Git author and committer environment for ``person`` of roles.yaml."""
    email = str(person["email"])
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email}


@dataclass
class World:
    tmp: Path
    origin: Path
    gh: LocalGitHub
    repo: LocalRepo
    sigstore: LocalSigstore
    app_key_pem: str
    people: dict[str, dict[str, object]]  # person id -> roles.yaml entry
    runs: int = 0
    environment: dict[str, str] = field(default_factory=dict)

    # --- who is who ---

    def account(self, person_id: str) -> Account:
        person = self.people[person_id]
        return str(person["github"]), int(person["github_id"])  # type: ignore[call-overload]

    # --- Git, as people use it ---

    def clone(self, name: str) -> Path:
        path = self.tmp / name
        git(self.tmp, "clone", "-q", str(self.origin), str(path))
        return path

    def commit(self, clone: Path, message: str, person_id: str) -> str:
        person = self.people[person_id]
        env = {**os.environ, **identity(str(person["name"]), person), "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", "add", "-A"], cwd=clone, check=True, env=env)
        subprocess.run(["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", message], cwd=clone,
                       check=True, env=env)
        sha = git(clone, "rev-parse", "HEAD").strip()
        self.gh.add_commit(self.repo, sha, parents=[git(clone, "rev-parse", "HEAD^").strip()])
        return sha

    def push_branch(self, clone: Path, branch: str, number: int | None = None) -> None:
        git(clone, "push", "-q", "origin", f"HEAD:refs/heads/{branch}", "--force")
        if number is not None:  # GitHub keeps every pull request's head at refs/pull/N/head
            git(clone, "push", "-q", "origin", f"HEAD:refs/pull/{number}/head", "--force")

    def main_tip(self) -> str:
        return git(self.origin, "rev-parse", "refs/heads/main").strip()

    # --- GitHub ---

    def open_pull(self, clone: Path, branch: str, number: int, author: str) -> str:
        head = git(clone, "rev-parse", "HEAD").strip()
        self.push_branch(clone, branch, number)
        self.gh.add_pull(self.repo, number, author=self.account(author), head_sha=head, head_ref=branch,
                         base_ref="main", base_sha=self.main_tip())
        return head

    def review(self, number: int, reviewer: str, body: str, state: str = "APPROVED",
               commit_id: str | None = None, account: Account | None = None) -> int:
        return self.gh.add_review(self.repo, number, user=account or self.account(reviewer), state=state,
                                  body=body, commit_id=commit_id)

    def statuses(self, sha: str) -> list[tuple[str, str, int | None]]:
        """(state, description, posting App) of each clinigate/gate status on ``sha``, newest first."""
        return [(s.state, s.description or "", s.app_id) for s in self.gh.statuses(self.repo, sha)
                if s.context == "clinigate/gate"]

    # --- the workflows, step by step as their files run them ---

    def clinigate(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> CliResult:
        full = {**os.environ, **self.environment, **(env or {})}
        proc = subprocess.run([sys.executable, "-m", "clinigate", *args], cwd=cwd, env=full,
                              capture_output=True, text=True, timeout=300)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def evaluate(self, number: int) -> CliResult:
        """pr-gate.yml: check out the head as data, judge it with the base (read-only)."""
        pull = self.gh.pull(self.repo, number)
        runner = self.clone(f"evaluate-{self._next()}")
        git(runner, "fetch", "-q", "origin", f"refs/pull/{number}/head")
        git(runner, "checkout", "-q", "--detach", pull.head_sha)
        event = write_event(self.tmp / f"event-{self.runs}.json", pull_request_event("synchronize", pull))
        env = self._actions_env(event, "pull_request", f"refs/pull/{number}/merge")
        assert self.clinigate(runner, "ledger", "fetch", env=env).code == 0
        return self.clinigate(runner, "check", "--base", pull.base_sha, "--head", pull.head_sha, env=env)

    def approval_workflow(self, number: int, *, ref: str = "refs/heads/main", event_name: str = "workflow_run",
                          after: str = "clinigate/review") -> list[CliResult]:
        """record-approval.yml's job `record`: a fresh checkout of main and its four clinigate steps."""
        pull = self.gh.pull(self.repo, number)
        runner = self.clone(f"approval-{self._next()}")
        if event_name == "workflow_dispatch":
            payload: dict[str, object] = {"inputs": {"pr": str(number)}, "ref": ref}
        else:  # the run of the review (or evaluation) workflow this one follows
            payload = workflow_run_event(self.repo, pull=pull, name=after, event="pull_request_review"
                                         if after == "clinigate/review" else "pull_request")
        event = write_event(self.tmp / f"event-{self.runs}.json", payload)
        token = self.sigstore.mint_github_token(
            repository=REPOSITORY, repository_id=str(REPO_ID), owner_id=str(OWNER_ID),
            workflow=APPROVAL_WORKFLOW, ref=ref, event_name=event_name, run_id=str(1000 + self.runs),
            sha=git(runner, "rev-parse", "HEAD").strip())
        env = {**self._actions_env(event, event_name, ref), "SIGSTORE_ID_TOKEN": token,
               "CLINIGATE_STATUS_APP_KEY": self.app_key_pem}
        steps = [("ledger", "fetch"), ("github", "record-reviews", "--branch", "main"),
                 ("ledger", "push"),
                 ("github", "gate-status", "--branch", "main", "--app-key-env", "CLINIGATE_STATUS_APP_KEY")]
        results = []
        for args in steps:
            result = self.clinigate(runner, *args, env=env)
            results.append(result)
            if result.code != 0:
                break  # GitHub Actions stops the job at the first failing step
        return results

    def merge(self, number: int) -> str:
        """Rebase-merge (the ruleset asks for linear history) and push main."""
        pull = self.gh.pull(self.repo, number)
        maintainer = self.clone(f"merge-{self._next()}")
        git(maintainer, "fetch", "-q", "origin", f"refs/pull/{number}/head")
        git(maintainer, "merge", "-q", "--ff-only", pull.head_sha)
        git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main")
        self.gh.merge(self.repo, number, merge_commit_sha=pull.head_sha)
        return pull.head_sha

    def _actions_env(self, event: Path, event_name: str, ref: str) -> dict[str, str]:
        return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": event_name,
                "GITHUB_REF": ref, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": self.gh.api_url,
                "GITHUB_SERVER_URL": self.gh.server_url, "GITHUB_RUN_ID": str(1000 + self.runs),
                "GITHUB_TOKEN": self.gh.token}

    def _next(self) -> int:
        self.runs += 1
        return self.runs


def configure(repo: Path, sigstore: LocalSigstore, *, with_pki: bool) -> dict[str, dict[str, object]]:
    """trust.yaml: the private Sigstore and the approval workflow of REPOSITORY; roles' ids kept."""
    trust_dir = repo / "policies" / "trust"
    (trust_dir / "local-sigstore-root.json").write_text(sigstore.trusted_root_json())
    (trust_dir / "local-sigstore-config.json").write_text(sigstore.client_trust_config_json())
    text = TRUST if with_pki else TRUST.replace("  roots: [demo-ca.pem]\n  tsa_roots: [demo-tsa-root.pem]",
                                                "  roots: []\n  tsa_roots: []")
    (trust_dir / "trust.yaml").write_text(text)
    roles = yaml.safe_load((repo / "policies/data/roles.yaml").read_text())
    return {p["id"]: p for p in roles["people"]}


def new_world(tmp: Path, gh: LocalGitHub, sigstore: LocalSigstore, repo: Path | None = None,
              prepare: Callable[[Path], None] | None = None) -> World:
    """A world whose main holds ``repo`` (default: a copy of the example registry); ``prepare``
    runs on it before it becomes the origin (to sign what is already deployed, say)."""
    if repo is None:
        repo = tmp / "seed"
        repo.mkdir()
        copy_example_registry(repo)
        people = configure(repo, sigstore, with_pki=False)
        init_repo(repo)
    else:
        people = configure(repo, sigstore, with_pki=True)
        git(repo, "add", "-A")
        git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "trust the approval workflow")
    if prepare is not None:
        prepare(repo)
    origin = tmp / "origin.git"
    git(tmp, "clone", "-q", "--bare", str(repo), str(origin))
    repository = gh.add_repo(REPOSITORY, repo_id=REPO_ID, owner_id=OWNER_ID)
    tip = git(origin, "rev-parse", "refs/heads/main").strip()
    gh.add_commit(repository, tip, branch="main")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    gh.add_app(STATUS_APP_ID, "clinigate-gate", public, repos=[repository])
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return World(tmp, origin, gh, repository, sigstore, pem, people)


def add_version(world: World, clone: Path, *, submitter: str = "pnair") -> None:
    """The data scientist's change: sepsis-ews 1.4.0 (a data update), staged."""
    from clinigate.demo.manifests import write_data_update

    path = write_data_update(clone)
    assert path == VERSION, path
    manifest = clone / path
    manifest.write_text(re.sub(r"^submitted_by: \S+$", f"submitted_by: {submitter}", manifest.read_text(),
                               flags=re.M))
    deployment = clone / DEPLOYMENT
    deployment.write_text(deployment.read_text().replace("  staging:\n    version: 1.2.1",
                                                         "  staging:\n    version: 1.4.0"))
