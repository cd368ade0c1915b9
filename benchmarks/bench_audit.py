#!/usr/bin/env python3
"""Benchmark ``clinigate audit`` on a long first-parent history, against bare ``git log``.

    python benchmarks/bench_audit.py [--commits 50000] [--every 250] [--runs 5] [--workdir DIR]
                                     [--compare REV]

The history (generated once through ``git fast-import``, cached in WORKDIR/audit-<digest>/):

  commit 0       the bundled example registry (models/, policies/, schemas/ of this repository)
                 plus docs/README.md;
  every --every  a deployment change of models/sepsis-ews/deployment.yaml landing as a merged
                 pull request ("Merge pull request #N from …", second parent a one-commit
                 branch): production and staging move between the existing versions
                 1.0.0 … 1.3.0 (promotions and rollbacks), shadow stays on 1.3.0, quoted rationale;
  every --policy-every / --model-every
                 a squash-merged edit of policies/README.md (new rules tree, so a new policy
                 bundle judges what follows) / a comment in readmission-30d's model.yaml;
  all others     a squash-merged edit of docs/notes-NNN.md or docs/README.md: outside models/
                 and policies/, as most commits of a real registry repository are.

Committer dates increase by --step seconds from 2023-01-02 09:00 UTC (30 min: 50,000 commits
span 2.9 years). There are no signed approvals in the ledger: every production change is an
``audit verify`` finding, and evidence is judged on the no-approvals path.

Two copies of the repository are measured side by side: ``no commit-graph`` (clinigate runs with
CLINIGATE_NO_COMMIT_GRAPH=1 and must leave it without one) and ``commit-graph`` (written once
here with ``git commit-graph write --reachable --changed-paths``; its cost is reported). For each
copy, and for each code variant (this tree; with --compare REV also tooling/clinigate at REV):

  a. ``audit at sepsis-ews <the middle of the history> --env production``: the Python API in a
     child process (``Auditor.open(git, tip)`` + ``.at(…)`` + close; imports done, one warm-up
     call, then --runs timed calls) and the CLI (a fresh process per run, start-up included);
  b. ``audit timeline sepsis-ews``, API and CLI the same way;
  c. ``audit verify`` (whole history) and ``audit verify --since <the commit before the second
     last deployment change>`` (incremental: two deployment changes to check), API and CLI;
  d. the floors: ``git log --first-parent --format=%H -- models/sepsis-ews/deployment.yaml``
     and ``git log --first-parent --raw -- models policies``, bare processes.

CLI runs are interleaved (run n of every variant and copy before run n+1 of any). Each answer
is checked: the version in force and the number of timeline entries against what the
generator wrote, and every variant and copy must agree; otherwise INVALID BENCHMARK. Also
measured once: the first ``audit at`` on a fresh copy without the opt-out (writes the
commit-graph, when the code does). Markdown to stdout and WORKDIR/results-audit.md, raw
numbers to WORKDIR/results-audit.json.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

EPOCH = 1_672_650_000  # 2023-01-02 09:00 UTC: the first commit
MODEL, ENV = "sepsis-ews", "production"
DEPLOYMENT = f"models/{MODEL}/deployment.yaml"
VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.2.1", "1.3.0")
# (production, staging) after each deployment change, cycled: promotions and two rollbacks.
MOVES = [("1.0.0", "1.1.0"), ("1.1.0", "1.2.0"), ("1.2.0", "1.2.1"), ("1.1.0", "1.2.1"),
         ("1.2.1", "1.3.0"), ("1.3.0", "1.3.0"), ("1.2.1", "1.3.0"), ("1.2.0", "1.2.1")]
START = {"production": "1.2.0", "staging": "1.2.1", "shadow": "1.3.0"}  # the bundled deployment.yaml
NO_GRAPH_ENV = "CLINIGATE_NO_COMMIT_GRAPH"
NO_CACHE_ENV = "CLINIGATE_NO_AUDIT_CACHE"
# seconds, CLI median (issue 12): at, timeline; verify's is for an incremental re-run
TARGETS = {"at": 0.2, "timeline": 0.5, "verify (incremental)": 1.0}
ACCEPTED_AT = 0.3
IDENTITY = "Registry Bench <registry-bench@example.org>"
LOAD_AT_START = "?"


# ---------------------------------------------------------------- the history


@dataclass
class Plan:
    commits: int
    every: int
    policy_every: int
    model_every: int
    step: int

    def key(self) -> str:
        """Changes with the plan, the example registry or the generator's code (not the rest)."""
        code = [inspect.getsource(f) for f in (Plan, deployment_yaml, _data, _commit, stream, build)]
        digest = hashlib.sha256("\0".join(code).encode())
        for path in sorted(_example_files()):
            digest.update(path.encode() + b"\0" + (REPO / path).read_bytes())
        digest.update(repr(self).encode())
        return digest.hexdigest()[:12]

    def date(self, index: int) -> int:
        return EPOCH + index * self.step

    def kind(self, index: int) -> str:
        if index == 0:
            return "root"
        if index % self.every == 0:
            return "deploy"
        # off the deployment beat (every // 2 + 1 past each multiple), so that they happen at all
        for kind, every in (("policy", self.policy_every), ("model", self.model_every)):
            if every and index % every == (every // 2 + 1) % every:
                return kind
        return "notes"

    def deployments(self) -> list[tuple[int, dict[str, str]]]:
        """(commit index, environment -> version) of every deployment.yaml on the line, oldest first."""
        states = [(0, dict(START))]
        changes = [i for i in range(1, self.commits) if self.kind(i) == "deploy"]
        for n, index in enumerate(changes):
            production, staging = MOVES[n % len(MOVES)]
            states.append((index, {"production": production, "staging": staging, "shadow": "1.3.0"}))
        return states

    def expected(self, moment: int) -> tuple[str | None, int]:
        """The production version in force at ``moment`` and the number of timeline entries."""
        states = self.deployments()
        in_force = None
        for index, state in states:
            if self.date(index) <= moment:
                in_force = state[ENV]
        entries = len(states[0][1]) + sum(
            sum(before[env] != after[env] for env in after)
            for (_, before), (_, after) in zip(states, states[1:], strict=False))
        return in_force, entries


def _example_files() -> list[str]:
    files = []
    for part in ("models", "policies", "schemas"):
        for path in sorted((REPO / part).rglob("*")):
            if path.is_file() and path.name != ".keep" and "__pycache__" not in path.parts:
                files.append(path.relative_to(REPO).as_posix())
    return files


def deployment_yaml(state: dict[str, str], before: dict[str, str], change: int) -> str:
    envs = "".join(f"  {env}:\n    version: {state[env]}\n"
                   f"    strategy: {'shadow' if env == 'shadow' else 'full'}\n"
                   for env in ("production", "staging", "shadow"))
    moved = "; ".join(f"{env} {before[env]} -> {state[env]}" for env in state if state[env] != before[env])
    return ("# yaml-language-server: $schema=../../schemas/deployment.schema.json\n"
            f"apiVersion: clinigate/v1\nkind: Deployment\nmodel: {MODEL}\nenvironments:\n{envs}"
            f"rollback_target: {before['production']}\n"
            f'change:\n  rationale: "Change {change}: {moved} (CAB-{2023 + change // 60}-{change:03d})."\n')


def _data(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return b"data %d\n%s\n" % (len(raw), raw)


def _commit(ref: str, mark: int, when: int, message: str, parents: list[int],
            files: dict[str, bytes]) -> bytes:
    head = (f"commit {ref}\nmark :{mark}\nauthor {IDENTITY} {when} +0000\n"
            f"committer {IDENTITY} {when} +0000\n").encode() + _data(message)
    for n, parent in enumerate(parents):
        head += f"{'from' if n == 0 else 'merge'} :{parent}\n".encode()
    return head + b"".join(f"M 100644 inline {path}\n".encode() + _data(body) for path, body in files.items())


def stream(plan: Plan) -> Iterator[bytes]:
    """The fast-import stream: mark i + 1 is the line's i-th commit; pull-request branches above."""
    files = {path: (REPO / path).read_bytes() for path in _example_files()}
    files["docs/README.md"] = b"# Registry notes\n"
    yield _commit("refs/heads/main", 1, plan.date(0), "Initial registry", [], files)
    states = dict(plan.deployments())
    running, change, readme = dict(START), 0, 0
    model_yaml = (REPO / "models/readmission-30d/model.yaml").read_bytes()
    policy_readme = (REPO / "policies/README.md").read_bytes()
    for i in range(1, plan.commits):
        kind, when, pr = plan.kind(i), plan.date(i), 1000 + i
        if kind == "deploy":
            change += 1
            body = {DEPLOYMENT: deployment_yaml(states[i], running, change).encode()}
            branch = plan.commits + change
            yield _commit("refs/heads/bench-pr", branch, when - 600, f"Deploy sepsis-ews: change {change}",
                          [i], body)
            yield _commit("refs/heads/main", i + 1, when,
                          f"Merge pull request #{pr} from clinical-ops/deploy-{change}\n\nChange {change}",
                          [i, branch], body)
            running = states[i]
            continue
        if kind == "policy":
            policy_readme += f"\nRevision {i}: wording of the approval section.\n".encode()
            body, subject = {"policies/README.md": policy_readme}, "Policies: clarify the approval section"
        elif kind == "model":
            model_yaml += f"# model card reviewed at commit {i}\n".encode()
            body, subject = {"models/readmission-30d/model.yaml": model_yaml}, "readmission-30d: card review"
        elif i % 97 == 0:
            readme += 1
            body = {"docs/README.md": f"# Registry notes\n\nEdition {readme}.\n".encode()}
            subject = "Notes index"
        else:
            note = f"docs/notes-{i % 500:03d}.md"
            body = {note: f"# Ward round {i}\n\nAlerts reviewed at commit {i}; nothing to change.\n".encode()}
            subject = f"Ward round notes {i}"
        yield _commit("refs/heads/main", i + 1, when, f"{subject} (#{pr})", [i], body)


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                          env=generate.clean_git_env(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {repo}: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def has_commit_graph(repo: Path) -> bool:
    info = repo / ".git" / "objects" / "info"
    return (info / "commit-graph").exists() or (info / "commit-graphs").is_dir()


@dataclass
class History:
    plan: Plan
    plain: Path  # no commit-graph
    graph: Path  # commit-graph with changed-path Bloom filters
    tip: str
    marks: dict[int, str]
    build_s: float
    graph_write_s: float
    graph_mb: float
    pack_mb: float

    def commit(self, index: int) -> str:
        return self.marks[index + 1]


def build(plan: Plan, workdir: Path) -> History:
    folder = workdir / f"audit-{plan.commits}-{plan.key()}"
    meta = folder / "history.json"
    if meta.exists():
        facts = json.loads(meta.read_text())
        print(f"history: cached in {folder}", file=sys.stderr, flush=True)
        return History(plan, folder / "plain", folder / "graph", facts["tip"],
                       {int(k): v for k, v in facts["marks"].items()}, facts["build_s"],
                       facts["graph_write_s"], facts["graph_mb"], facts["pack_mb"])
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    plain = folder / "plain"
    plain.mkdir(parents=True)
    git(plain, "init", "-q", "-b", "main")
    marks_file = folder / "marks"
    proc = subprocess.Popen(["git", "-C", str(plain), "fast-import", "--quiet",
                             f"--export-marks={marks_file}"],
                            stdin=subprocess.PIPE, env=generate.clean_git_env())
    assert proc.stdin is not None
    for chunk in stream(plan):
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    git(plain, "update-ref", "-d", "refs/heads/bench-pr")
    git(plain, "repack", "-a", "-d", "-q")  # one pack, as a clone has
    git(plain, "reset", "-q", "--hard", "main")
    marks = {int(m[1:]): sha for m, sha in (line.split() for line in marks_file.read_text().splitlines())}
    build_s = time.perf_counter() - started
    pack_mb = sum(p.stat().st_size for p in (plain / ".git/objects/pack").glob("*.pack")) / 2**20
    if has_commit_graph(plain):
        raise SystemExit("INVALID BENCHMARK: the generated repository already has a commit-graph")
    graph = folder / "graph"
    shutil.copytree(plain, graph, symlinks=True)
    started = time.perf_counter()
    git(graph, "commit-graph", "write", "--reachable", "--changed-paths")
    graph_write_s = time.perf_counter() - started
    graph_mb = sum(p.stat().st_size for p in (graph / ".git/objects/info").rglob("*graph*")
                   if p.is_file()) / 2**20
    tip = git(plain, "rev-parse", "main").strip()
    if tip != marks[plan.commits]:
        raise SystemExit("INVALID BENCHMARK: main is not the last commit of the stream")
    count = int(git(plain, "rev-list", "--first-parent", "--count", "main"))
    if count != plan.commits:
        raise SystemExit(f"INVALID BENCHMARK: {count} commits on the first-parent line, not {plan.commits}")
    meta.write_text(json.dumps({"tip": tip, "marks": marks, "build_s": build_s,
                                "graph_write_s": graph_write_s, "graph_mb": graph_mb, "pack_mb": pack_mb}))
    print(f"history: {plan.commits:,} commits built in {build_s:.1f} s in {folder}", file=sys.stderr,
          flush=True)
    return History(plan, plain, graph, tip, marks, build_s, graph_write_s, graph_mb, pack_mb)


# ---------------------------------------------------------------- the code measured


@dataclass
class Variant:
    name: str
    pythonpath: Path  # the folder holding the clinigate package


def snapshot(workdir: Path) -> Variant:
    """tooling/clinigate as it is now, copied (edits made while the benchmark runs stay out)."""
    staging = Path(tempfile.mkdtemp(prefix="code-", dir=workdir))
    shutil.copytree(REPO / "tooling" / "clinigate", staging / "clinigate",
                    ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256()
    for path in sorted((staging / "clinigate").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(staging).as_posix().encode() + b"\0" + path.read_bytes())
    target = workdir / f"code-tree-{digest.hexdigest()[:12]}"
    if target.exists():
        shutil.rmtree(staging)
    else:
        staging.rename(target)
    return Variant(f"this tree ({digest.hexdigest()[:8]})", target)


def variants(compare: str | None, workdir: Path) -> list[Variant]:
    found = [snapshot(workdir)]
    if compare:
        sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{compare}^{{commit}}"],
                             capture_output=True, text=True, check=False).stdout.strip()
        if not sha:
            raise SystemExit(f"--compare {compare}: not a commit of {REPO}")
        target = workdir / f"code-{sha[:12]}"
        if not (target / "clinigate").is_dir():
            staging = Path(tempfile.mkdtemp(prefix="code-", dir=workdir))
            archive = subprocess.run(["git", "-C", str(REPO), "archive", sha, "tooling/clinigate"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(staging)], input=archive, check=True)
            (staging / "tooling").rename(target)
            shutil.rmtree(staging)
        found.append(Variant(f"{compare} ({sha[:12]})", target))
    return found


def child_env(variant: Variant, opt_out: bool, cache: bool = False) -> dict[str, str]:
    """``cache``: let the CLI keep and read its answers (.git/clinigate/audit/); else every run is cold."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in (NO_GRAPH_ENV, NO_CACHE_ENV)}
    env["PYTHONPATH"] = str(variant.pythonpath)
    if opt_out:
        env[NO_GRAPH_ENV] = "1"
    if not cache:
        env[NO_CACHE_ENV] = "1"
    return env


# One child per (variant, copy, operation): imports, one warm-up call, then the timed calls.
API = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
import clinigate
from clinigate.audit.query import Auditor
from clinigate.gitrepo import Git

op, repo, tip, moment, since, runs = sys.argv[1:7]

def call():
    git = Git(Path(repo))  # a new one per call: nothing it remembers carries over
    if op == "at":
        with Auditor.open(git, tip) as auditor:
            answer = auditor.at("sepsis-ews", "production", datetime.fromisoformat(moment))
        return answer.deployed.event.after if answer.deployed else None
    if op == "timeline":
        with Auditor.open(git, tip) as auditor:
            return len(auditor.timeline("sepsis-ews"))
    from clinigate.audit.verify import verify_history
    findings = verify_history(git, tip, since=since if op == "verify-since" else None)
    return sorted(f"{f.rule} {f.path}" for f in findings)

started = time.perf_counter()
first = call()
first_s = time.perf_counter() - started
samples = []
for _ in range(int(runs)):
    started = time.perf_counter()
    answer = call()
    samples.append(time.perf_counter() - started)
    assert answer == first, (answer, first)
print(json.dumps({"file": clinigate.__file__, "first_s": first_s, "samples": samples, "answer": first}))
"""


@dataclass
class Setting:
    """One (code variant, repository copy) pair."""

    variant: Variant
    copy: str  # "no commit-graph" or "commit-graph"
    repo: Path

    @property
    def label(self) -> str:
        return f"{self.variant.name} · {self.copy}"


@dataclass
class Sample:
    walls: list[float] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    first_s: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


@dataclass
class Queries:
    moment: str
    since: str
    expected_version: str | None
    expected_entries: int


def api(setting: Setting, op: str, q: Queries, tip: str, runs: int) -> Sample:
    argv = [sys.executable, "-c", API, op, str(setting.repo), tip, q.moment, q.since, str(runs)]
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(setting.variant,
                                                                              setting.copy != "commit-graph"))
    if done.returncode != 0:
        raise SystemExit(f"INVALID BENCHMARK: the {op} API child failed ({setting.label}):\n"
                         f"{done.stderr[-3000:]}")
    out = json.loads(done.stdout.splitlines()[-1])
    if not out["file"].startswith(str(setting.variant.pythonpath)):
        raise SystemExit(f"INVALID BENCHMARK: {setting.label} imported {out['file']}")
    return Sample(out["samples"], [out["answer"]] * len(out["samples"]), out["first_s"])


def cli_argv(op: str, q: Queries, repo: Path, rev: str | None = None) -> list[str]:
    base = [sys.executable, "-m", "clinigate", "audit"]
    if rev is not None:  # the history as it stood at an older commit of the line
        return [*base, "verify", "--rev", rev, "--format", "json", "--repo", str(repo)]
    if op == "at":
        return [*base, "at", MODEL, q.moment, "--env", ENV, "--format", "json", "--repo", str(repo)]
    if op == "timeline":
        return [*base, "timeline", MODEL, "--format", "json", "--repo", str(repo)]
    since = ["--since", q.since] if op == "verify-since" else []
    return [*base, "verify", *since, "--format", "json", "--repo", str(repo)]


def cli_answer(op: str, stdout: str) -> Any:
    body = json.loads(stdout)
    if op == "at":
        return body["in_force"]["after"] if body["in_force"] else None
    if op == "timeline":
        return len(body["deployments"])
    return sorted(f"{f['rule']} {m['path']}" for m in body["manifests"] for f in m["findings"])


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    return time.perf_counter() - started, done


CLI_OPS = ("at", "timeline", "verify", "verify-since")
GIT_OPS = {"git log -- deployment.yaml": ["log", "--first-parent", "--format=%H", "--", DEPLOYMENT],
           "git log --raw -- models policies": ["log", "--first-parent", "--raw", "--", "models", "policies"]}


# (operation, cache mode, results key): cold = no cache (every run judges all from Git); warm = the
# answers the last run kept; incremental = the cache left by `verify --rev <since>`, then the tip.
CLI_RUNS = [*((op, "cold", f"cli {op}") for op in CLI_OPS),
            *((op, "warm", f"cli {op} (warm)") for op in CLI_OPS),
            ("verify", "incremental", "cli verify (incremental)")]


def cli_round(settings: list[Setting], q: Queries, results: dict[tuple[str, str], Sample], n: int) -> None:
    for setting in settings if n % 2 == 0 else settings[::-1]:
        for op, mode, key in CLI_RUNS:
            env = child_env(setting.variant, setting.copy != "commit-graph", cache=mode != "cold")
            kept, aside = setting.repo / ".git" / "clinigate", setting.repo / ".git" / "clinigate-warm"
            if mode == "incremental":  # the warm cache set aside, so the next round's warm runs are warm
                kept.rename(aside)
                timed(cli_argv(op, q, setting.repo, rev=q.since), env, REPO)  # untimed: the older state
            wall, done = timed(cli_argv(op, q, setting.repo), env, REPO)
            if mode == "incremental":
                shutil.rmtree(kept)
                aside.rename(kept)
            ok = (0,) if op in ("at", "timeline") else (0, 1)
            if done.returncode not in ok:
                raise SystemExit(f"INVALID BENCHMARK: audit {op} ({mode}) exited {done.returncode} "
                                 f"({setting.label})\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
            sample = results.setdefault((setting.label, key), Sample())
            sample.walls.append(wall)
            sample.answers.append(cli_answer(op, done.stdout))
            print(f"    {setting.label}: audit {op} CLI {mode} run {n + 1} {wall:.3f} s", file=sys.stderr,
                  flush=True)
    for copy, repo in {s.copy: s.repo for s in settings}.items():
        for name, args in GIT_OPS.items():
            wall, done = timed(["git", "-C", str(repo), *args], generate.clean_git_env(), REPO)
            if done.returncode != 0 or not done.stdout:
                raise SystemExit(f"INVALID BENCHMARK: {name} failed on {copy}: {done.stderr}")
            results.setdefault((copy, name), Sample()).walls.append(wall)


def check_answers(results: dict[tuple[str, str], Sample], q: Queries) -> dict[str, Any]:
    """Every variant and copy gave the generator's answer (and the same verify findings)."""
    by_op: dict[str, set[str]] = {}
    for (label, what), sample in results.items():
        op = what.split(" ")[1] if what.startswith(("api ", "cli ")) else None  # "cli at (warm)": at
        if op is None:
            continue
        for answer in sample.answers:
            by_op.setdefault(op, set()).add(json.dumps(answer))
        if op == "at" and any(a != q.expected_version for a in sample.answers):
            raise SystemExit(f"INVALID BENCHMARK: {label} {what} answered {sample.answers[0]!r}, "
                             f"the generator put {q.expected_version!r} in force")
        if op == "timeline" and any(a != q.expected_entries for a in sample.answers):
            raise SystemExit(f"INVALID BENCHMARK: {label} {what} listed {sample.answers[0]} entries, "
                             f"expected {q.expected_entries}")
    for op, answers in by_op.items():
        if len(answers) != 1:
            raise SystemExit(f"INVALID BENCHMARK: the runs of {op} disagree: {sorted(answers)[:2]}")
    return {op: json.loads(next(iter(answers))) for op, answers in by_op.items()}


def first_call(history: History, variant: Variant, q: Queries, workdir: Path) -> tuple[float, bool]:
    """``audit at`` once on a fresh copy without the opt-out: does it write the commit-graph, at what cost?"""
    scratch = Path(tempfile.mkdtemp(prefix="first-call-", dir=workdir))
    try:
        shutil.copytree(history.plain, scratch / "repo", symlinks=True)
        wall, done = timed(cli_argv("at", q, scratch / "repo"), child_env(variant, opt_out=False), REPO)
        if done.returncode != 0:
            raise SystemExit(f"INVALID BENCHMARK: first audit at exited {done.returncode}: "
                             f"{done.stderr[-2000:]}")
        return wall, has_commit_graph(scratch / "repo")
    finally:
        shutil.rmtree(scratch)


# ---------------------------------------------------------------- report


ROWS = [("at", "`audit at` (API)", "api at"), ("at", "`audit at` (CLI, cold)", "cli at"),
        ("at", "`audit at` (CLI, warm)", "cli at (warm)"),
        ("timeline", "`audit timeline` (API)", "api timeline"),
        ("timeline", "`audit timeline` (CLI, cold)", "cli timeline"),
        ("timeline", "`audit timeline` (CLI, warm)", "cli timeline (warm)"),
        ("verify", "`audit verify`, whole history (API)", "api verify"),
        ("verify", "`audit verify`, whole history (CLI, cold)", "cli verify"),
        ("verify", "`audit verify`, whole history (CLI, warm)", "cli verify (warm)"),
        ("verify", "`audit verify`, incremental re-run (CLI)", "cli verify (incremental)"),
        ("verify-since", "`audit verify --since` (API)", "api verify-since"),
        ("verify-since", "`audit verify --since` (CLI, cold)", "cli verify-since"),
        ("verify-since", "`audit verify --since` (CLI, warm)", "cli verify-since (warm)")]


def table(history: History, settings: list[Setting], results: dict[tuple[str, str], Sample],
          answers: dict[str, Any], firsts: dict[str, tuple[float, bool]], q: Queries, runs: int) -> str:
    plan = history.plan
    deploys = len(plan.deployments()) - 1
    head = "| what | " + " | ".join(s.label for s in settings) + " |"
    lines = ["# clinigate audit benchmark", "",
             f"**history** {plan.commits:,} first-parent commits, a deployment change every {plan.every} "
             f"({deploys} changes, {q.expected_entries} timeline entries), policies edited every "
             f"{plan.policy_every or '—'}, readmission-30d's model.yaml every {plan.model_every or '—'}; "
             f"built in {history.build_s:.1f} s (pack {history.pack_mb:.1f} MiB) · **commit-graph** "
             f"written in {history.graph_write_s:.2f} s ({history.graph_mb:.1f} MiB) · **runs** {runs} "
             f"(medians) · **nproc** {os.cpu_count()} · **Python** {platform.python_version()} · "
             f"**git** {git(history.plain, '--version').strip().split()[-1]} · "
             f"**date** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · **load average** "
             f"{LOAD_AT_START} at start, {Path('/proc/loadavg').read_text().split()[0]} at end", "",
             f"`audit at {MODEL} {q.moment} --env {ENV}` → {answers.get('at')!r}; `--since` "
             f"{q.since[:12]}; verify findings: whole {len(answers.get('verify', []))}, since "
             f"{len(answers.get('verify-since', []))}.", "",
             "## Medians (s), and × the bare `git log` on the same copy", "",
             head, "|---|" + "---:|" * len(settings)]
    floors = list(GIT_OPS)
    for name in floors:
        cells = [f"{results[(s.copy, name)].median:.3f}" for s in settings]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    for _, label, key in ROWS:
        cells = []
        for s in settings:
            sample = results[(s.label, key)]
            ratios = " / ".join(f"×{sample.median / results[(s.copy, f)].median:.1f}" for f in floors)
            cells.append(f"{sample.median:.3f} ({ratios})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Ratios: × `git log -- deployment.yaml` / × `git log --raw -- models policies`. API = "
              "the call in a warm process (imports done, after one warm-up call), no audit cache; CLI = "
              "a fresh `python -m clinigate` process per run (start-up included), runs interleaved: "
              "cold = CLINIGATE_NO_AUDIT_CACHE=1, warm = the answers the previous run kept in "
              ".git/clinigate/audit/, incremental = the cache `audit verify --rev <since>` left "
              f"({q.since[:12]}, before the last two production changes), then the tip.", "",
              "## Commit-graph on first use (one `audit at` CLI run on a fresh copy, no opt-out)", "",
              "| code | wall (s) | commit-graph written |", "|---|---:|---|"]
    for name, (wall, written) in firsts.items():
        lines.append(f"| {name} | {wall:.3f} | {'yes' if written else 'no'} |")
    lines += ["", "## Targets (CLI median, the first code variant, commit-graph copy)", ""]
    lines += targets(settings, results)
    return "\n".join(lines) + "\n"


def targets(settings: list[Setting], results: dict[tuple[str, str], Sample]) -> list[str]:
    mine = next(s for s in settings if s.copy == "commit-graph" and s.variant is settings[0].variant)
    out = []
    for op, goal in TARGETS.items():
        accepted = ACCEPTED_AT if op == "at" else goal
        keys = [f"cli {op}"] if "(" in op else [f"cli {op} (warm)", f"cli {op}"]
        for key in keys:
            value = results[(mine.label, key)].median
            verdict = "PASS" if value <= goal else ("PASS (accepted)" if value <= accepted else "FAIL")
            mode = "" if "(" in op else (" warm" if "warm" in key else " cold")
            out.append(f"- `audit {op}`{mode} ≤ {goal} s{f' (≤ {accepted} s accepted)' if op == 'at' else ''}"
                       f": {value:.3f} s → {verdict}")
    return out


def save(workdir: Path, text: str, results: dict[tuple[str, str], Sample], answers: dict[str, Any]) -> None:
    (workdir / "results-audit.md").write_text(text, encoding="utf-8")
    raw = {f"{label} | {what}": {"median_s": s.median, "walls_s": s.walls, "first_s": s.first_s}
           for (label, what), s in results.items()}
    (workdir / "results-audit.json").write_text(json.dumps({"results": raw, "answers": answers}, indent=2))


# ---------------------------------------------------------------- main


def queries(history: History) -> Queries:
    plan = history.plan
    moment = (plan.date(0) + plan.date(plan.commits - 1)) // 2 + plan.step // 3
    version, entries = plan.expected(moment)
    changes = [index for index, _ in plan.deployments()]
    since = history.commit(max(0, changes[-2] - 1)) if len(changes) > 2 else history.commit(0)
    when = datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")
    return Queries(when, since, version, entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="See benchmarks/README.md for how to read the output.")
    parser.add_argument("--commits", type=int, default=50_000, help="first-parent commits (default 50000)")
    parser.add_argument("--every", type=int, default=250,
                        help="a deployment change every N commits (default 250)")
    parser.add_argument("--policy-every", type=int, default=10_000,
                        help="an edit of policies/README.md every N commits (default 10000; 0: never)")
    parser.add_argument("--model-every", type=int, default=1_000,
                        help="an edit of readmission-30d's model.yaml every N commits "
                             "(default 1000; 0: never)")
    parser.add_argument("--step", type=int, default=1800, help="seconds between commit dates (default 1800)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measurement (default 5)")
    parser.add_argument("--workdir", type=Path, default=HERE / "out",
                        help="where the generated history is cached (default benchmarks/out)")
    parser.add_argument("--compare", metavar="REV", default=None,
                        help="also measure tooling/clinigate as committed at REV (e.g. main), side by side")
    args = parser.parse_args(argv)
    global LOAD_AT_START
    LOAD_AT_START = Path("/proc/loadavg").read_text().split()[0]
    if args.runs < 1 or args.every < 2 or args.commits < 2 * args.every + 2:
        parser.error("--runs ≥ 1, --every ≥ 2 and --commits ≥ 2 × --every + 2")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    plan = Plan(args.commits, args.every, args.policy_every, args.model_every, args.step)
    history = build(plan, workdir)
    q = queries(history)
    code = variants(args.compare, workdir)
    settings = [Setting(v, copy, repo) for v in code
                for copy, repo in (("no commit-graph", history.plain), ("commit-graph", history.graph))]
    results: dict[tuple[str, str], Sample] = {}
    for setting in settings:
        for op in CLI_OPS:
            print(f"  {setting.label}: audit {op} API", file=sys.stderr, flush=True)
            results[(setting.label, f"api {op}")] = api(setting, op, q, history.tip, args.runs)
    for setting in settings:  # one untimed warm-up of each command (page cache, .pyc files, the cache)
        for op in CLI_OPS:
            for cache in (False, True):
                env = child_env(setting.variant, setting.copy != "commit-graph", cache=cache)
                timed(cli_argv(op, q, setting.repo), env, REPO)
    for n in range(args.runs):
        cli_round(settings, q, results, n)
    if has_commit_graph(history.plain):
        raise SystemExit("INVALID BENCHMARK: the no-commit-graph copy got one (the opt-out was not honoured)")
    answers = check_answers(results, q)
    firsts = {v.name: first_call(history, v, q, workdir) for v in code}
    text = table(history, settings, results, answers, firsts, q, args.runs)
    save(workdir, text, results, answers)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
