"""Trust configuration (``policies/trust/trust.yaml``): which roots and identities may sign.

It is a governance file: a PR that edits it needs its own code owners and the gate reports it
(DESIGN §12). Files it names are paths relative to ``policies/trust/``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from .. import layout
from .values import Email, Sha256, ShortText, StrictModel, Text

TRUST_DIR = layout.TRUST_DIR
TRUST_PATH = layout.TRUST_PATH

RelPath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", max_length=200)]


def _no_dots(path: str) -> str:
    if any(part in {".", ".."} for part in PurePosixPath(path).parts):
        raise ValueError(f"{path!r} must stay inside policies/trust/ (no '.' or '..' parts)")
    return path


class RevokedCertificate(StrictModel):
    """A key known to be compromised: approvals it signed are invalid, whatever their time."""

    certificate_sha256: Sha256
    revoked_on: date
    reason: Text


class PkiTrust(StrictModel):
    roots: list[RelPath] = Field(default_factory=list, description="PEM CA certificates (roots)")
    intermediates: list[RelPath] = Field(default_factory=list)
    tsa_roots: list[RelPath] = Field(default_factory=list, description="PEM roots of trusted RFC 3161 TSAs")
    tsa_url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=300)] | None = None
    # Part 11 wants the time of each signing: a reviewer's clock proves nothing, so a PKI approval
    # without an RFC 3161 token counts only where the registry says, here, that it has no TSA.
    require_timestamp: bool = Field(
        True, description="PKI approvals need an RFC 3161 timestamp from a TSA under tsa_roots; false "
                          "accepts approvals without one, their time then only claimed")
    revoked: list[RevokedCertificate] = Field(default_factory=list)
    # Where the gate runs without GitHub's OIDC identity (an air-gapped site, the tests): the
    # certificates (SAN e-mail) whose signed gate evaluations count as the gate's record
    # (gate/evaluation.py). They vouch for evaluation records only, never for an approval.
    evaluation_recorders: list[Email] = Field(
        default_factory=list, description="SAN e-mails of PKI certificates that may sign the gate's "
        "evaluation records (check --record); never approvals")

    @field_validator("roots", "intermediates", "tsa_roots")
    @classmethod
    def _inside(cls, paths: list[str]) -> list[str]:
        return [_no_dots(p) for p in paths]


WorkflowFile = Annotated[str, StringConstraints(pattern=r"^\.github/workflows/[A-Za-z0-9._-]+\.ya?ml$")]


class CiIdentity(StrictModel):
    """The one CI workflow allowed to sign on reviewers' behalf (Fulcio GitHub extensions), and the
    workflows of the same repository allowed to sign audit checkpoints."""

    issuer: ShortText = "https://token.actions.githubusercontent.com"
    repository: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    repository_id: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
    owner_id: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
    workflow: WorkflowFile
    ref: ShortText = "refs/heads/main"
    triggers: list[ShortText] = Field(default_factory=lambda: ["workflow_run", "workflow_dispatch"])
    runner: Literal["github-hosted", "self-hosted"] = "github-hosted"
    server: ShortText = "https://github.com"
    # The GitHub App the approval workflow posts the clinigate/gate status as. Any workflow's
    # GITHUB_TOKEN (a pull request's own, too) posts as the GitHub Actions app, so the ruleset
    # accepts the gate only from this App (.github/rulesets/main.json, integration_id).
    status_app_id: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")] | None = Field(
        None, description="numeric id of the GitHub App that posts the clinigate/gate status")
    # Workflows of the same repository that may sign audit checkpoints (audit.yml on its
    # schedule, sync.yml after an apply), never approvals: they run on a schedule or a push,
    # not on a review, and assert no reviewer. Pinned like `workflow` (issuer, repository and
    # owner ids, ref, runner) except the trigger, which the governed workflow file declares.
    checkpoint_workflows: list[WorkflowFile] = Field(
        default_factory=list, description="workflows of this repository whose keyless signature a "
                                          "checkpoint may carry (never an approval)")

    @property
    def san(self) -> str:
        return self.san_of(self.workflow)

    def san_of(self, workflow: str) -> str:
        """The certificate identity (Fulcio's Build Signer URI) of ``workflow`` run at ``ref``."""
        return f"{self.server}/{self.repository}/{workflow}@{self.ref}"

    @property
    def checkpoint_sans(self) -> list[str]:
        return [self.san_of(w) for w in self.checkpoint_workflows if w != self.workflow]


class SigstoreTrust(StrictModel):
    trusted_root: RelPath | Literal["public-good"] = Field(
        "public-good", description="a trusted_root.json under policies/trust/, or the public-good root"
    )
    signing_config: RelPath | None = Field(None, description="ClientTrustConfig JSON for signing (private)")
    person_issuers: list[ShortText] = Field(
        default_factory=list, description="OIDC issuers accepted for reviewers signing as themselves"
    )
    ci: CiIdentity | None = None
    revoked: list[RevokedCertificate] = Field(default_factory=list)


class Trust(StrictModel):
    api_version: Literal["clinigate/v1"] = Field(alias="apiVersion")
    kind: Literal["Trust"]
    require_signed_approvals: bool = Field(
        True, description="sync deploys and check passes only with valid signed approvals"
    )
    pki: PkiTrust = Field(default_factory=PkiTrust)
    sigstore: SigstoreTrust = Field(default_factory=SigstoreTrust)
    misuse_threshold: Annotated[int, Field(ge=1, le=1000)] = Field(
        3, description="invalid signature attempts on one document that `verify` reports as a "
                       "misuse event (21 CFR 11.300(d))")

    def revoked(self) -> dict[str, RevokedCertificate]:
        return {r.certificate_sha256: r for r in (*self.pki.revoked, *self.sigstore.revoked)}


def trust_file(repo_root: Path, relative: str) -> Path:
    """A file named by trust.yaml, resolved and refused if it leaves policies/trust/."""
    base = (repo_root / TRUST_DIR).resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise ValueError(f"{relative} resolves outside {TRUST_DIR}/")
    return path
