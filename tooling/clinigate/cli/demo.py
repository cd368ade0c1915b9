"""``clinigate demo``."""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path

import click


@click.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to build the demo registry (must be new or empty). "
                   "Default: a new temporary folder, kept afterwards.")
def demo(workdir: Path | None) -> None:
    """Walk through clinigate on a fresh copy of the bundled example registry.

    Copies two example clinical models (a sepsis early-warning model and a 30-day
    readmission model) into WORKDIR as a new Git repository, validates them, then shows a
    manifest with deliberate mistakes being caught and fixed. Everything it does is left
    in WORKDIR for you to explore.
    """
    from .._internal.extras import require
    from ..demo import run_tour

    for module in ("mlflow", "matplotlib", "jinja2"):  # before anything is written
        require(module, "the demo")
    target = workdir or Path(tempfile.mkdtemp(prefix="clinigate-demo-"))
    click.secho(f"clinigate demo in {target}", bold=True)
    ok = True
    for number, step in enumerate(run_tour(target), start=1):
        click.echo()
        click.secho(f"Step {number}. {step.title}", bold=True, fg="cyan")
        click.echo(click.wrap_text(step.explanation, width=88, initial_indent="  ",
                                   subsequent_indent="  "))
        if step.command:
            click.secho(f"  $ {step.command}", fg="yellow")
        if step.output:
            click.echo("\n".join(f"    {line}" for line in step.output.splitlines()))
        if not step.ok:
            ok = False
            click.secho("  (this step did not go as expected)", fg="red")
    click.echo()
    click.secho(f"Done. The registry is a Git repository in {target}", bold=True)
    click.echo(f"  cd {target} && git log --all --oneline && {_this_clinigate()} validate")
    raise SystemExit(0 if ok else 1)


def _this_clinigate() -> str:
    """How to run the clinigate that runs now: its absolute path (a venv's bin/ is often not on
    PATH), else ``python -m clinigate`` with this interpreter."""
    launched = Path(sys.argv[0])
    if launched.name == "clinigate" and launched.exists():
        return shlex.quote(str(launched.resolve()))
    return f"{shlex.quote(sys.executable)} -m clinigate"
