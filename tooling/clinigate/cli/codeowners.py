"""``clinigate codeowners``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo


@click.command()
@repo_option
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if .github/CODEOWNERS is missing, stale or edited by hand.")
def codeowners(repo: Path | None, check_only: bool) -> None:
    """Write .github/CODEOWNERS from roles.yaml, the models and the change-control table.

    Each models/<model>/ folder is owned by its model.yaml owners and the people holding a role
    its PCCP requires; each governance path of policies/data/change_control.yaml by the people
    holding that row's roles. Handles are checked (GitHub skips an invalid line silently), and
    the rules go general to specific because GitHub applies the last pattern that matches.

    \b
    Exit codes: 0 written / up to date · 1 stale (--check), or an owner roles.yaml does not
    know · 2 usage.

    \b
    Examples:
      clinigate codeowners            # regenerate, then commit .github/CODEOWNERS
      clinigate codeowners --check    # CI: fail when someone forgot, or edited it by hand
    """
    from ..github import codeowners as generator
    from ..report.generated import GENERATED_RENDERERS

    outcome = generator.generate(resolve_repo(repo), check_only=check_only)
    emit(GENERATED_RENDERERS, "text", outcome)
    raise SystemExit(1 if outcome.stale else 0)
