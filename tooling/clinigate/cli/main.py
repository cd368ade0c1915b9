"""Entry point. Commands are imported only when run, so ``clinigate --help`` starts fast."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from .. import __version__
from ..errors import ClinigateError

# name -> (module, attribute, one-line help shown in `clinigate --help`)
COMMANDS = {
    "validate": ("clinigate.cli.validate", "validate",
                 "Check manifests: strict YAML, schema, cross-references."),
    "check": ("clinigate.cli.check", "check",
              "Gate a change: classify it under the PCCP and evaluate the Rego policies."),
    "policy": ("clinigate.cli.policy", "policy", "Test, lint and cross-check the Rego policies."),
    "propose": ("clinigate.cli.propose", "propose",
                "Draft a version manifest from an MLflow model version or run."),
    "evaluate": ("clinigate.cli.evaluate", "evaluate",
                 "Compute a version's metrics with 95% intervals from its predictions file."),
    "monitor": ("clinigate.cli.monitor", "monitor",
                "Compare production predictions with the validated baseline; write a MonitoringReport."),
    "approve": ("clinigate.cli.approve", "approve",
                "Sign an approval of a committed document and record it in the ledger."),
    "verify": ("clinigate.cli.verify", "verify",
               "List and verify every signed approval: who, when, meaning, valid or why not."),
    "audit": ("clinigate.cli.audit", "audit",
              "Ask the history: what ran when, who approved it, on what evidence."),
    "ledger": ("clinigate.cli.ledger", "ledger",
               "Fetch and push the approval ledger (refs/heads/clinigate/ledger)."),
    "sync": ("clinigate.cli.sync", "sync", "Make MLflow follow Git: environment aliases and version tags."),
    "schema": ("clinigate.cli.schema", "schema", "Write or check the JSON Schemas in schemas/."),
    "codeowners": ("clinigate.cli.codeowners", "codeowners",
                   "Write or check .github/CODEOWNERS from roles.yaml, the models and governance paths."),
    "rulesets": ("clinigate.cli.rulesets", "rulesets",
                 "Write or check .github/rulesets/*.json: branch and ledger protection as code."),
    "github": ("clinigate.cli.github", "github",
               "The approval workflow: GitHub reviews become signed approvals; post the gate status."),
    "demo": ("clinigate.cli.demo", "demo", "A guided tour on a copy of the bundled example registry."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, _, text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clinigate")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for unexpected errors.")
def cli(debug: bool) -> None:
    """clinigate: a Git repository as the governed model registry for clinical AI.

    Every model version is a YAML manifest under models/<model>/versions/. clinigate checks
    those manifests strictly, gates changes under the model's PCCP, records signed approvals
    and keeps MLflow following what is merged.

    \b
    Exit codes: 0 pass · 1 findings · 2 usage error · 3 environment error.
    Start with:  clinigate demo
    """


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    # --debug is honoured anywhere on the line, so it also works after a subcommand.
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    with _debug_environment(debug):
        code = _run(args, debug)
    sys.exit(code if isinstance(code, int) else 0)


@contextmanager
def _debug_environment(debug: bool) -> Iterator[None]:
    """CLINIGATE_DEBUG=1 for the command (libraries' own logs too, registry/actual.py); restored
    after, so main() called in process (tests, embedding) leaves no --debug behind."""
    previous = os.environ.get("CLINIGATE_DEBUG")
    if debug:
        os.environ["CLINIGATE_DEBUG"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CLINIGATE_DEBUG", None)
        else:
            os.environ["CLINIGATE_DEBUG"] = previous


def _run(args: list[str], debug: bool) -> object:
    try:
        code: object = cli.main(args=args, prog_name="clinigate", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except ClinigateError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"clinigate: error: {exc.message}", err=True)
        for line in _finding_lines(exc):
            click.echo(f"  {line}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        code = exc.exit_code
    except Exception as exc:  # the one place an unexpected error becomes a message
        if debug:
            traceback.print_exc()
        click.echo(f"clinigate: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("hint: re-run with --debug for the traceback, and report it", err=True)
        code = 3
    return code


def _finding_lines(exc: ClinigateError) -> list[str]:
    """One line per finding the error carries, as `validate` prints them (file:line: [rule] ...)."""
    if not exc.findings:
        return []
    from ..report.text import finding_line

    return [finding_line(f, severity=False) for f in exc.findings]

