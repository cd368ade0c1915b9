"""``clinigate propose``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import emit, repo_option, resolve_repo


@click.command()
@click.option("--from-mlflow", "from_mlflow", required=True, metavar="URI",
              help="models:/<name>/<version>, models:/<name>@<alias> or runs:/<run_id>/<path>.")
@click.option("--tracking-uri", required=True, envvar="MLFLOW_TRACKING_URI", show_envvar=True,
              help="The MLflow tracking/registry server, e.g. http://127.0.0.1:5000 or sqlite:///mlflow.db.")
@click.option("--model", default=None, metavar="FOLDER",
              help="The folder under models/ (default: the registered model's name).")
@click.option("--version", "version", default=None, metavar="SEMVER",
              help="The new version (default: next minor after the latest manifest, or 1.0.0).")
@click.option("--parent", default=None, metavar="SEMVER",
              help="The version this one derives from (default: the latest manifest).")
@click.option("--submitted-by", default=None, metavar="ID",
              help="Your person id from policies/data/roles.yaml.")
@repo_option
@click.option("--force", is_flag=True, help="Replace an existing manifest file.")
def propose(from_mlflow: str, tracking_uri: str, model: str | None, version: str | None,
            parent: str | None, submitted_by: str | None, repo: Path | None, force: bool) -> None:
    """Draft models/<model>/versions/<version>.yaml from an MLflow model version or run.

    Fills in what MLflow knows: the artifact digest (recomputed from the downloaded files),
    run id, hyperparameters, validation metrics whose names match, logged datasets. Copies
    the model card, monitoring and features from the parent manifest. Everything a person
    must state is a "TODO(clinigate propose): ..." marker, and `clinigate validate` rejects
    the draft until each one is filled in. An existing file is never replaced without --force.

    \b
    Exit codes: 0 draft written · 2 usage (bad URI, unknown model version or run, file
    exists) · 3 environment (MLflow unreachable).

    \b
    Examples:
      clinigate propose --from-mlflow models:/sepsis-ews/16 --tracking-uri http://127.0.0.1:5000
      clinigate propose --from-mlflow models:/sepsis-ews@challenger --tracking-uri http://127.0.0.1:5000
      clinigate propose --from-mlflow runs:/5b5997fd64e971fec90c82df5d3a73bf/model \\
          --model sepsis-ews --submitted-by pnair --tracking-uri "$MLFLOW_TRACKING_URI"
    """
    from ..propose import propose as draft_manifest
    from ..report.propose import PROPOSAL_RENDERERS

    proposal = draft_manifest(repo=resolve_repo(repo), from_uri=from_mlflow, tracking_uri=tracking_uri,
                              model=model, version=version, parent=parent, submitted_by=submitted_by,
                              force=force)
    emit(PROPOSAL_RENDERERS, "text", proposal)
