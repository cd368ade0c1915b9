"""``clinigate approve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import repo_option, resolve_repo

if TYPE_CHECKING:
    from ..approvals.backend import Signer
    from ..gitrepo import Git

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
@click.option("--sigstore", "use_sigstore", is_flag=True,
              help="Sign keylessly with Sigstore (an OIDC identity: ambient in GitHub Actions, "
                   "or --identity-token).")
@click.option("--trust-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="ClientTrustConfig JSON of a private Sigstore instance (default: trust.yaml's "
                   "sigstore.signing_config, else public-good).")
@click.option("--identity-token", envvar="SIGSTORE_ID_TOKEN", show_envvar=True, default=None,
              help="An OIDC token for --sigstore (default: detected from the environment).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Your PEM private key (ECDSA, RSA or Ed25519) for offline PKI signing.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Your PEM certificate, issued by a CA listed in policies/trust/trust.yaml.")
@click.option("--chain", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PEM intermediate certificates between your certificate and the root.")
@click.option("--tsa", "tsa_url", default=None, metavar="URL",
              help="An RFC 3161 timestamp authority, so the time is trusted, not claimed "
                   "(default: trust.yaml's pki.tsa_url).")
@click.option("--key-password-env", default=None, metavar="VAR",
              help="Environment variable holding the key's password (never a command-line argument).")
@click.option("--push", "push_remote", default=None, metavar="REMOTE",
              help="Also push the ledger to REMOTE (e.g. origin).")
@repo_option
def approve(path: str, role: str, decision: str, reason: str, meaning: str | None, signer_id: str | None,
            pull_request: int | None, revokes: str | None, change_class: str | None, use_sigstore: bool,
            trust_config: Path | None, identity_token: str | None, key: Path | None, cert: Path | None,
            chain: Path | None, tsa_url: str | None, key_password_env: str | None,
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
    from ..gitrepo import Git

    if use_sigstore == bool(key or cert):
        raise click.UsageError("choose one signing method: --sigstore, or --key with --cert")
    from ..approvals.review import load_trust

    root = resolve_repo(repo)
    git = Git(root)
    request = ActRequest(normalise_document(root, path), role, decision, reason, meaning, signer_id,
                         None, pull_request, revokes, change_class)
    check_request(request)  # before any key, token or TSA is used
    # Defaults come from the registry's trust.yaml: the private Sigstore instance, the hospital TSA.
    trust = load_trust(git, "HEAD")
    if use_sigstore and trust_config is None and trust.sigstore.signing_config:
        trust_config = _signing_config(git, root)
    tsa_url = tsa_url or trust.pki.tsa_url
    signer, email = _signer(use_sigstore, trust_config, identity_token, key, cert, chain, tsa_url,
                            key_password_env)
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


def _signing_config(git: Git, root: Path) -> Path:
    """trust.yaml's sigstore.signing_config, or its finding (trust.signing_config) when it is missing."""
    from ..approvals.review import TrustInvalid, read_trust
    from ..approvals.trust import trust_file

    config = read_trust(git, "HEAD")
    path = trust_file(root, str(config.trust.sigstore.signing_config))
    if not path.is_file():
        from ..approvals.trust_files import directory_reader, read_trust_files

        faults = [f for f in read_trust_files(config.trust, directory_reader(root), locate=config.locate,
                                              sigstore=True).findings if f.rule == "trust.signing_config"]
        raise TrustInvalid("trust.yaml names a Sigstore signing config that is not there", findings=faults,
                           hint="add it, or pass --trust-config")
    return path


def _signer(use_sigstore: bool, trust_config: Path | None, identity_token: str | None, key: Path | None,
            cert: Path | None, chain: Path | None, tsa_url: str | None,
            key_password_env: str | None) -> tuple[Signer, str | None]:
    if use_sigstore:
        from ..approvals.keyless import SigstoreSigner

        config = trust_config.read_text(encoding="utf-8") if trust_config else None
        return SigstoreSigner(config, identity_token), None
    if not (key and cert):
        raise click.UsageError("--key and --cert go together")
    from ..approvals.approve import certificate_email
    from ..approvals.pki import PkiSigner

    password = os.environ.get(key_password_env, "").encode() if key_password_env else None
    cert_pem = cert.read_bytes()
    signer = PkiSigner(key.read_bytes(), cert_pem, chain.read_bytes() if chain else None, tsa_url, password)
    return signer, certificate_email(cert_pem)
