"""Benchmark ``clinigate sync --dry-run`` against a local ``mlflow server`` with no drift.

    python benchmarks/bench_sync.py [--models 1000] [--runs 3] [--versions 3,9]

What it does, per run of the script:

1. Builds a synthetic Git registry with ``benchmarks/generate.py`` (M models, 3 versions each:
   production -> version 1, staging -> 2, shadow -> 3) and points every manifest's
   ``artifact.sha256`` at the digest of one tiny shared artifact folder (sync checks the digest
   before it moves ``production``).
2. Registers the M registered models with the first version count (default 3) straight into
   the SQLite store with ``MlflowClient(tracking_uri="sqlite:///...")`` while no server runs
   (in-process SQLAlchemy: ~10x faster than REST, and the server's REST handler refuses local
   ``source`` paths). Every version's ``source`` is the shared folder.
3. Starts ``mlflow server`` (SQLite backend, loopback, one worker) with its stdout/stderr -
   where uvicorn, MLflow 3.17's default server, writes one access-log line per request -
   captured to a file.
4. Runs ``clinigate sync --apply`` once to get in sync, then times ``clinigate sync --dry-run``
   ``--runs`` times (a fresh process each, as CI runs it) and counts the access-log lines each
   dry run added; one more process times the two halves of a dry run apart (reading the desired
   state from Git, reading MLflow), so a regression shows where it lives.
5. Stops the server, adds versions up to the second count (default 9) to every model, restarts,
   and measures again: with the same models and desired state the request count must not change.

Prints a Markdown table. Target (DESIGN §11): ≤ 30 s for 1,000 models with no drift, O(models)
requests.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tooling"))

import generate  # noqa: E402

PHASES = """
import sys, time
from pathlib import Path
from clinigate.gitrepo import Git
from clinigate.registry.actual import MlflowRegistry
from clinigate.registry.desired import read_desired
from clinigate.registry.plan import read_actual
started = time.perf_counter()
desired = read_desired(Git(Path(sys.argv[2])), rev="main")
read = time.perf_counter()
read_actual(desired, MlflowRegistry(sys.argv[1]))
print(f"{read - started:.2f} {time.perf_counter() - read:.2f}")
"""
REQUEST = re.compile(r'"(GET|POST|PATCH|PUT|DELETE) (\S+) HTTP/[\d.]+"')
ARTIFACT = re.compile(r"(artifact:\n  uri: \S+\n  sha256: )[0-9a-f]{64}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env=generate.clean_git_env())


def build_registry(root: Path, models: int, digest: str) -> Path:
    repo = root / "registry"
    generate.generate(repo, models=models, versions=3)
    for manifest in (repo / "models").glob("*/versions/*.yaml"):
        text = manifest.read_text()
        new, count = ARTIFACT.subn(lambda m: m.group(1) + digest, text)
        assert count == 1, manifest
        manifest.write_text(new)
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "--amend", "--no-edit")
    return repo


def register(db: Path, names: list[str], upto: int, source: str) -> float:
    """Give every registered model versions 1..upto (creating what is missing); return seconds."""
    from mlflow import MlflowClient

    started = time.perf_counter()
    client = MlflowClient(tracking_uri=f"sqlite:///{db}", registry_uri=f"sqlite:///{db}")
    for name in names:
        try:
            have = len(client.search_model_versions(f"name='{name}'"))
        except Exception:
            have = 0
        if have == 0:
            try:
                client.create_registered_model(name)
            except Exception as exc:
                if getattr(exc, "error_code", None) != "RESOURCE_ALREADY_EXISTS":
                    raise
        for _ in range(have, upto):
            client.create_model_version(name, source=source)
    return time.perf_counter() - started


class Server:
    def __init__(self, root: Path, db: Path, workers: int = 4) -> None:
        self.root, self.db, self.workers = root, db, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        env = {**os.environ, "HOME": str(self.root), "MLFLOW_TRACKING_URI": ""}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{self.db}",
             "--default-artifact-root", str(self.root / "artifacts"), "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def requests(self) -> list[tuple[str, str]]:
        return REQUEST.findall(self.log_path.read_text(errors="replace"))


def clinigate(server: Server, repo: Path, *args: str) -> tuple[int, float, str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": ""}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "clinigate", "sync", "--tracking-uri", server.url,
                           "--repo", str(repo), *args], capture_output=True, text=True, env=env)
    return done.returncode, time.perf_counter() - started, done.stdout[-2000:] + done.stderr[-2000:]


def phases(server: Server, repo: Path) -> tuple[float, float]:
    """Seconds spent reading Git (desired state) and reading MLflow (actual state), in one process."""
    done = subprocess.run([sys.executable, "-c", PHASES, server.url, str(repo)], capture_output=True,
                          text=True, env={**os.environ, "MLFLOW_TRACKING_URI": ""}, check=True)
    git_s, mlflow_s = done.stdout.split()
    return float(git_s), float(mlflow_s)


def measure(server: Server, repo: Path, runs: int) -> dict[str, object]:
    walls, counts, kinds = [], [], {}
    for _ in range(runs):
        time.sleep(0.5)  # let the last access-log lines of the previous process land
        before = len(server.requests())
        code, wall, out = clinigate(server, repo, "--dry-run")
        time.sleep(0.5)
        added = server.requests()[before:]
        if code != 0:
            raise SystemExit(f"dry run exited {code} (expected 0, in sync):\n{out}")
        walls.append(wall)
        counts.append(len(added))
        kinds = {}
        for method, path in added:
            key = f"{method} {path.split('?')[0]}"
            kinds[key] = kinds.get(key, 0) + 1
    return {"walls": walls, "counts": counts, "kinds": kinds, "phases": phases(server, repo)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server-workers", type=int, default=4,
                        help="mlflow server worker processes (default 4, MLflow's own default)")
    parser.add_argument("--versions", default="3,9",
                        help="MLflow versions per model for the two rounds (each ≥ 3), default 3,9")
    parser.add_argument("--apply-via", choices=("server", "sqlite"), default="server",
                        help="get in sync with one --apply through the server (default) or straight on "
                             "the SQLite store before the server starts (much faster at 1,000 models)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    rounds = [int(v) for v in args.versions.split(",")]
    if any(v < 3 for v in rounds) or rounds != sorted(rounds):
        parser.error("--versions: increasing counts, each ≥ 3 (deployment.yaml names versions 1-3)")

    from clinigate.registry.digest import artifact_digest

    root = Path(tempfile.mkdtemp(prefix="clinigate-bench-sync-"))
    shared = root / "shared-artifact"
    (shared / "sub").mkdir(parents=True)
    (shared / "MLmodel").write_text("flavors: {}\n")
    (shared / "model.pkl").write_bytes(b"\x80\x04N.")
    (shared / "sub" / "features.json").write_text('["a", "b"]\n')
    digest = artifact_digest(shared)
    db = root / "mlflow.db"

    t = time.perf_counter()
    repo = build_registry(root, args.models, digest)
    names = sorted(p.name for p in (repo / "models").iterdir() if p.is_dir())
    print(f"# registry: {len(names)} models in {time.perf_counter() - t:.1f} s ({root})", file=sys.stderr)

    server = Server(root, db, args.server_workers)
    results = []
    try:
        for n, versions in enumerate(rounds):
            secs = register(db, names, versions, str(shared))
            print(f"# registered {versions} versions x {len(names)} models in {secs:.1f} s", file=sys.stderr)
            if n == 0 and args.apply_via == "sqlite":
                t = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "clinigate", "sync", "--tracking-uri",
                                       f"sqlite:///{db}", "--repo", str(repo), "--apply"],
                                      capture_output=True, text=True, cwd=root,
                                      env={**os.environ, "MLFLOW_TRACKING_URI": ""})
                print(f"# first --apply on sqlite:///: exit {done.returncode}, "
                      f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
                if done.returncode != 0:
                    raise SystemExit(f"--apply exited {done.returncode}:\n"
                                     f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
            server.start()
            if n == 0 and args.apply_via == "server":
                before = len(server.requests())
                code, wall, out = clinigate(server, repo, "--apply")
                time.sleep(0.5)
                print(f"# first --apply: exit {code}, {wall:.1f} s, "
                      f"{len(server.requests()) - before} requests", file=sys.stderr)
                if code != 0:
                    raise SystemExit(f"--apply exited {code}:\n{out}")
            result = measure(server, repo, args.runs)
            result["versions"] = versions
            results.append(result)
            print(f"# {versions} versions/model: walls {[round(w, 2) for w in result['walls']]}, "
                  f"requests {result['counts']}, {result['kinds']}", file=sys.stderr)
            server.stop()
    finally:
        server.stop()

    print(f"`python benchmarks/bench_sync.py --models {args.models} --runs {args.runs} "
          f"--versions {args.versions} --apply-via {args.apply_via}`, nproc {os.cpu_count()}, "
          f"Python {platform.python_version()}, "
          f"mlflow server (uvicorn, 1 worker, SQLite) on loopback.\n")
    print("| models | MLflow versions / model | versions total | runs | dry-run wall median (s) "
          "| wall min–max (s) | HTTP requests | requests / model | exit |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        walls, counts = r["walls"], r["counts"]
        req = statistics.median(counts)
        print(f"| {args.models:,} | {r['versions']} | {args.models * r['versions']:,} | {args.runs} "
              f"| {statistics.median(walls):.2f} | {min(walls):.2f}–{max(walls):.2f} "
              f"| {req:,.0f}{'' if len(set(counts)) == 1 else f' ({min(counts)}–{max(counts)})'} "
              f"| {req / args.models:.2f} | 0 |")
    print()
    for r in results:
        git_s, mlflow_s = r["phases"]
        print(f"- {r['versions']} versions/model: " + ", ".join(
            f"`{k}` × {v}" for k, v in sorted(r["kinds"].items()))
              + f"; one extra run split: desired state from Git {git_s:.2f} s, MLflow reads {mlflow_s:.2f} s")
    same = len({statistics.median(r["counts"]) for r in results}) == 1
    wall = statistics.median(results[0]["walls"])
    print(f"\nRequests independent of versions: {'yes' if same else 'NO'}; "
          f"target ≤ 30 s at 1,000 models: {wall:.2f} s at {args.models:,} "
          f"({'PASS' if wall <= 30 else 'FAIL'}).")
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
