#!/usr/bin/env python3
"""Benchmark ``clinigate validate`` against check-jsonschema on synthetic registries (DESIGN §11).

    python benchmarks/bench_validate.py [--sizes 1000,10000] [--runs 5] [--skip-jsonschema]
                                        [--jsonschema-runs 1] [--jsonschema-max-files N]

For each size (the number of ModelVersion manifests: 1,000 = 100 models × 10 versions,
10,000 = 200 × 50; other sizes use 10 versions per model up to 1,000 and 50 above), it
generates a registry once with ``generate.py`` (cached in benchmarks/out/, regenerated when
generate.py changes) and measures, in the same run and on the same files:

  a. ``clinigate validate --repo DIR``: the whole registry (versions + model, pccp,
     deployment per model + roles.yaml). This is the DESIGN §11 target.
  a'. ``clinigate validate --repo DIR models/*/versions``: the version files only, the same
     file set check-jsonschema gets, so the ratio compares equal work.
  b. ``check-jsonschema --schemafile schemas/model-version.schema.json <version files>``.
  c. ``clinigate --help`` start-up.

Every clinigate measurement is one warm-up run and then --runs timed runs (median reported);
check-jsonschema gets a 10-file warm-up and --jsonschema-runs timed runs over the full set
(or over an evenly spaced subset of --jsonschema-max-files files, measured against clinigate
on the same subset and labelled as such). "Cold" means no clinigate cache: every run gets a
fresh, empty XDG_CACHE_HOME, and the script warns if clinigate writes into the registry. The
OS page cache is warm (the warm-up run reads every file).

Peak memory is reported twice: the largest single process's peak RSS from wait4() (exact,
but blind to worker processes running side by side) and the peak sum of PSS over the
whole process tree, sampled every 20 ms from /proc in the warm-up run (sees workers, and
does not double-count pages they share; may miss very short peaks).

clinigate runs from a snapshot of tooling/clinigate copied at start (out/package-snapshots/),
as ``python -m clinigate``, so that edits made while the benchmark runs cannot mix two
versions of the code into one table; --no-snapshot runs the installed console script instead.

Before timing, clinigate must report 0 findings (--format json) on the generated registry;
otherwise the benchmark is invalid, the findings are printed and the script exits 1.

The Markdown table goes to stdout and to benchmarks/out/results.md; raw timings to
benchmarks/out/results.json.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import generate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
SCHEMA = REPO / "schemas" / "model-version.schema.json"
PAGE = os.sysconf("SC_PAGE_SIZE")

TARGET_VALIDATE_S = 10.0
TARGET_VALIDATE_MB = 400.0
TARGET_HELP_S = 0.3
TARGET_WARM_S = 0.3  # issue 15: an unchanged 10,000-manifest registry, answered from the cache


def tool(name: str) -> str:
    """The console script next to this interpreter (the venv), else the one on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return found


# ---------------------------------------------------------------- measuring one process


@dataclass
class Run:
    wall_s: float
    max_rss_mb: float  # largest single process in the tree (wait4 ru_maxrss)
    tree_pss_mb: float | None  # sampled peak of the tree's summed PSS
    returncode: int
    cpu_s: float = 0.0  # user + system time of the process and its waited-for descendants
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")


class TreeSampler(threading.Thread):
    """Peak of the summed PSS (RSS where PSS is unreadable) of a process and its descendants."""

    def __init__(self, root: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.peak = root, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, sum(_memory(pid) for pid in _tree(self.root)))
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak / 2**20


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _memory(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except OSError:
        return 0


CHILD_ENV: dict[str, str] = {}  # PYTHONPATH of the package snapshot, when one is used


def run_once(argv: list[str], cwd: Path, *, sample_tree: bool = False) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache, \
            tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env["XDG_CACHE_HOME"] = cache  # a fresh, empty cache location: every run is cold
        env.update(CHILD_ENV)
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env=env)
        sampler = TreeSampler(proc.pid) if sample_tree else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree = sampler.stop() if sampler else None
        out.seek(0)
        err.seek(0)
        return Run(wall, usage.ru_maxrss / 1024, tree, proc.returncode,
                   usage.ru_utime + usage.ru_stime,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


@dataclass
class Measurement:
    size: int
    label: str
    command: str
    files: int
    runs: list[Run]
    tree_pss_mb: float | None = None
    note: str = ""
    warmup_s: float = 0.0

    @property
    def median_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.runs)


def measure(size: int, label: str, argv: list[str], cwd: Path, files: int, runs: int,
            *, warmup: list[str] | None = None, shown: str | None = None, note: str = "",
            expect_ok: bool = True) -> Measurement:
    """One warm-up (tree memory sampled) then ``runs`` timed runs; exit codes must be 0."""
    first = run_once(warmup or argv, cwd, sample_tree=warmup is None)
    timed = []
    for n in range(runs):
        run = run_once(argv, cwd)
        if expect_ok and run.returncode != 0:
            raise SystemExit(f"{label}: run {n + 1} exited {run.returncode}\n"
                             f"{run.stdout[-3000:]}{run.stderr[-3000:]}")
        timed.append(run)
        print(f"    {label}: run {n + 1}/{runs} {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, "
              f"{run.max_rss_mb:.0f} MB",
              file=sys.stderr, flush=True)
    return Measurement(size, label, shown or " ".join(argv), files, timed,
                       first.tree_pss_mb, note, first.wall_s)


# ---------------------------------------------------------------- registries


def shape(size: int) -> tuple[int, int]:
    versions = 10 if size <= 1000 else 50
    if size % versions:
        raise SystemExit(f"size {size} is not a multiple of {versions} versions per model")
    return size // versions, versions


def registry(size: int, seed: int) -> Path:
    """Generate (or reuse) the registry for ``size`` version manifests."""
    models, versions = shape(size)
    stamp = hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:16]
    folder = OUT / f"registry-{models}x{versions}-seed{seed}"
    marker = OUT / f"{folder.name}.stamp"
    if folder.is_dir() and marker.is_file() and marker.read_text() == stamp:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    print(f"  generating {folder.name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    generate.generate(folder, models=models, versions=versions, seed=seed)
    marker.write_text(stamp)
    print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return folder


def version_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.glob("models/*/versions/*.yaml"))


def snapshot(folder: Path) -> set[str]:
    return {os.path.join(d, n) for d, _, names in os.walk(folder) if ".git" not in Path(d).parts
            for n in names}


def ensure_git(folder: Path) -> None:
    """The registry as a Git work tree with everything committed: the warm cache keys on blob ids."""
    if (folder / ".git").is_dir():
        return
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    for args in (["init", "-q"], ["add", "-A"], ["-c", "commit.gpgsign=false", "commit", "-qm", "registry"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


def require_clean_report(clinigate: list[str], folder: Path, expected_files: int) -> None:
    """The benchmark only means something on a registry clinigate finds nothing wrong with."""
    run = run_once([*clinigate, "validate", "--repo", str(folder), "--format", "json"], folder)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"clinigate validate --format json gave no JSON (exit {run.returncode}):\n"
                         f"{run.stdout[-2000:]}{run.stderr[-2000:]}") from None
    findings = [dict(f, path=m["path"]) for m in report["manifests"] for f in m["findings"]]
    if findings or report["decision"] != "pass" or run.returncode != 0:
        for finding in findings[:50]:
            print(f"  {finding['path']}:{finding['line']}: {finding['rule']} {finding['message']}",
                  file=sys.stderr)
        raise SystemExit(f"INVALID BENCHMARK: clinigate found {len(findings)} findings "
                         f"(decision {report['decision']}, exit {run.returncode}) on {folder}")
    if len(report["manifests"]) != expected_files:
        raise SystemExit(f"INVALID BENCHMARK: clinigate checked {len(report['manifests'])} files, "
                         f"expected {expected_files}")
    print(f"  clinigate: 0 findings on {expected_files} files", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- one size


def bench_size(size: int, args: argparse.Namespace, clinigate: list[str], cj: str
               ) -> list[Measurement]:
    print(f"size {size:,}", file=sys.stderr, flush=True)
    folder = registry(size, args.seed)
    models, versions = shape(size)
    documents = generate.document_count(models, versions)
    before = snapshot(folder)
    require_clean_report(clinigate, folder, documents)
    ensure_git(folder)
    results = [measure(size, "clinigate validate (whole registry)",
                       [*clinigate, "validate", "--no-cache", "--repo", str(folder)], folder, documents,
                       args.runs, shown="clinigate validate --no-cache --repo DIR")]
    written = snapshot(folder) - before
    if written:
        print(f"  WARNING: clinigate wrote {len(written)} files into the registry (a cache?), "
              f"e.g. {sorted(written)[0]}; the 'cold' runs after the first may be warm",
              file=sys.stderr)
        results[0].note = "clinigate wrote into the registry: runs may be warm"
    warm = [*clinigate, "validate", "--repo", str(folder)]
    results.append(measure(size, "clinigate validate (whole registry, warm: unchanged since the last run)",
                           warm, folder, documents, args.runs, warmup=warm,
                           shown="clinigate validate --repo DIR (second run)"))

    files = version_files(folder)
    subset = files
    if args.jsonschema_max_files and args.jsonschema_max_files < len(files):
        step = len(files) / args.jsonschema_max_files
        subset = [files[int(i * step)] for i in range(args.jsonschema_max_files)]
    same_set = ["models/*/versions"] if subset is files else [f"{len(subset)} files"]
    targets = ([f"models/{m}/versions" for m in sorted(os.listdir(folder / "models"))]
               if subset is files else subset)
    results.append(measure(size, "clinigate validate (version files only)",
                           [*clinigate, "validate", "--repo", ".", *targets], folder, len(subset),
                           args.runs, shown=f"clinigate validate --repo DIR {same_set[0]}",
                           note="" if subset is files else "evenly spaced subset"))
    if not args.skip_jsonschema:
        results.append(measure(
            size, "check-jsonschema (version files only)",
            [cj, "--schemafile", str(SCHEMA), *subset], folder, len(subset),
            args.jsonschema_runs, warmup=[cj, "--schemafile", str(SCHEMA), *subset[:10]],
            shown=f"check-jsonschema --schemafile schemas/model-version.schema.json {same_set[0]}",
            note="" if subset is files else
            f"measured on {len(subset):,} of {len(files):,} files (evenly spaced)"))
        if subset is not files and len(subset) > 10:
            # the 10-file warm-up gives start-up + 10 files; the subset gives the per-file slope
            cj_run = results[-1]
            per_file = (cj_run.median_s - cj_run.warmup_s) / (len(subset) - 10)
            estimate = cj_run.warmup_s + per_file * (len(files) - 10)
            results.append(Measurement(
                size, "check-jsonschema, extrapolated",
                "10-file run + per-file slope × remaining files",
                len(files), [Run(estimate, cj_run.rss_mb, None, 0)],
                note=f"ESTIMATE from {len(subset):,} files, not measured"))
    return results


def bench_help(clinigate: list[str], runs: int) -> Measurement:
    print("clinigate --help", file=sys.stderr, flush=True)
    first = run_once([*clinigate, "--help"], REPO, sample_tree=True)
    timed = [run_once([*clinigate, "--help"], REPO) for _ in range(runs)]
    if any(r.returncode for r in timed):
        raise SystemExit("clinigate --help failed")
    return Measurement(0, "clinigate --help", "clinigate --help", 0, timed, first.tree_pss_mb)


# ---------------------------------------------------------------- report


def snapshot_package() -> tuple[list[str], str]:
    """Freeze tooling/clinigate for this run: others may edit the package while it runs.

    The copy lives in out/package-snapshots/<digest>/ and is run as ``python -m clinigate``
    with PYTHONPATH pointing at it, so every measurement of one run uses the same code.
    It is byte-compiled once, as ``pip install`` compiles an installed package: otherwise, where
    PYTHONDONTWRITEBYTECODE is set (this machine), every measured process would compile all of
    clinigate's sources again (~0.1 s), a cost no installed clinigate pays.
    """
    source = REPO / "tooling" / "clinigate"
    staging = Path(tempfile.mkdtemp(prefix="snapshot-", dir=OUT))
    shutil.copytree(source, staging / "clinigate", ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256()
    for path in sorted((staging / "clinigate").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(staging).as_posix().encode() + b"\0" + path.read_bytes())
    tag = digest.hexdigest()[:12]
    target = OUT / "package-snapshots" / tag
    if target.exists():
        shutil.rmtree(staging)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
    if not compileall.compile_dir(target / "clinigate", quiet=1):
        raise SystemExit(f"the snapshot {target} does not byte-compile")
    CHILD_ENV["PYTHONPATH"] = str(target)
    where = run_once([sys.executable, "-c", "import clinigate; print(clinigate.__file__)"], REPO)
    if not where.stdout.strip().startswith(str(target)):
        raise SystemExit(f"the snapshot is not what gets imported: {where.stdout}{where.stderr}")
    return [sys.executable, "-m", "clinigate"], tag


def machine(clinigate: list[str], code: str) -> dict[str, str]:
    def version(argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, **CHILD_ENV})
        return (done.stdout or done.stderr).strip().splitlines()[-1] if done.returncode == 0 else "?"

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "tooling"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()), "cpu": cpu, "memory": f"{int(mem) / 2**20:.1f} GiB",
        "python": platform.python_version(), "os": platform.platform(),
        "clinigate": version([*clinigate, "--version"]) + f" (repo {head}"
                     + (", package has uncommitted changes)" if dirty else ")"),
        "clinigate code": code,
        "check-jsonschema": version([tool("check-jsonschema"), "--version"]),
        "load average at start": Path("/proc/loadavg").read_text().split()[0],
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "unset"),
        "clinigate bytecode": "compiled into the snapshot at start" if CHILD_ENV else
                              "as the installed package has it",
    }


def fmt_mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def table(results: list[Measurement], facts: dict[str, str]) -> str:
    lines = ["# clinigate validate benchmark", "",
             " · ".join(f"**{k}** {v}" for k, v in facts.items()), "",
             "| size | what | files | runs | wall median (s) | wall min–max (s) | CPU median (s) | "
             "peak RSS, largest process (MB) | peak PSS, process tree (MB) | "
             "check-jsonschema ÷ this (wall) | note |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    by_size: dict[int, list[Measurement]] = {}
    for m in results:
        by_size.setdefault(m.size, []).append(m)
    for size, group in by_size.items():
        measured = next((m for m in group if m.label.startswith("check-jsonschema (")), None)
        estimate = next((m for m in group if m.label.endswith("extrapolated")), None)
        for m in group:
            walls = [r.wall_s for r in m.runs]
            ratio = "—"
            if measured and m.label == "clinigate validate (version files only)":
                ratio = f"{measured.median_s / m.median_s:.1f}×"  # the same files
            elif measured and m.label == "clinigate validate (whole registry)":
                ref = estimate or measured
                ratio = f"{ref.median_s / m.median_s:.1f}× ¹" + (" est." if estimate else "")
            extrap = m.label.endswith("extrapolated")
            lines.append(
                f"| {f'{size:,}' if size else '—'} | `{m.command}` | {f'{m.files:,}' if m.files else '—'} | "
                f"{'est.' if extrap else len(m.runs)} | {m.median_s:.3f} | "
                f"{'—' if extrap or len(walls) < 2 else f'{min(walls):.3f}–{max(walls):.3f}'} | "
                f"{'—' if extrap else f'{m.cpu_s:.3f}'} | {fmt_mb(m.rss_mb)} | {fmt_mb(m.tree_pss_mb)} | "
                f"{ratio} | {m.note} |")
    lines += ["",
              "¹ not an equal file set: clinigate also checks model, pccp and deployment "
              "files, roles.yaml and cross-references, which check-jsonschema is not given. "
              "The equal-set ratio is the one on the `version files only` row.",
              "",
              "Size = number of ModelVersion manifests. Wall = whole process, median of the "
              "timed runs after one warm-up (no clinigate cache; OS page cache warm). CPU = user "
              "+ system time of the process tree (less sensitive than wall to other load on the "
              "machine; above wall when work runs in parallel). Peak RSS "
              "is the largest single process (wait4); peak PSS sums the process tree, sampled "
              "every 20 ms during the warm-up run.", ""]
    lines += targets(results)
    return "\n".join(lines) + "\n"


def targets(results: list[Measurement]) -> list[str]:
    out = ["## DESIGN §11 targets", ""]
    for m in results:
        if m.label == "clinigate validate (whole registry)" and m.size == 10_000:
            mem = max(m.rss_mb, m.tree_pss_mb or 0)
            out.append(f"- validate 10,000 manifests cold ≤ {TARGET_VALIDATE_S:.0f} s: "
                       f"{m.median_s:.2f} s → {'PASS' if m.median_s <= TARGET_VALIDATE_S else 'FAIL'}")
            out.append(f"- validate 10,000 manifests ≤ {TARGET_VALIDATE_MB:.0f} MB: "
                       f"{mem:,.0f} MB → {'PASS' if mem <= TARGET_VALIDATE_MB else 'FAIL'}")
        if m.label.startswith("clinigate validate (whole registry, warm") and m.size == 10_000:
            verdict = "PASS" if m.median_s <= TARGET_WARM_S else "FAIL"
            out.append(f"- validate 10,000 unchanged manifests warm ≤ {TARGET_WARM_S} s: "
                       f"{m.median_s:.3f} s → {verdict}")
        if m.label == "clinigate --help":
            out.append(f"- `clinigate --help` ≤ {TARGET_HELP_S} s: {m.median_s:.3f} s → "
                       f"{'PASS' if m.median_s <= TARGET_HELP_S else 'FAIL'}")
    if not any("10,000" in line for line in out):
        out.append("- validate 10,000 manifests: not measured in this run (add 10000 to --sizes)")
    return out


def save(results: list[Measurement], facts: dict[str, str]) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    text = table(results, facts)
    (OUT / "results.md").write_text(text, encoding="utf-8")
    raw = [{**{k: v for k, v in asdict(m).items() if k != "runs"},
            "median_s": m.median_s,
            "runs": [{k: v for k, v in asdict(r).items() if k not in ("stdout", "stderr")}
                     for r in m.runs]} for m in results]
    (OUT / "results.json").write_text(json.dumps({"machine": facts, "results": raw}, indent=2))
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="See benchmarks/README.md for how to read the output.")
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated numbers of version manifests (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed clinigate runs per size")
    parser.add_argument("--help-runs", type=int, default=20, help="timed `clinigate --help` runs")
    parser.add_argument("--skip-jsonschema", action="store_true", help="do not run check-jsonschema")
    parser.add_argument("--jsonschema-runs", type=int, default=1,
                        help="timed check-jsonschema runs per size (~20–40 ms per file each)")
    parser.add_argument("--jsonschema-max-files", type=int, default=0,
                        help="measure check-jsonschema (and clinigate, for the ratio) on an evenly "
                             "spaced subset of this many version files; 0 = all")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="run the installed clinigate as is instead of a frozen copy of "
                             "tooling/clinigate (edits during the run then change the results)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.runs < 1 or args.jsonschema_runs < 1 or args.help_runs < 1:
        parser.error("run counts must be ≥ 1")

    cj = tool("check-jsonschema")
    if args.no_snapshot:
        clinigate, code = [tool("clinigate")], "the installed package, live (--no-snapshot)"
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        clinigate, tag = snapshot_package()
        code = f"snapshot {tag} of tooling/clinigate taken at start, run as `python -m clinigate`"
    facts = machine(clinigate, code)
    results: list[Measurement] = []
    for size in sizes:
        results += bench_size(size, args, clinigate, cj)
        save(results, facts)  # keep partial results if a later size is interrupted
    results.append(bench_help(clinigate, args.help_runs))
    facts["load average at end"] = Path("/proc/loadavg").read_text().split()[0]
    print(save(results, facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
