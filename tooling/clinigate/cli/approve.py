"""``clinigate approve``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo
from .signing import SigningMethod, signing_options

# Literal, so `approve --help` needs no pydantic; tests/security/test_approve_arguments.py holds them
# equal to the predicate's Role, Decision and Meaning.
ROLES = ("clinical_reviewer", "ml_reviewer", "security_reviewer", "regulatory", "quality", "data_scientist")
DECISIONS = ("approved", "rejected", "revoked")
MEANINGS = ("review", "approval", "responsibility", "authorship")


@click.command()
@click.argument("path")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The role you sign in.")
@click.option("--decision", required=True, type=click.Choice(DECISIONS),
              help="approved or rejected; revoked withdraws an earlier act (with --revokes).")
@click.option("--reason", required=True, help="Why (not empty, at most 2,000 characters): shown with your "
                                               "printed name on every verification.")
@click.option("--meaning", type=click.Choice(MEANINGS),
              default=None, help="What the signature means (21 CFR 11.50). Default: approval for approved, "
                                 "review for rejected, responsibility for revoked.")
@click.option("--as", "signer_id", default=None, metavar="PERSON",
              help="Your person id in roles.yaml, or github:LOGIN (default: the person whose e-mail your "
                   "certificate names).")
@click.option("--pr", "pull_request", type=int, default=None,
              help="The pull request number under review (1 or more).")
@click.option("--revokes", default=None, metavar="ACT_ID",
              help="The act to revoke: its act id, the sha256 of its signed statement (the act_id "
                   "in `verify --format json`, or `ledger list`).")
@click.option("--change-class", default=None,
              help="The change class `check` computed (recorded, not trusted).")
@signing_options
@click.option("--push", "push_remote", default=None, metavar="REMOTE",
              help="Also push the ledger to REMOTE (e.g. origin).")
@repo_option
def approve(path: str, role: str, decision: str, reason: str, meaning: str | None, signer_id: str | None,
            pull_request: int | None, revokes: str | None, change_class: str | None, signing: SigningMethod,
            push_remote: str | None, repo: Path | None) -> None:
    """Sign an approval act over a committed document and record it in the ledger.

    PATH is a registry document (a version manifest, model.yaml, pccp.yaml, deployment.yaml, risk.yaml,
    a waiver under waivers/) or a governance file the change-control table lists (policies/gates.rego,
    a workflow, tooling/…).
    The act (an in-toto statement in a DSSE envelope, stored as a Sigstore bundle) binds the
    sha256 of PATH's committed bytes, the model artifact digest, your role, decision, reason,
    printed name and the meaning of your signature. It is appended to the ledger ref
    (refs/heads/clinigate/ledger), never to your branch, so recording it dismisses no review.
    A later commit that changes PATH makes the act stale: sign again.

    \b
    Exit codes: 0 signed and recorded · 1 trust.yaml names a signing config that is not there
    · 2 usage (an empty or overlong reason, --pr below 1, --revokes not an act id on the ledger, not
    committed, not your role, your own submission, no signing method) · 3 environment
    (signing service or TSA unreachable).

    \b
    Examples:
      clinigate approve models/sepsis-ews/versions/1.3.0.yaml --role clinical_reviewer \\
          --decision approved --reason "Subgroup AUCs reviewed" --key me.key.pem --cert me.cert.pem
      clinigate approve models/sepsis-ews/deployment.yaml --role quality --decision approved \\
          --reason "Release record QR-114" --sigstore --as mokafor
      clinigate approve policies/gates.rego --role regulatory --decision approved \\
          --reason "Tighter subgroup gap, CR-31" --key me.key.pem --cert me.cert.pem
    """
    from ..approvals.command import approve_document
    from ..report.approvals import APPROVE_RENDERERS

    outcome = approve_document(root=resolve_repo(repo), path=path, role=role, decision=decision,
                               reason=reason, meaning=meaning, signer_id=signer_id, pull_request=pull_request,
                               revokes=revokes, change_class=change_class, signing=signing,
                               push_remote=push_remote)
    emit(APPROVE_RENDERERS, "text", outcome)
    if outcome.push_failed is not None:
        raise outcome.push_failed

