"""``clinigate rulesets``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo


@click.command()
@repo_option
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if a file in .github/rulesets/ is missing, stale or edited.")
def rulesets(repo: Path | None, check_only: bool) -> None:
    """Write .github/rulesets/*.json: branch protection as code, in GitHub's rulesets API shape.

    main.json protects the default branch (pull request with code-owner review, stale reviews
    dismissed, last push approved by another person, the clinigate/gate check from the gate
    workflow on main, no deletion or force-push, linear history); ledger.json the approval
    ledger ref (no deletion, no rewrite, updates only by the approval workflow's deploy key);
    ledger-tags.json the ledger heads `ledger push` publishes. The repository id comes from
    trust.yaml's pinned CI identity.

    \b
    Apply (repository admin):
      gh api -X POST repos/OWNER/REPO/rulesets --input .github/rulesets/main.json

    \b
    Exit codes: 0 written / up to date · 1 stale (--check) or trust.yaml pins no repository.
    """
    from ..github import rulesets as generator
    from ..report.generated import GENERATED_RENDERERS

    outcome = generator.generate(resolve_repo(repo), check_only=check_only)
    emit(GENERATED_RENDERERS, "text", outcome)
    raise SystemExit(1 if outcome.stale else 0)
