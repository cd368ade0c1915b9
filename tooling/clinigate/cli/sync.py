"""``clinigate sync``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import emit, repo_option, resolve_repo

if TYPE_CHECKING:
    from ..registry.run import SyncOutcome

SYNC_FORMATS = ("text", "json", "markdown")  # kept here so --help needs no registry import


@click.command()
@click.option("--tracking-uri", required=True, envvar="MLFLOW_TRACKING_URI", show_envvar=True,
              help="The MLflow tracking/registry server, e.g. http://127.0.0.1:5000 or sqlite:///mlflow.db.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing (exit 0 in sync, 1 drift).")
@click.option("--apply", "do_apply", is_flag=True, help="Execute the plan under the sync lock.")
@click.option("--rev", default=None,
              help="The revision holding the desired state (default: the tip of --branch). It must lie "
                   "on the deployment branch's first-parent history: a commit of another branch never "
                   "passed the gate on its own (exit 2).")
@click.option("--branch", default="main", show_default=True, envvar="CLINIGATE_DEPLOYMENT_BRANCH",
              show_envvar=True, help="The deployment branch: origin/<branch> when it exists, else the "
                                     "local branch.")
@click.option("--drift", type=click.Choice(("repair", "warn")), default="repair", show_default=True,
              help="An alias moved by hand: repair moves it back (an audit event), warn only reports it.")
@click.option("--prune", is_flag=True,
              help="Remove environment aliases deployment.yaml no longer lists "
                   "(refused when nothing is desired).")
@click.option("--legacy-stages", is_flag=True,
              help="Also move versions to the deprecated MLflow stages Production/Staging.")
@click.option("--model", default=None, help="Limit the sync to one model (folder name or registered model).")
@click.option("--format", "fmt", type=click.Choice(SYNC_FORMATS), default="text", show_default=True,
              help="text for people, json for tools, markdown for a job summary.")
@repo_option
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds to wait for another sync's lock before giving up (exit 3).")
def sync(tracking_uri: str, dry_run: bool, do_apply: bool, rev: str | None, branch: str, drift: str,
         prune: bool, legacy_stages: bool, model: str | None, fmt: str, repo: Path | None,
         lock_timeout: float) -> None:
    """Make the MLflow registry follow Git: environment aliases and version tags.

    Desired state: each models/<m>/deployment.yaml on --rev (a commit on the deployment
    branch's first-parent history), naming an approved version per
    environment. Actual state: the MLflow aliases production, staging and shadow. Only drift
    is acted on; a second run is a no-op. production moves only after the artifact digest
    recomputed from MLflow's copy matches the manifest.

    \b
    Exit codes: 0 in sync (dry run) / everything desired in place (apply) · 1 drift, or
    something refused or only warned, or trust.yaml at --rev cannot verify approvals (MLflow
    untouched) · 2 usage (incl. --prune with an empty desired state)
    · 3 environment (MLflow unreachable, lock held, not a git repo).

    \b
    Examples:
      clinigate sync --tracking-uri http://127.0.0.1:5000 --dry-run
      clinigate sync --tracking-uri http://127.0.0.1:5000 --apply
      clinigate sync --tracking-uri sqlite:///mlflow.db --apply --prune --model sepsis-ews
      clinigate sync --tracking-uri "$MLFLOW_TRACKING_URI" --dry-run --drift warn --format json
    """
    if dry_run == do_apply:
        raise click.UsageError("pass exactly one of --dry-run and --apply")
    from ..registry.run import UnknownModel, sync_registry
    from ..report.sync import SYNC_RENDERERS

    try:
        outcome = sync_registry(root=resolve_repo(repo), tracking_uri=tracking_uri, apply=do_apply, rev=rev,
                                branch=branch, drift="warn" if drift == "warn" else "repair", prune=prune,
                                legacy_stages=legacy_stages, model=model, lock_timeout=lock_timeout)
    except UnknownModel as exc:  # an option's value: said as click says every usage error
        raise click.UsageError(exc.message) from None
    emit(SYNC_RENDERERS, fmt, outcome)
    raise SystemExit(_exit_code(outcome))


def _exit_code(outcome: SyncOutcome) -> int:
    """2 blocked; a dry run 0 in sync, 1 drift; an apply 1 when anything was refused or only warned."""
    plan = outcome.plan
    if plan.blocked:
        return 2
    if not outcome.applied:
        return 0 if plan.in_sync else 1
    return 1 if plan.refusals or plan.drifts else 0
