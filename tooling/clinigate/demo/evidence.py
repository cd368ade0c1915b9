"""The demo's evidence step: the new version's numbers computed from predictions, not typed."""

from __future__ import annotations

from pathlib import Path

from .. import layout
from ..gitrepo import Git
from ..manifest import strict_yaml
from ..manifest.monitoring_report import CITATION_PREFIX
from .step import DEMO_AUTHOR, DEMO_MODEL, Step

ROWS, SEED = 24_000, 2026  # deterministic: the same predictions, digests and numbers every run
REPORT_ID = "2026-q4"


def evidence_step(workdir: Path, git: Git, branch: str, relpath: str) -> Step:
    """On ``branch``, evaluate synthetic predictions into ``relpath`` and commit both."""
    from ..evidence.run import Request, run_evaluate
    from ..report.evaluate import text
    from .synthetic import write_predictions

    git.switch(branch)
    manifest = strict_yaml.parse((workdir / relpath).read_text(encoding="utf-8"))
    model, version = manifest["model"], manifest["version"]
    predictions = f"{layout.evidence_dir(model, version)}/predictions.parquet"
    write_predictions(workdir / predictions, manifest, rows=ROWS, seed=SEED)
    request = Request(workdir / predictions, "label", "score", None, None, into=relpath)
    outcome = run_evaluate(workdir, request)
    git.commit_all(f"Evaluate {model} {version} from its predictions", author=DEMO_AUTHOR[0],
                   email=DEMO_AUTHOR[1])
    git.switch("main")
    return Step(
        "The numbers are computed, not typed",
        f"{predictions} holds the locked validation set's predictions (synthetic here: {ROWS:,} "
        "cases). clinigate evaluate computes the overall and per-subgroup metrics with 95% "
        "intervals (DeLong for the AUC), writes them into the manifest with the predictions' "
        "SHA-256, and the gate recomputes them from the same file: a number typed by hand, or a "
        "file swapped later, is denied as gates.evidence_mismatch.",
        command=f"clinigate evaluate --predictions {predictions} --into {relpath}",
        output=text(outcome).rstrip(),
        ok=outcome.evaluation.overall.auc is not None and relpath in outcome.written,
        details={"outcome": outcome},
    )


def monitoring_step(workdir: Path, git: Git, branch: str, relpath: str) -> Step:
    """On main, a quarter of production data against the validated baseline fires the PSI trigger;
    on ``branch``, the new version cites the report as the problem it answers."""
    import datetime as dt

    from ..evidence.monitor import MonitorRequest, run_monitor
    from ..report.monitor import text
    from .synthetic import write_predictions

    production = _production_version(workdir)
    manifest = strict_yaml.parse((workdir / layout.version_path(DEMO_MODEL, production))
                                 .read_text(encoding="utf-8"))
    reference = f"{layout.evidence_dir(DEMO_MODEL, production)}/predictions.parquet"
    current = f"{layout.monitoring_dir(DEMO_MODEL)}/{REPORT_ID}/production.parquet"
    write_predictions(workdir / reference, manifest, rows=ROWS, seed=SEED)
    write_predictions(workdir / current, manifest, rows=ROWS // 3, seed=SEED + 1, shift=0.7)
    outcome = run_monitor(workdir, MonitorRequest(workdir / reference, workdir / current, DEMO_MODEL,
                                                  report_id=REPORT_ID, today=dt.date(2026, 12, 1)))
    git.commit_all(f"Monitoring report {REPORT_ID} for {DEMO_MODEL} {production}", author=DEMO_AUTHOR[0],
                   email=DEMO_AUTHOR[1])
    git.switch(branch)
    git.run(["-c", f"user.name={DEMO_AUTHOR[0]}", "-c", f"user.email={DEMO_AUTHOR[1]}", "-c",
             "commit.gpgsign=false", "merge", "-q", "--no-edit", "main"])
    _cite(workdir / relpath, f"{CITATION_PREFIX}{REPORT_ID}")
    git.commit_all(f"Cite monitoring report {REPORT_ID}", author=DEMO_AUTHOR[0], email=DEMO_AUTHOR[1])
    git.switch("main")
    return Step(
        "Production drifts, and the plan says what to do",
        f"A quarter of production predictions is compared with {production}'s validation set: the "
        "score's population stability index is above the version's monitoring threshold, so the "
        "report (a MonitoringReport document; merging one takes the quality role's approval) names "
        "the PCCP modification it "
        f"starts, a data update. The new version on {branch} cites it in change.problem_reports, and "
        "validate checks that the report exists.",
        command=f"clinigate monitor --model {DEMO_MODEL} --reference {reference} --current {current} "
                f"--id {REPORT_ID}",
        output=text(outcome).rstrip(),
        ok=any(t.on == "drift" for t in outcome.report.triggers),
        details={"outcome": outcome},
    )


def _production_version(workdir: Path) -> str:
    path = workdir / layout.deployment_path(DEMO_MODEL)
    deployment = strict_yaml.parse(path.read_text(encoding="utf-8"))
    return str(deployment["environments"]["production"]["version"])


def _cite(path: Path, citation: str) -> None:
    """Add ``citation`` to change.problem_reports (the list is created at the end of change:)."""
    import re

    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("  problem_reports:\n")
    if sep:
        path.write_text(f"{head}{sep}    - {citation}\n{rest}", encoding="utf-8")
        return
    change = re.search(r"(?m)^change:\n(?:[ #].*\n|\n)*", text)
    if change is None:
        raise ValueError(f"{path} has no change block")
    at = change.end()
    path.write_text(f"{text[:at]}  problem_reports:\n    - {citation}\n{text[at:]}", encoding="utf-8")
