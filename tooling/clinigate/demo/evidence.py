"""The demo's evidence step: the new version's numbers computed from predictions, not typed."""

from __future__ import annotations

from pathlib import Path

from ..gitrepo import Git
from ..manifest import strict_yaml
from .tour import DEMO_AUTHOR, Step

ROWS, SEED = 24_000, 2026  # deterministic: the same predictions, digests and numbers every run


def evidence_step(workdir: Path, git: Git, branch: str, relpath: str) -> Step:
    """On ``branch``, evaluate synthetic predictions into ``relpath`` and commit both."""
    from ..evidence.run import Request, run_evaluate
    from ..report.evaluate import text
    from .synthetic import write_predictions

    git.switch(branch)
    manifest = strict_yaml.parse((workdir / relpath).read_text(encoding="utf-8"))
    model, version = manifest["model"], manifest["version"]
    predictions = f"models/{model}/evidence/{version}/predictions.parquet"
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
