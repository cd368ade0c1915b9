"""A throwaway PostgreSQL cluster on loopback: the backend store hospitals run MLflow on.

The registry conftest imports the fixtures::

    from testing.postgres import PostgresCluster, postgres_cluster, postgres_uri  # noqa: F401

    def test_x(postgres_cluster: PostgresCluster) -> None:
        uri = postgres_cluster.create_database("mlflow_x")  # postgresql+psycopg://clinigate:…@127.0.0.1:…/mlflow_x

One cluster a session: ``initdb`` into a fresh temporary folder, ``pg_ctl start`` on a free
loopback port with its unix socket in that folder too, ``pg_ctl stop`` and the folder removed
at the end. Passwords (SCRAM) over TCP, trust only on the private socket. Binaries: Debian's
``postgresql`` package (``/usr/lib/postgresql/<version>/bin``, newest first), else ``initdb``
on PATH. Without them the tests skip, unless ``CLINIGATE_REQUIRE_POSTGRES=1`` (CI sets it):
then they fail, so CI cannot skip them silently.

PostgreSQL refuses to run as root. Run as root, initdb and pg_ctl (and so the server) run as
the ``postgres`` system user: the child process drops to its uid and gid, with no supplementary
groups (``subprocess``'s ``user``/``group``/``extra_groups``, which need neither ``runuser`` nor a
PAM session), in a folder chowned to it. That folder is made under the system temp folder, not
pytest's basetemp: ``/tmp/pytest-of-root`` is 0700, so ``postgres`` could not even reach it.
As any other user the same commands run unchanged, as that user.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

REQUIRE_ENV = "CLINIGATE_REQUIRE_POSTGRES"
SUPERUSER = "clinigate"  # the cluster's bootstrap superuser, whoever runs it
CLUSTER_OWNER_WHEN_ROOT = "postgres"  # Debian's postgresql-common creates this system user
START_TIMEOUT_SECONDS = 60
_PORT_ATTEMPTS = 5
# A throwaway cluster: nothing here needs to survive a power cut (the fault tests kill MLflow,
# never PostgreSQL), and fsync would slow every commit of every migration.
_SETTINGS = "listen_addresses = '127.0.0.1'\nunix_socket_directories = '{socket}'\nfsync = off\n" \
            "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but PostgreSQL cannot run: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason} (Debian: apt-get install postgresql)")


def _version_key(path: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin/initdb`` -> (15,); unparsable versions sort first."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name)) or (-1,)


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: Debian's newest, else PATH's."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    for initdb in [*debian, *([Path(on_path)] if on_path else [])]:
        if all((initdb.parent / tool).is_file() for tool in ("pg_ctl", "postgres")):
            return initdb.parent
    return None


@dataclass(frozen=True)
class ClusterOwner:
    """Who runs initdb, pg_ctl and the server: ``postgres`` when we are root, else ourselves."""

    uid: int
    gid: int
    name: str

    @classmethod
    def for_this_process(cls) -> ClusterOwner:
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name)
        try:
            entry = pwd.getpwnam(CLUSTER_OWNER_WHEN_ROOT)
        except KeyError:
            _unavailable(f"running as root, PostgreSQL must run as another user and there is no "
                         f"{CLUSTER_OWNER_WHEN_ROOT!r} user")
        return cls(entry.pw_uid, entry.pw_gid, entry.pw_name)

    def run(self, command: Sequence[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool as this owner (dropping root's privileges when we have them)."""
        drop: dict[str, Any] = {}
        if os.geteuid() == 0:
            drop = {"user": self.uid, "group": self.gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        return subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=START_TIMEOUT_SECONDS + 30, check=False, **drop)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running cluster: its folder, its port, and a password-protected superuser."""

    bindir: Path
    base: Path  # data/, socket/, postgres.log
    owner: ClusterOwner
    password: str
    port: int = 0

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    def uri(self, database: str) -> str:
        """The SQLAlchemy URI of ``database`` (psycopg 3; hex password, nothing to escape)."""
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URI."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.uri(name)

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.owner.run([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args], cwd=self.base)


def init_cluster(bindir: Path, owner: ClusterOwner) -> PostgresCluster:
    """``initdb`` a new cluster into a fresh folder owned by ``owner``."""
    base = Path(tempfile.mkdtemp(prefix="clinigate-pg-"))  # short: a unix socket path has ~100 bytes
    cluster = PostgresCluster(bindir, base, owner, secrets.token_hex(16))
    (base / "socket").mkdir()
    pwfile = base / "pwfile"
    pwfile.write_text(cluster.password + "\n")
    try:
        for path in (base, base / "socket", pwfile):
            os.chown(path, owner.uid, owner.gid)
        done = owner.run([str(bindir / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER,
                          f"--pwfile={pwfile}", "--auth-host=scram-sha-256", "--auth-local=trust",
                          "--encoding=UTF8", "--no-locale", "--no-sync"], cwd=base)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed as {owner.name} (exit {done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    pwfile.unlink()
    with open(cluster.data / "postgresql.conf", "a") as conf:  # appended: the file keeps its owner
        conf.write(_SETTINGS.format(socket=base / "socket"))
    return cluster


def start_cluster(cluster: PostgresCluster) -> None:
    """``pg_ctl start`` on a free loopback port, trying another if one was taken meanwhile."""
    for _ in range(_PORT_ATTEMPTS):
        cluster.port = _free_port()
        done = cluster.pg_ctl("-l", str(cluster.log), "-w", "-t", str(START_TIMEOUT_SECONDS),
                              "-o", f"-p {cluster.port}", "start")
        if done.returncode == 0:
            return
        log = cluster.log.read_text(errors="replace") if cluster.log.exists() else ""
        if "could not bind" not in log and "Address already in use" not in log:
            break
    raise RuntimeError(f"pg_ctl start failed as {cluster.owner.name} (exit {done.returncode}):\n"
                       f"{done.stdout}{done.stderr}\n{log[-3000:]}")


def stop_cluster(cluster: PostgresCluster) -> None:
    """``pg_ctl stop`` (fast: disconnect clients) and remove the cluster's folder."""
    try:
        if (cluster.data / "postmaster.pid").exists():
            done = cluster.pg_ctl("-m", "fast", "-w", "stop")
            if done.returncode != 0:
                cluster.pg_ctl("-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(cluster.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster on loopback for the whole session (skips where PostgreSQL is absent)."""
    bindir = find_bindir()
    if bindir is None:
        _unavailable("no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin or on PATH")
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        _unavailable(f"the psycopg driver is not installed ({exc}; pip install 'clinigate[postgres]')")
    cluster = init_cluster(bindir, ClusterOwner.for_this_process())
    try:
        start_cluster(cluster)
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(scope="session")
def postgres_uri(postgres_cluster: PostgresCluster) -> str:
    """The SQLAlchemy URI of an empty database ``mlflow`` on the session cluster."""
    return postgres_cluster.create_database("mlflow")
