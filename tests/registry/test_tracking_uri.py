"""Every ``--tracking-uri`` mistake is one line and the right exit code, and nothing is created.

Each URI below once ended as "internal error" with MLflow's or SQLAlchemy's traceback text, and
a dry run against a mistyped sqlite path created the folder and a new database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clinigate.tracking.uri import redact, redact_all


@pytest.fixture
def repo(registry: Path) -> Path:
    """testing.fixtures' registry (a committed copy of the bundled one), by this module's name."""
    return registry


CASES = [
    ("bogus://x", 2, "no MLflow registry speaks bogus://"),
    ("sqlite://mlflow.db", 2, "a sqlite URI has three slashes"),
    ("sqlite:/mlflow.db", 2, "a sqlite URI has three slashes"),
    ("mlflow.db", 2, "is not a URI"),
    ("./mlruns", 2, "is not a URI"),
    ("file:///tmp/mlruns", 2, "folder store"),
    ("http://", 2, "names no host"),
    ("sqlite:///no/such/folder/mlflow.db", 3, "a dry run reads; it never creates one"),
    # psycopg 3 (postgresql://'s driver) is in the test extra for the PostgreSQL-backed server; psycopg2 is not.
    ("postgresql+psycopg2://reader:s3cret@127.0.0.1:1/mlflow", 3, "needs the Python database driver psycopg2"),
    # One short connection attempt, not MLflow's ten retries over ~100 s with a warning each.
    ("postgresql://reader:s3cret@127.0.0.1:1/mlflow", 3, "cannot reach the MLflow database at "
                                                         "postgresql://reader:***@127.0.0.1:1/mlflow"),
]


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts}


@pytest.mark.parametrize(("uri", "code", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_one_line_and_creates_nothing(repo: Path, run_cli, uri: str, code: int,
                                                      fragment: str) -> None:
    before = _files(repo)
    result = run_cli("sync", "--tracking-uri", uri, "--dry-run", cwd=repo)
    assert result.code == code, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("clinigate: error: ") and fragment in lines[0], result.stderr
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: "))
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert _files(repo) == before  # no folder, no database, nothing


def test_apply_may_create_a_new_store_but_not_its_folder(repo: Path, run_cli) -> None:
    result = run_cli("sync", "--tracking-uri", "sqlite:///missing/mlflow.db", "--apply", cwd=repo)
    assert result.code == 3 and "the folder missing of the sqlite database does not exist" in result.stderr
    assert not (repo / "missing").exists()


def test_an_unreachable_server_names_it_without_its_password(repo: Path, run_cli) -> None:
    result = run_cli("sync", "--tracking-uri", "http://ops:s3cret@127.0.0.1:9/", "--dry-run", cwd=repo)
    assert result.code == 3, result.stdout + result.stderr
    assert "http://ops:***@127.0.0.1:9/" in result.stderr and "s3cret" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_redaction() -> None:
    assert redact("postgresql://u:pw@db.example:5432/mlflow") == "postgresql://u:***@db.example:5432/mlflow"
    assert redact("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert redact_all("could not connect to postgresql+psycopg://u:pw@db/x (timeout)") == \
        "could not connect to postgresql+psycopg://u:***@db/x (timeout)"


def test_mlflow_logs_stay_quiet_unless_debug(repo: Path, run_cli) -> None:
    """A new store: MLflow announces its schema migration at INFO; clinigate keeps it off stderr."""
    quiet = run_cli("sync", "--tracking-uri", "sqlite:///quiet.db", "--apply", cwd=repo)
    assert quiet.code == 1 and "REFUSED" in quiet.stdout, quiet.stdout + quiet.stderr  # nothing registered yet
    assert "INFO" not in quiet.stdout + quiet.stderr
    loud = run_cli("--debug", "sync", "--tracking-uri", "sqlite:///loud.db", "--apply", cwd=repo)
    assert "INFO mlflow" in loud.stderr
