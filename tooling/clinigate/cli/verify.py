"""``clinigate verify``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--rev", default="HEAD", show_default=True,
              help="The revision whose trust.yaml and roles.yaml judge the signatures.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for people, json for tools.")
@repo_option
def verify(paths: tuple[str, ...], rev: str, fmt: str, repo: Path | None) -> None:
    """List and verify every signed act on PATHS (default: every document in the ledger).

    For each signature: the signer's printed name, the UTC times (the trusted one from the
    Sigstore log or an RFC 3161 timestamp, and the one the signer claims), the meaning of the
    signature, the role, the decision and the reason; then valid, or invalid with the rule
    that failed (tampered bytes, replay onto another version or model, stale digest,
    self-approval, role not held at --rev, revoked, untrusted root, wrong CI identity, ...).
    The ledger's own history is checked too: entries are only ever added, and each file on
    it must be one act's bundle under its act id (a gitlink, symlink, oversized or unreadable
    file is reported once, with its own rule, and never hides the other entries).

    \b
    Exit codes: 0 every signature valid · 1 an invalid signature, a rewritten ledger, or a
    fault in trust.yaml at --rev (each listed with its line) · 2 usage · 3 environment.

    \b
    Examples:
      clinigate verify models/sepsis-ews/versions/1.3.0.yaml
      clinigate ledger fetch && clinigate verify --format json
    """
    from ..approvals.command import verify_paths
    from ..report.approvals import VERIFY_RENDERERS

    report = verify_paths(root=resolve_repo(repo), paths=paths, rev=rev)
    emit(VERIFY_RENDERERS, fmt, report)
    raise SystemExit(0 if report.valid else 1)
