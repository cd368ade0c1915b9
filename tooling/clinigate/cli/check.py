"""``clinigate check``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import emit, repo_option, resolve_repo
from .signing import SigningMethod, optional_signing_options

if TYPE_CHECKING:
    from ..policy.decision import GateDecision

CHECK_FORMATS = ("text", "json", "markdown", "github", "sarif", "junit")


@click.command()
@click.option("--base", required=True, help="The revision the change is judged against (e.g. origin/main).")
@click.option("--head", default="HEAD", show_default=True, help="The revision holding the change.")
@repo_option
@click.option("--format", "fmt", type=click.Choice(CHECK_FORMATS), default="text", show_default=True,
              help="text for people, json for tools, markdown for a PR job summary, github for "
                   "annotations, sarif for code scanning, junit for CI dashboards.")
@click.option("--engine", type=click.Choice(("embedded", "opa", "opa-server", "opa-cli")),
              default="embedded", show_default=True,
              help="Rego engine: embedded (regorus, in-process), opa (real OPA in-process, the optional "
                   "clinigate[opa] extra), opa-server (a running OPA at --opa-url), opa-cli (an opa "
                   "binary on PATH).")
@click.option("--opa-url", default=None,
              help="OPA server URL for --engine opa-server, e.g. http://127.0.0.1:8181.")
@click.option("--evidence-tracking-uri", default=None, metavar="URI",
              help="The MLflow server that holds predictions a manifest names as runs:/… artifacts; "
                   "without it such evidence is reported as not recomputed.")
@click.option("--record", is_flag=True,
              help="Sign the gate's evaluation of each changed version (inputs digest, decision, "
                   "findings) and append it to refs/heads/clinigate/evaluations, so a failure stays "
                   "on record after the pull request changes; needs a signing method (--sigstore in "
                   "CI, or --key/--cert of a pki.evaluation_recorders certificate).")
@click.option("--pull-request", "pull_request", type=click.IntRange(min=1), default=None,
              help="With --record: the pull request's number, kept in the record.")
@optional_signing_options
def check(base: str, head: str, repo: Path | None, fmt: str, engine: str, opa_url: str | None,
          evidence_tracking_uri: str | None, record: bool, pull_request: int | None,
          signing: SigningMethod | None) -> None:
    """Gate a change between two revisions, as CI does on every pull request.

    The base revision's rules decide: policies, policy data, trust roots and roles are read from
    its Git objects, never from the work tree, and the change is what GitHub shows for a pull
    request, merge-base(base, head)..head. Governance files (policies/data/change_control.yaml)
    stay pending until their roles signed them; the change's own policies are tested and their
    would-be decision shown, not deciding.

    Validates the changed documents strictly, classifies each new model version under its
    model's PCCP (change class, PCCP status, regulatory action), evaluates the Rego gates and
    lists the approvals each change needs; nobody who wrote the change counts as its approver.

    \b
    Exit codes: 0 pass · 1 a gate denied, approvals are still missing (decision pending), or
    trust.yaml at --base cannot verify approvals · 2 usage · 3 environment (not a git repo,
    unknown revision, engine failure).

    \b
    Examples:
      clinigate check --base origin/main
      clinigate check --base origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from ..gate.check import run_check
    from ..report.check import CHECK_RENDERERS

    if record != (signing is not None):
        raise click.UsageError("--record signs the evaluation: give it with a signing method (--sigstore, "
                               "or --key with --cert), and a signing method only with --record")
    root = resolve_repo(repo)
    report = run_check(root, base=base, head=head, engine_name=engine, opa_url=opa_url,
                       evidence_tracking_uri=evidence_tracking_uri)
    emit(CHECK_RENDERERS, fmt, report)
    if signing is not None:
        _record(root, report, signing, pull_request)
    if not report.manifests and head == "HEAD":
        _note_uncommitted(root)
    raise SystemExit(0 if report.decision == "pass" else 1)


def _record(root: Path, report: GateDecision, signing: SigningMethod, pull_request: int | None) -> None:
    """Sign and keep the evaluation; said on stderr, so --format json stays one document."""
    from ..approvals.review import load_trust
    from ..gate.evaluation import EVALUATIONS_REF, record_evaluations
    from ..gitrepo import Git

    git = Git(root)
    pki = load_trust(git, report.rules_rev).pki
    signer, _ = signing.signer(git, default_tsa=pki.tsa_url, require_timestamp=pki.require_timestamp)
    for written in record_evaluations(git, signer, report, pull_request):
        click.echo(f"recorded: {written.predicate.document} {written.predicate.decision} as evaluation "
                   f"{written.record} on {EVALUATIONS_REF}", err=True)


def _note_uncommitted(root: Path) -> None:
    """check judges commits: say so when the registry's work tree holds changes it did not see."""
    from ..gitrepo import Git

    status = Git(root).run(["status", "--porcelain", "--", "models", "policies"], check=False)
    changed = [line[3:] for line in status.splitlines() if line.strip()]
    if changed:
        click.echo(f"note: {len(changed)} uncommitted change(s) under models/ or policies/ (e.g. "
                   f"{changed[0]}) were not judged: check compares commits (merge-base of --base and "
                   "--head); commit them, then run check again", err=True)
