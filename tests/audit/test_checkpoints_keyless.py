"""Keyless checkpoints from the workflows that write them (audit.yml, sync.yml), and only from them.

trust.yaml pins the approval workflow (sigstore.ci.workflow) and lists the checkpoint workflows
(sigstore.ci.checkpoint_workflows). A checkpoint workflow's signature makes a checkpoint count;
it never makes an approval count. Real signatures from a private Sigstore instance on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.approvals import SignedRegistry
from testing.fixtures import git
from testing.keyless import KEYLESS_TRUST, keyless_repo
from testing.local_sigstore import LocalSigstore, local_sigstore  # noqa: F401

from clinigate.approvals.approve import ActRequest, sign_act
from clinigate.approvals.attestation import GitHubReview
from clinigate.approvals.keyless import SigstoreSigner
from clinigate.approvals.review import ApprovalBook

AUDIT = ".github/workflows/audit.yml"
TRUST = KEYLESS_TRUST + f"    checkpoint_workflows: [{AUDIT}, .github/workflows/sync.yml]\n"


@pytest.fixture
def registry(tmp_path: Path, local_sigstore: LocalSigstore) -> Iterator[tuple[SignedRegistry, Path]]:  # noqa: F811
    """main trusts the local Sigstore and lists the checkpoint workflows; branch ``review`` adds a version."""
    with keyless_repo(tmp_path, local_sigstore, TRUST) as (reg, instance):
        config = tmp_path / "trust-config.json"
        config.write_text(instance.client_trust_config_json())
        git(reg.repo, "switch", "-q", "main")
        yield reg, config


def _checkpoint(run_cli, repo: Path, config: Path, token: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("audit", "checkpoint", "--sigstore", "--trust-config", str(config), "--identity-token",
                     token, "--note", "test", "--repo", str(repo))
    assert result.code == 0, result.stdout + result.stderr


def _checkpoint_findings(run_cli, repo: Path) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    result = run_cli("audit", "verify", "--format", "json", "--repo", str(repo))
    assert result.code in (0, 1), result.stderr
    return [f for m in json.loads(result.stdout)["manifests"] for f in m["findings"]
            if f["rule"] in ("checkpoint.invalid", "history.rewritten")]


@pytest.mark.parametrize(("claims", "problem"), [
    ({"workflow": AUDIT, "event_name": "schedule"}, None),
    ({"workflow": ".github/workflows/sync.yml", "event_name": "push"}, None),
    ({"workflow": ".github/workflows/approve.yml"}, None),  # the approval workflow may write one too
    ({"workflow": ".github/workflows/other.yml", "event_name": "schedule"}, "approval.ci_workflow"),
    ({"workflow": AUDIT, "ref": "refs/heads/feature"}, "approval.ci_ref"),
    ({"workflow": AUDIT, "repository_id": "999"}, "approval.ci_repository"),
    ({"workflow": AUDIT, "runner_environment": "self-hosted"}, "approval.ci_runner"),
])
def test_a_keyless_checkpoint_counts_only_from_a_pinned_workflow(
        registry: tuple[SignedRegistry, Path], local_sigstore: LocalSigstore, run_cli,  # type: ignore[no-untyped-def]  # noqa: F811
        claims: dict[str, str], problem: str | None) -> None:
    reg, config = registry
    _checkpoint(run_cli, reg.repo, config, local_sigstore.mint_github_token(**claims))
    found = _checkpoint_findings(run_cli, reg.repo)
    if problem is None:
        assert found == [], found
    else:
        (finding,) = found
        assert finding["rule"] == "checkpoint.invalid" and f"[{problem}]" in finding["message"], finding


def test_the_audit_workflow_signs_checkpoints_but_never_approvals(
        registry: tuple[SignedRegistry, Path], local_sigstore: LocalSigstore, run_cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The same identity, both ways: an approval workflow_dispatch-ed from audit.yml (a trigger the
    approval workflow's pin allows, so the workflow file is what refuses it) and a checkpoint."""
    reg, config = registry
    token = local_sigstore.mint_github_token(workflow=AUDIT, event_name="workflow_dispatch")
    _checkpoint(run_cli, reg.repo, config, token)
    assert _checkpoint_findings(run_cli, reg.repo) == []

    git(reg.repo, "switch", "-q", reg.branch)
    reviewer = reg.person_by_github("jlindqvist-md")
    review = GitHubReview(reviewer_login=reviewer.github, reviewer_id=reviewer.github_id or 1, review_id=77)
    sign_act(reg.git, ActRequest(reg.version_path, "clinical_reviewer", "approved", "reviewed",
                                 signer_id="github:jlindqvist-md", review=review),
             SigstoreSigner(config.read_text(), token))
    with ApprovalBook.open(reg.git, base="main") as book:
        (verdict,) = book.judge(reg.version_path, rev=reg.branch)
    assert verdict.rule == "approval.ci_workflow", verdict.problem
    assert "audit.yml" in (verdict.problem or "")
