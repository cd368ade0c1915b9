"""The `clinigate sync` command line: usage errors, help text, an unreachable server (no server needed)."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner
from testing.mlflow_server import free_port

from clinigate.cli.sync import sync


def test_every_option_has_help() -> None:
    for param in sync.params:
        assert getattr(param, "help", None), param.name
    assert "Examples:" in (sync.help or "")


def test_dry_run_xor_apply(registry: Path, sync_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = sync_cli("--tracking-uri", "http://127.0.0.1:1", "--repo", str(registry))
    assert code == 2 and "exactly one of --dry-run and --apply" in err
    result = CliRunner().invoke(sync, ["--help"])
    assert result.exit_code == 0 and "--lock-timeout" in result.output


def test_server_down_is_exit_3_naming_the_uri(registry: Path, sync_cli) -> None:  # type: ignore[no-untyped-def]
    uri = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    code, out, err = sync_cli("--tracking-uri", uri, "--repo", str(registry), "--dry-run")
    assert code == 3, out + err
    assert uri in err and "internal error" not in err
    assert time.monotonic() - started < 30
