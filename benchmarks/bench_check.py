#!/usr/bin/env python3
"""Benchmark ``clinigate check`` on a one-model pull request, and the Rego engines (DESIGN §11).

    python benchmarks/bench_check.py [--sizes 1000,10000] [--runs 5] [--decision-inputs 100]

For each size (ModelVersion manifests: 1,000 = 100 models × 10 versions, 10,000 = 200 × 50,
the registries of bench_validate.py, taken from its cache in benchmarks/out/ or generated),
it builds a pull request in a fresh working clone (benchmarks/out/check-<registry>/):

  main                 the generated registry + this repository's policies/ (the Rego files and
                       policies/data/defaults.yaml; the registry keeps its own roles.yaml),
  bench/one-version    one commit that adds ONE version to ONE model: the model's latest
                       manifest, bumped to the next minor, parent = the previous latest, new
                       training.dataset.sha256 and artifact.sha256, the next MLflow version
                       and run id, a later submitted_on, declared_class data_update.

``clinigate validate --repo DIR`` must find nothing on the branch. Then it measures

  a. ``clinigate check --base main --head bench/one-version --format json`` run in DIR: the
     whole process (start-up included), one warm-up per size and then --runs timed runs, the
     sizes interleaved so that other load on the machine hits them alike; median. Every run
     must exit 0 (pass) or 1 (denied / approvals pending) and print a JSON decision for exactly
     the one added manifest; exit 3 (environment) or anything else makes the benchmark invalid.
     Also ``run_check()`` called in this process (no start-up, imports done), and the bare
     ``git diff`` the check starts with;
  b. in-process, on the 1,000 registry: the policy decision per manifest on the embedded engine
     (regorus) and on regopy: ``registry_corpus`` over an evenly spaced subset of the models
     (--decision-inputs manifests as if each were being added), each engine loaded once
     (load time reported), one warm-up pass over every input, then --decision-rounds timed
     passes; median and p90 of the per-call times of ``evaluate("clinigate.decision.result")``.

clinigate runs from a frozen snapshot of tooling/clinigate (as bench_validate.py does) unless
--no-snapshot is given; the in-process part imports the same snapshot. The Markdown table goes to
stdout and to benchmarks/out/results-check.md, raw numbers to benchmarks/out/results-check.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import bench_validate as bv
import generate

HERE, REPO, OUT = bv.HERE, bv.REPO, bv.OUT
BRANCH = "bench/one-version"
TARGET_CHECK_S = 2.0
COMMIT_DATE = "2025-01-06T09:00:00+00:00"  # fixed: the same commit ids on every run


# ---------------------------------------------------------------- building the pull request


def git(folder: Path, *args: str, date_: str = COMMIT_DATE) -> str:
    env = {**generate.clean_git_env(), "GIT_AUTHOR_DATE": date_, "GIT_COMMITTER_DATE": date_}
    done = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {folder}: {done.stderr.strip()}")
    return done.stdout


def new_digest(*parts: object) -> str:
    """A sha256 hex digest YAML reads as text: it holds a letter other than e (never an int or
    a float such as ``123e45``)."""
    salt = 0
    while True:
        digest = generate.hexdigest("bench-check", *parts, salt)
        if re.search(r"[a-df]", digest):
            return digest
        salt += 1


def semver_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _replace_in_block(text: str, block: str, end: str, pattern: str, repl: str) -> str:
    """Replace the first ``pattern`` between the top-level ``block:`` line and ``end:``."""
    start = text.index(f"\n{block}:\n")
    stop = text.index(f"\n{end}:", start + 1)
    part, count = re.subn(pattern, repl, text[start:stop], count=1, flags=re.MULTILINE)
    if count != 1:
        raise SystemExit(f"{pattern!r} not found in the {block}: block")
    return text[:start] + part + text[stop:]


def next_version_text(text: str, model: str, latest: str) -> tuple[str, str]:
    """The latest manifest turned into the next minor version: a data update."""
    major, minor, _ = semver_key(latest)
    version = f"{major}.{minor + 1}.0"

    def line(key: str, value: str) -> None:
        nonlocal text
        text, count = re.subn(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.MULTILINE)
        if count != 1:
            raise SystemExit(f"no top-level {key}: in {model} {latest}")

    submitted = re.search(r"^submitted_on: (\S+)$", text, re.MULTILINE)
    uri = re.search(r"^  uri: models:/[^/]+/(\d+)$", text, re.MULTILINE)
    if submitted is None or uri is None:
        raise SystemExit(f"no submitted_on: or artifact uri: in {model} {latest}")
    line("version", version)
    line("parent", latest)
    line("submitted_on", (date.fromisoformat(submitted[1]) + timedelta(days=21)).isoformat())
    text = re.sub(r'^  summary: ".*"$', '  summary: "Retrained on the refreshed data extract"',
                  text, count=1, flags=re.MULTILINE)
    text = re.sub(r'^  rationale: ".*"$', '  rationale: "Quarterly refresh of the training data; '
                  'same features, algorithm and hyperparameters."', text, count=1, flags=re.MULTILINE)
    text = re.sub(r"^  declared_class: .*$", "  declared_class: data_update", text, count=1,
                  flags=re.MULTILINE)
    registered = int(uri[1]) + 1
    text = _replace_in_block(text, "artifact", "training", r"^  uri: .*$",
                             f"  uri: models:/{model}/{registered}")
    text = _replace_in_block(text, "artifact", "training", r"^  sha256: .*$",
                             f"  sha256: {new_digest(model, version, 'artifact')}")
    text = _replace_in_block(text, "artifact", "training", r"^    version: \d+$",
                             f"    version: {registered}")
    text = _replace_in_block(text, "artifact", "training", r"^    run_id: .*$",
                             f"    run_id: {new_digest(model, version, 'run')[:32]}")
    text = _replace_in_block(text, "training", "validation", r"^    sha256: .*$",
                             f"    sha256: {new_digest(model, version, 'training')}")
    return version, text


@dataclass
class PullRequest:
    folder: Path
    source: Path
    documents: int  # registry documents on the branch
    model: str
    parent: str
    version: str
    path: str
    build_s: float


def build_pull_request(size: int, seed: int) -> PullRequest:
    started = time.perf_counter()
    source = bv.registry(size, seed)
    models, versions = bv.shape(size)
    folder = OUT / f"check-{source.name}"
    if folder.exists():
        shutil.rmtree(folder)
    git(OUT, "clone", "-q", "--branch", "main", str(source), str(folder))

    # the registry's own roles.yaml stays: its people are the manifests' submitters
    keep = {folder / "policies" / "data" / "roles.yaml"}
    for policy in sorted((REPO / "policies").rglob("*")):
        target = folder / policy.relative_to(REPO)
        if policy.is_dir() or target in keep or "__pycache__" in policy.parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(policy, target)
    git(folder, "add", "-A")
    git(folder, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "Add the policies")

    # ONE new version of ONE model (the middle one, so it is neither first nor last on disk)
    model = sorted(os.listdir(folder / "models"))[models // 2]
    vdir = folder / "models" / model / "versions"
    latest = max((p.stem for p in vdir.glob("*.yaml")), key=semver_key)
    version, text = next_version_text((vdir / f"{latest}.yaml").read_text(encoding="utf-8"),
                                      model, latest)
    path = f"models/{model}/versions/{version}.yaml"
    (folder / path).write_text(text, encoding="utf-8")
    git(folder, "switch", "-q", "-c", BRANCH)
    git(folder, "add", path)
    git(folder, "-c", "commit.gpgsign=false", "commit", "-q", "-m",
        f"{model} {version}: retrain on the refreshed data extract",
        date_="2025-01-07T09:00:00+00:00")
    changed = git(folder, "diff", "--name-only", "main", BRANCH).split()
    if changed != [path]:
        raise SystemExit(f"INVALID BENCHMARK: the branch changes {changed}, expected [{path}]")
    documents = bv.generate.document_count(models, versions) + 1  # and the version the branch adds
    return PullRequest(folder, source, documents, model, latest, version, path,
                       time.perf_counter() - started)


# ---------------------------------------------------------------- a. the check command


@dataclass
class CheckResult:
    size: int
    pr: PullRequest
    measurement: bv.Measurement
    exit_codes: list[int]
    decision: str
    manifest: dict[str, Any]
    git_diff_s: float = 0.0
    run_check_s: float | None = None  # median of run_check() in-process


def _check_report(run: bv.Run, pr: PullRequest) -> dict[str, Any]:
    """The JSON of one run; anything but a decision on exactly the one added file is fatal."""
    if run.returncode not in (0, 1):
        raise SystemExit(f"INVALID BENCHMARK: clinigate check exited {run.returncode} "
                         f"(3 = environment problem)\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    try:
        report: dict[str, Any] = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"INVALID BENCHMARK: clinigate check printed no JSON (exit {run.returncode})"
                         f"\n{run.stdout[-2000:]}{run.stderr[-2000:]}") from None
    paths = [m["path"] for m in report.get("manifests", [])]
    if paths != [pr.path] or report.get("decision") not in ("pass", "fail", "pending"):
        raise SystemExit(f"INVALID BENCHMARK: expected a decision on [{pr.path}], got "
                         f"decision {report.get('decision')!r} on {paths}")
    manifest = report["manifests"][0]
    if any(f["rule"] == "policy.undefined" for f in manifest["findings"]):
        raise SystemExit(f"INVALID BENCHMARK: the policies returned no decision: {manifest}")
    return report


def prepare(size: int, args: argparse.Namespace, clinigate: list[str]) -> PullRequest:
    print(f"size {size:,}", file=sys.stderr, flush=True)
    pr = build_pull_request(size, args.seed)
    print(f"  pull request: {pr.path} (parent {pr.parent}) in {pr.folder.relative_to(REPO)} "
          f"({pr.build_s:.1f} s to set up)", file=sys.stderr, flush=True)
    bv.require_clean_report(clinigate, pr.folder, pr.documents)
    return pr


def bench_checks(sizes: list[int], prs: list[PullRequest], args: argparse.Namespace,
                 clinigate: list[str]) -> list[CheckResult]:
    """All sizes side by side: one warm-up each, then the timed runs interleaved (1,000, 10,000,
    10,000, 1,000, …) so that other load on the machine hits every size alike."""
    argv = [*clinigate, "check", "--base", "main", "--head", BRANCH, "--format", "json"]
    shown = f"clinigate check --base main --head {BRANCH} --format json"
    before = {pr.folder: bv.snapshot(pr.folder) for pr in prs}
    warmups = {pr.folder: bv.run_once(argv, pr.folder, sample_tree=True) for pr in prs}
    timed: dict[Path, list[bv.Run]] = {pr.folder: [] for pr in prs}
    pairs = list(zip(sizes, prs, strict=True))
    for n in range(args.runs):
        for size, pr in (pairs if n % 2 == 0 else pairs[::-1]):
            run = bv.run_once(argv, pr.folder)
            _check_report(run, pr)
            timed[pr.folder].append(run)
            print(f"    {size:,}: run {n + 1}/{args.runs} {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s "
                  f"CPU, {run.max_rss_mb:.0f} MB, exit {run.returncode}", file=sys.stderr, flush=True)
    results = []
    for size, pr in zip(sizes, prs, strict=True):
        first = warmups[pr.folder]
        m = bv.Measurement(size, "clinigate check (one added version)", shown, 1, timed[pr.folder],
                           first.tree_pss_mb, "", first.wall_s)
        reports = [_check_report(run, pr) for run in [first, *m.runs]]
        if len({json.dumps(r, sort_keys=True) for r in reports}) != 1:
            raise SystemExit(f"INVALID BENCHMARK: the runs at {size:,} gave different reports")
        written = bv.snapshot(pr.folder) - before[pr.folder]
        if written:
            m.note = f"check wrote {len(written)} files into the registry: runs may be warm"
            print(f"  WARNING: {m.note}, e.g. {sorted(written)[0]}", file=sys.stderr)
        # the floor clinigate cannot go below: the same git diff as a bare process
        diff = bv.run_once(["git", "diff", "--no-renames", "--name-status", "-z", "main", BRANCH],
                           pr.folder)
        results.append(CheckResult(size, pr, m, [r.returncode for r in m.runs],
                                   reports[0]["decision"], reports[0]["manifests"][0], diff.wall_s))
    return results


def bench_run_check(check: CheckResult, runs: int) -> None:
    """``run_check`` in this process (imports done, engine extension loaded): the part of
    ``check`` that depends on the registry and the change, without interpreter start-up."""
    from clinigate.gate.check import run_check

    times = []
    for n in range(runs + 1):
        started = time.perf_counter()
        report = run_check(check.pr.folder, base="main", head=BRANCH)
        if n:
            times.append(time.perf_counter() - started)
        if [m.path for m in report.manifests] != [check.pr.path] or report.decision != check.decision:
            raise SystemExit("INVALID BENCHMARK: run_check in-process disagrees with the CLI")
    check.run_check_s = statistics.median(times)


# ---------------------------------------------------------------- b. decision time per engine


@dataclass
class EngineResult:
    engine: str
    version: str
    inputs: int
    rounds: int
    load_s: float
    reload_s: float
    first_s: float
    samples: list[float]
    decisions: dict[str, int]

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90_s(self) -> float:
        return statistics.quantiles(self.samples, n=10, method="inclusive")[-1]


def corpus_registry(source: Path, models: int) -> Path:
    """An evenly spaced subset of ``models`` models of ``source`` (plus roles and schemas)."""
    names = sorted(os.listdir(source / "models"))
    step = max(1, len(names) // models)
    picked = names[::step][:models]
    folder = OUT / f"check-corpus-{len(picked)}of-{source.name}"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source / "schemas", folder / "schemas")
    (folder / "policies" / "data").mkdir(parents=True)
    shutil.copy2(source / "policies" / "data" / "roles.yaml", folder / "policies" / "data")
    for name in picked:
        shutil.copytree(source / "models" / name, folder / "models" / name)
    return folder


def bench_engines(args: argparse.Namespace, policy_root: Path) -> tuple[list[EngineResult], str]:
    from importlib.metadata import version as dist_version

    from clinigate.policy.bundle import load_bundle
    from clinigate.policy.crosscheck import normalise, registry_corpus
    from clinigate.policy.decision import DECISION_RULE
    from clinigate.policy.engine import make_engine

    source = bv.registry(1000, args.seed)
    _, per_model = bv.shape(1000)
    models = max(1, -(-args.decision_inputs // per_model))
    subset = corpus_registry(source, models)
    bundle = load_bundle(policy_root)
    started = time.perf_counter()
    corpus = [(label, item) for label, item in
              registry_corpus(subset, bundle.data["clinigate"]["defaults"]) if " · " not in label]
    corpus = corpus[:args.decision_inputs]  # the inputs as if each version were being added
    built = time.perf_counter() - started
    where = (f"{len(corpus)} manifests of {models} models of the 1,000 registry, "
             f"corpus built in {built:.1f} s")
    print(f"engines: {where}", file=sys.stderr, flush=True)

    versions = {"embedded": f"regorus (gordon-to-regorus {dist_version('gordon-to-regorus')})"}
    if importlib.util.find_spec("regopy") is not None:
        versions["regopy"] = f"regopy {dist_version('regopy')}"
    else:  # the cross-check engine is an extra: time the embedded one alone rather than crash
        print("  regopy is not installed (pip install 'clinigate[crosscheck]'): embedded engine only",
              file=sys.stderr, flush=True)
    results, answers = [], {}
    for name in versions:
        started = time.perf_counter()
        engine = make_engine(name)
        engine.load(bundle)
        load = time.perf_counter() - started
        again = make_engine(name)
        started = time.perf_counter()
        again.load(bundle)
        reload = time.perf_counter() - started
        again.close()
        try:
            started = time.perf_counter()
            first = engine.evaluate(DECISION_RULE, corpus[0][1])
            first_s = time.perf_counter() - started
            answers[name] = [normalise(first)] + [normalise(engine.evaluate(DECISION_RULE, item))
                                                  for _, item in corpus[1:]]  # warm-up pass
            samples = []
            for _ in range(args.decision_rounds):
                for _, item in corpus:
                    started = time.perf_counter()
                    engine.evaluate(DECISION_RULE, item)
                    samples.append(time.perf_counter() - started)
        finally:
            engine.close()
        counts: dict[str, int] = {}
        for answer in answers[name]:
            denied = sorted({d.get("rule", "?") for d in (answer or {}).get("deny") or []})
            key = (f"deny ({', '.join(denied)})" if denied
                   else f"no deny ({(answer or {}).get('change_class')})")
            counts[key] = counts.get(key, 0) + 1
        result = EngineResult(name, versions[name], len(corpus), args.decision_rounds, load,
                              reload, first_s, samples, counts)
        results.append(result)
        print(f"  {name}: load {load * 1000:.0f} ms, median {result.median_s * 1000:.2f} ms, "
              f"p90 {result.p90_s * 1000:.2f} ms per decision", file=sys.stderr, flush=True)
    if "regopy" in answers:
        differ = sum(a != b for a, b in zip(answers["embedded"], answers["regopy"], strict=True))
        where += f"; the two engines disagree on {differ} of {len(corpus)}"
    else:
        where += "; regopy not installed, so no cross-check"
    return results, where


# ---------------------------------------------------------------- report


def table(checks: list[CheckResult], engines: list[EngineResult], engines_note: str,
          facts: dict[str, str]) -> str:
    lines = ["# clinigate check benchmark", "",
             " · ".join(f"**{k}** {v}" for k, v in facts.items()), "",
             "## `clinigate check` on a pull request adding one version to one model", "",
             "| size | documents | changed file | runs | wall median (s) | wall min–max (s) | "
             "CPU median (s) | peak RSS, largest process (MB) | peak PSS, process tree (MB) | "
             "`run_check` in-process (s) | exit | decision | change class | PCCP status | "
             "regulatory action | deny / warn | `git diff` alone (s) |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---:|---:|"]
    for c in checks:
        m, walls, doc = c.measurement, [r.wall_s for r in c.measurement.runs], c.manifest
        deny = sum(f["severity"] == "error" for f in doc["findings"])
        warn = len(doc["findings"]) - deny
        lines.append(
            f"| {c.size:,} | {c.pr.documents:,} | `{c.pr.path}` (parent {c.pr.parent}) | "
            f"{len(walls)} | {m.median_s:.3f} | {min(walls):.3f}–{max(walls):.3f} | {m.cpu_s:.3f} | "
            f"{bv.fmt_mb(m.rss_mb)} | {bv.fmt_mb(m.tree_pss_mb)} | "
            f"{'—' if c.run_check_s is None else f'{c.run_check_s:.3f}'} | "
            f"{'/'.join(sorted({str(x) for x in c.exit_codes}))} | {c.decision} | "
            f"{doc['change_class']} | {doc['pccp_status']} | {doc['regulatory_action']} | "
            f"{deny} / {warn} | {c.git_diff_s:.3f} |")
    if checks:
        lines += ["", "Command, run in the working clone: `clinigate check --base main --head "
                  f"{BRANCH} --format json`. Wall = whole process (start-up included), median "
                  "of the timed runs after one warm-up; no clinigate cache (fresh "
                  "XDG_CACHE_HOME per run), OS page cache warm; the sizes' runs are "
                  "interleaved. `run_check` in-process = the same check as a function call in "
                  "the benchmark's process after a warm-up (no interpreter start-up, imports "
                  "done): wall minus this is start-up and imports. `git diff` alone = the "
                  "diff the check starts with, as a bare process. Exit 1 with decision "
                  "`pending` means the gates passed and approvals are missing, as on any "
                  "fresh PR."]
        for c in checks:
            rules = sorted({f"{f['rule']}" for f in c.manifest["findings"]})
            if rules:
                lines.append(f"- {c.size:,}: findings on the changed manifest: "
                             + ", ".join(f"`{r}`" for r in rules))
            lines.append(f"- {c.size:,}: required approvals "
                         f"{', '.join(c.manifest['required_roles']) or 'none'}")
    if engines:
        lines += ["", "## Policy decision per manifest, in-process", "",
                  f"Inputs: {engines_note}.", "",
                  "| engine | inputs × rounds | load once (ms) | load again (ms) | "
                  "first evaluate (ms) | per decision median (ms) | p90 (ms) | max (ms) | "
                  "decisions (warm-up pass) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for e in engines:
            lines.append(
                f"| {e.engine}: {e.version} | {e.inputs} × {e.rounds} | {e.load_s * 1e3:.1f} | "
                f"{e.reload_s * 1e3:.1f} | {e.first_s * 1e3:.2f} | {e.median_s * 1e3:.3f} | "
                f"{e.p90_s * 1e3:.3f} | {max(e.samples) * 1e3:.3f} | "
                f"{', '.join(f'{k} {v}' for k, v in sorted(e.decisions.items()))} |")
        lines += ["", "load once = make_engine + load(bundle) the first time in the process "
                  "(imports the engine's extension); load again = a second engine in the same "
                  "process. first evaluate = the first query (regopy compiles each query once); "
                  "per decision = each `evaluate(\"clinigate.decision.result\", input)` after a "
                  "warm-up pass over all inputs (input serialised to JSON, evaluated, result "
                  "parsed). decisions = what the policies said in the warm-up pass (the same on "
                  "both engines unless the note above says they disagree); the generated "
                  "registry's consecutive versions change more than their declared class says "
                  "(features, hyperparameters), so most are denied `gates.declared_class`: "
                  "a property of the synthetic data, and every rule is still evaluated."]
    lines += ["", "## DESIGN §11 target", ""]
    by_size = {c.size: c.measurement.median_s for c in checks}
    if 10_000 in by_size:
        s = by_size[10_000]
        lines.append(f"- check on a PR touching one model, 10,000 manifests ≤ {TARGET_CHECK_S:.0f} s "
                     f"wall: {s:.2f} s → {'PASS' if s <= TARGET_CHECK_S else 'FAIL'}")
    else:
        lines.append("- check at 10,000 manifests: not measured in this run (add 10000 to --sizes)")
    if 1000 in by_size and 10_000 in by_size:
        a, b = by_size[1000], by_size[10_000]
        lines.append(f"- the same at 1,000 (± noise): {a:.2f} s vs {b:.2f} s at 10,000 "
                     f"({(b - a) * 1000:+.0f} ms, ×{b / a:.2f})")
    return "\n".join(lines) + "\n"


def save(checks: list[CheckResult], engines: list[EngineResult], note: str,
         facts: dict[str, str]) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    text = table(checks, engines, note, facts)
    (OUT / "results-check.md").write_text(text, encoding="utf-8")
    raw = {"machine": facts, "check": [
        {"size": c.size, "documents": c.pr.documents, "changed": c.pr.path, "decision": c.decision,
         "manifest": c.manifest, "exit_codes": c.exit_codes, "median_s": c.measurement.median_s,
         "warmup_s": c.measurement.warmup_s, "tree_pss_mb": c.measurement.tree_pss_mb,
         "git_diff_s": c.git_diff_s, "run_check_s": c.run_check_s,
         "runs": [{"wall_s": r.wall_s, "cpu_s": r.cpu_s, "max_rss_mb": r.max_rss_mb}
                  for r in c.measurement.runs]} for c in checks],
        "engines": [{"engine": e.engine, "version": e.version, "inputs": e.inputs,
                     "load_s": e.load_s, "reload_s": e.reload_s, "first_s": e.first_s,
                     "median_s": e.median_s, "p90_s": e.p90_s, "decisions": e.decisions,
                     "samples_s": e.samples} for e in engines], "engines_note": note}
    (OUT / "results-check.json").write_text(json.dumps(raw, indent=2))
    return text


def facts_for(clinigate: list[str], code: str) -> dict[str, str]:
    try:
        facts = bv.machine(clinigate, code)
    except SystemExit:  # check-jsonschema is not installed: not needed here
        facts = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "nproc": str(os.cpu_count()), "clinigate code": code}
    facts.pop("check-jsonschema", None)
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="See benchmarks/README.md for how to read the output.")
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated numbers of version manifests (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed check runs per size")
    parser.add_argument("--decision-inputs", type=int, default=100,
                        help="manifests of the 1,000 registry timed on each engine (default 100)")
    parser.add_argument("--decision-rounds", type=int, default=5,
                        help="timed passes over those inputs per engine (default 5)")
    parser.add_argument("--skip-engines", action="store_true", help="leave the engine part out")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="run the installed clinigate as is instead of a frozen copy of "
                             "tooling/clinigate")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.runs < 1 or args.decision_inputs < 2 or args.decision_rounds < 1:
        parser.error("--runs and --decision-rounds must be ≥ 1, --decision-inputs ≥ 2")

    OUT.mkdir(parents=True, exist_ok=True)
    if args.no_snapshot:
        clinigate, code = [bv.tool("clinigate")], "the installed package, live (--no-snapshot)"
    else:
        clinigate, tag = bv.snapshot_package()
        sys.path.insert(0, bv.CHILD_ENV["PYTHONPATH"])  # the in-process part uses it too
        code = f"snapshot {tag} of tooling/clinigate taken at start, run as `python -m clinigate`"
    facts = facts_for(clinigate, code)
    checks: list[CheckResult] = []
    engines: list[EngineResult] = []
    note = ""
    prs = [prepare(size, args, clinigate) for size in sizes]
    print("clinigate check, all sizes interleaved", file=sys.stderr, flush=True)
    checks = bench_checks(sizes, prs, args, clinigate)
    save(checks, engines, note, facts)  # keep partial results if the in-process part fails
    import clinigate as package

    if not args.no_snapshot and not package.__file__.startswith(bv.CHILD_ENV["PYTHONPATH"]):
        raise SystemExit(f"in-process part imported {package.__file__}, not the snapshot")
    if not args.skip_engines:  # first: "load once" then includes importing the engine
        engines, note = bench_engines(args, checks[0].pr.folder if checks else REPO)
    for check in checks:
        bench_run_check(check, args.runs)
    facts["load average at end"] = Path("/proc/loadavg").read_text().split()[0]
    print(save(checks, engines, note, facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
