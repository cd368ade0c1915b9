"""CLI meta-tests: help everywhere, exit codes per DESIGN §9, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from testing.fixtures import CliResult

from clinigate.cli.main import COMMANDS, LazyGroup, cli


def _commands() -> list[click.Command]:
    group = cli
    assert isinstance(group, LazyGroup)
    ctx = click.Context(group)
    return [c for c in (group.get_command(ctx, n) for n in COMMANDS) if c is not None]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_and_option_has_help(name: str) -> None:
    top = next(c for c in _commands() if c.name == name)
    # A group's subcommands too (ledger fetch, github record-reviews, audit at, …).
    commands = [(name, top)] + [(f"{name} {n}", c) for n, c in getattr(top, "commands", {}).items()]
    for label, command in commands:
        assert command.help and len(command.help) > 40, f"{label} has too little help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{label} {param.opts} has no help text"


def test_help_does_not_import_heavy_libraries() -> None:
    code = ("import sys; from clinigate.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = {'mlflow', 'sigstore', 'git', 'jsonschema', 'yaml_rs', 'pydantic', 'rich', 'opa_bindings'}\n"
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_clean_registry_exits_zero(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("validate", cwd=registry)
    assert result.code == 0, result.stdout
    assert result.stdout.startswith("ok: ")


def test_usage_error_exits_two(registry: Path, run_cli: Callable[..., CliResult]) -> None:
    assert run_cli("validate", "--format", "yaml", cwd=registry).code == 2
    missing = run_cli("validate", "models/nope.yaml", cwd=registry)
    assert missing.code == 2 and "no such file" in missing.stderr
    assert run_cli("no-such-command").code == 2


def test_outside_a_repository_exits_three(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("validate", cwd=tmp_path)
    assert result.code == 3
    assert "not inside a Git repository" in result.stderr and "Traceback" not in result.stderr


def test_internal_error_is_a_message_and_debug_shows_the_traceback(
        registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from clinigate.cli import main as main_module
    from clinigate.manifest import validate as validate_module

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("unexpected")

    monkeypatch.setattr(validate_module, "validate_registry", boom)
    monkeypatch.chdir(registry)
    for argv, traceback_expected in ((["validate"], False), (["validate", "--debug"], True)):
        with pytest.raises(SystemExit) as exit_info:
            main_module.main(argv)
        assert exit_info.value.code == 3
        err = capsys.readouterr().err
        assert "internal error: KeyError" in err
        assert ("Traceback" in err) is traceback_expected


@pytest.mark.parametrize("fmt", ["json", "github", "sarif", "junit", "text"])
def test_every_format_runs_on_the_example_registry(
        fmt: str, registry: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("validate", "--format", fmt, cwd=registry)
    assert result.code == 0 and result.stdout
