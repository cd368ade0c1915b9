"""The ``--tracking-uri`` a sync talks to, judged before MLflow is imported.

MLflow's own answers to a mistyped URI are a traceback from SQLAlchemy, a missing-module error,
or — worst — a new empty database created in a new folder by a dry run. Here each is a one-line
error: exit 2 when the URI is malformed, exit 3 when it is well formed but unusable here (the
database a dry run would read does not exist, a driver is not installed). Credentials in a URI
are never printed (``redact``).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import EnvironmentProblem, UsageError

# SQLAlchemy dialect+driver → (module to import, what to pip install). The bare dialect uses
# SQLAlchemy 2.1's default driver.
DRIVERS = {
    "postgresql": ("psycopg", "psycopg[binary]"), "postgresql+psycopg": ("psycopg", "psycopg[binary]"),
    "postgresql+psycopg2": ("psycopg2", "psycopg2-binary"), "mysql": ("MySQLdb", "mysqlclient"),
    "mysql+mysqldb": ("MySQLdb", "mysqlclient"), "mysql+pymysql": ("pymysql", "PyMySQL"),
    "mssql": ("pyodbc", "pyodbc"), "mssql+pyodbc": ("pyodbc", "pyodbc"),
    "mssql+pymssql": ("pymssql", "pymssql"),
}
SQLITE_FORMS = "sqlite:///mlflow.db (relative) or sqlite:////srv/mlflow/mlflow.db (absolute)"
CONNECT_TIMEOUT_SECONDS = 5
SERVED = ("http", "https", "databricks", "databricks-uc", "uc")
FORMS = ("http(s)://HOST:PORT (a tracking server), sqlite:///PATH (a database file; four slashes for an "
         "absolute path), postgresql://…, mysql://…, mssql://… (a database), or databricks")


class TrackingUriInvalid(UsageError):
    """The URI is malformed: no sync can use it."""


@dataclass(frozen=True)
class TrackingUri:
    uri: str
    scheme: str
    database: Path | None = None  # sqlite: the file

    @property
    def shown(self) -> str:
        return redact(self.uri)


def redact(uri: str) -> str:
    """``uri`` with any password in it replaced by ``***`` (user names stay: they say who)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


_CREDENTIALS = re.compile(r"(://[^/:@\s]*):[^@/\s]*@")


def redact_all(text: str) -> str:
    """Every ``scheme://user:password@`` in ``text`` (an error message quoting a URI) redacted."""
    return _CREDENTIALS.sub(r"\1:***@", text)


def check_tracking_uri(uri: str, *, creates: bool) -> TrackingUri:
    """The URI, judged; ``creates``: the sync may write (``--apply``), so a new sqlite file is fine."""
    scheme = urlsplit(uri).scheme.lower() if "://" in uri or uri.startswith("sqlite:") else ""
    if not scheme:
        raise TrackingUriInvalid(f"--tracking-uri {redact(uri)!r} is not a URI", hint=_path_hint(uri))
    if scheme in SERVED:
        if scheme.startswith("http") and not urlsplit(uri).hostname:
            raise TrackingUriInvalid(f"--tracking-uri {redact(uri)!r} names no host", hint=f"use {FORMS}")
        return TrackingUri(uri, scheme)
    if scheme == "sqlite":
        return _sqlite(uri, creates=creates)
    if scheme in DRIVERS:
        module, package = DRIVERS[scheme]
        if importlib.util.find_spec(module) is None:
            raise EnvironmentProblem(f"{scheme} needs the Python database driver {module}, which is not "
                                     "installed", hint=f"pip install '{package}' into clinigate's venv")
        if module == "psycopg":
            _reach_postgres(uri)
        return TrackingUri(uri, scheme)
    if scheme == "file":
        raise TrackingUriInvalid("MLflow 3 keeps its folder store (file:, ./mlruns) in maintenance mode, "
                                 "without a model registry clinigate can sync", hint=f"use {FORMS}")
    raise TrackingUriInvalid(f"--tracking-uri {redact(uri)!r}: no MLflow registry speaks {scheme}://",
                             hint=f"use {FORMS}")


def _reach_postgres(uri: str) -> None:
    """One connection attempt with a short timeout: MLflow itself retries an unreachable database
    ten times over ~100 s, printing a warning each time, before it fails."""
    import psycopg

    conninfo = re.sub(r"^postgresql\+psycopg://", "postgresql://", uri)
    try:
        psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
    except psycopg.Error as exc:
        first = redact_all(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        raise EnvironmentProblem(f"cannot reach the MLflow database at {redact(uri)}: {first}",
                                 hint="check the host, port, database name and credentials") from None


def _sqlite(uri: str, *, creates: bool) -> TrackingUri:
    if not uri.startswith("sqlite:///"):
        raise TrackingUriInvalid(f"--tracking-uri {uri!r}: a sqlite URI has three slashes before a relative "
                                 "path", hint=SQLITE_FORMS)
    database = Path(uri[len("sqlite:///"):])
    if str(database) in ("", ":memory:"):
        raise TrackingUriInvalid("--tracking-uri names no sqlite database file", hint="sqlite:///mlflow.db")
    if not creates and not database.is_file():
        raise EnvironmentProblem(f"there is no MLflow database at {database} (a dry run reads; it never "
                                 "creates one)", hint="check the path; `sync --apply` creates a new store")
    if creates and not database.parent.is_dir():
        raise EnvironmentProblem(f"the folder {database.parent} of the sqlite database does not exist",
                                 hint="create it, or correct the path")
    return TrackingUri(uri, "sqlite", database)


def _path_hint(text: str) -> str:
    if text.endswith((".db", ".sqlite", ".sqlite3")):
        return f"a database file is sqlite:///{text} (relative) or sqlite:////ABSOLUTE/PATH"
    return f"use {FORMS}"
