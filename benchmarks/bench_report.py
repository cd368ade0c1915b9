"""Median time to render one audit report, per format, side by side in one run.

    python benchmarks/bench_report.py --runs 20          # the figures in benchmarks/README.md
    python benchmarks/bench_report.py --runs 2 --no-pdf  # what .ci/run does (a smoke run)

The registry is the bundled example with the demo's signed approvals (every deployed version,
demo CA and TSA), in a temporary folder. Rows: the whole ``render_document`` in process (history
read, approvals judged, HTI-1 crosswalk, the two charts, templates) for Markdown, HTML and PDF
(headless Chromium's print included), and ``clinigate audit report … --format html`` end to end
(process start-up and imports included). The target (issue 13): one report ≤ 2 s, median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
MODEL, VERSION = "sepsis-ews", "1.2.0"


def median_s(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: lazy imports, matplotlib's font cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def registry(tmp: Path) -> Path:
    from testing.approvals import build_demo_registry

    return build_demo_registry(tmp / "registry")


def render(repo: Path, fmt: str) -> bytes:
    from clinigate.audit.query import Auditor
    from clinigate.dossier.document import render_document
    from clinigate.gitrepo import Git

    with Auditor.open(Git(repo), "main") as auditor:
        return render_document(auditor, model=MODEL, version=VERSION, kind="report", fmt=fmt)  # type: ignore[arg-type]


def command(repo: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "clinigate", "audit", "report", MODEL, VERSION, "--format", "html",
                    "-o", str(out), "--force", "--repo", str(repo)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-pdf", action="store_true", help="skip the Chromium row (no Chromium here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        repo = registry(Path(scratch))
        rows = [(f"render_document, {fmt}", median_s(lambda f=fmt: render(repo, f), args.runs))
                for fmt in ("md", "html", *(() if args.no_pdf else ("pdf",)))]
        out = Path(scratch) / "report.html"
        rows.append(("`clinigate audit report --format html` (end to end)",
                     median_s(lambda: command(repo, out), max(1, args.runs // 4))))
    print(f"| what ({MODEL} {VERSION}) | median |\n|---|---|")
    for what, seconds in rows:
        print(f"| {what} | {seconds:.3f} s |")


if __name__ == "__main__":
    main()
