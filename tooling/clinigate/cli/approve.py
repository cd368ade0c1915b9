"""``clinigate approve``.

Size exception: ``approve`` (~55 lines) still assembles the core calls itself; it becomes one core
call with a typed result (issue 16 item 5, pending).
"""

from __future__ import annotations

from pathlib import Path

import click

from .options import repo_option, resolve_repo
from .signing import SigningMethod, signing_options

# Literal, so `approve --help` needs no pydantic; tests/security/test_approve_arguments.py holds them
# equal to the predicate's Role, Decision and Meaning.
ROLES = ("clinical_reviewer", "security_reviewer", "regulatory", "quality", "data_scientist")
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

    PATH is a registry document (a version manifest, model.yaml, pccp.yaml, deployment.yaml) or a
    governance file the change-control table lists (policies/gates.rego, a workflow, tooling/…).
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
    from dataclasses import replace

    from ..approvals.approve import ActRequest, check_request, normalise_document, sign_act
    from ..approvals.review import load_trust
    from ..gitrepo import Git

    root = resolve_repo(repo)
    git = Git(root)
    request = ActRequest(normalise_document(root, path), role, decision, reason, meaning, signer_id,
                         None, pull_request, revokes, change_class)
    check_request(request)  # before any key, token or TSA is used
    # Defaults come from the registry's trust.yaml: the private Sigstore instance, the hospital TSA.
    pki = load_trust(git, "HEAD").pki
    signer, email = signing.signer(git, default_tsa=pki.tsa_url, require_timestamp=pki.require_timestamp)
    act = sign_act(git, replace(request, signer_email=email), signer)
    pred = act.predicate
    click.echo(f"signed: {pred.decision.value} {request.document} as {pred.role.value} by {pred.signer.name} "
               f"({pred.signer.id}); meaning: {pred.meaning.value}")
    where = f"commit {act.commit[:12]}" if act.commit else "it was already there"
    click.echo(f"recorded in the ledger: act {act.act_id} ({where})")
    if push_remote:
        from ..approvals.ledger import Ledger

        Ledger(git).push(push_remote)
        click.echo(f"pushed the ledger to {push_remote}")
    else:
        click.echo("share it with: clinigate ledger push")

