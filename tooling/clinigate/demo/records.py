"""The demo's last steps: the documents an auditor reads, and the approvals they verify alone."""

from __future__ import annotations

from pathlib import Path

from .. import layout
from ..gitrepo import Git
from .step import DEMO_MODEL, Step


def report_step(workdir: Path, git: Git) -> Step:
    """The audit report of the version staging now runs, as HTML (no Chromium needed)."""
    from ..audit.query import Auditor
    from ..dossier.document import render_document
    from ..manifest.deployment import Deployment
    from ..manifest.loader import load_file

    deployment = load_file(workdir, layout.deployment_path(DEMO_MODEL)).document
    assert isinstance(deployment, Deployment)
    version = next(t.version for env, t in deployment.environments.items() if env.value == "staging")
    out = workdir / "reports" / f"{DEMO_MODEL}-{version}.html"
    with Auditor.open(git, "main") as auditor:
        html = render_document(auditor, model=DEMO_MODEL, version=version, kind="report", fmt="html")
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(html)
    return Step(
        "The report a reviewer reads",
        f"The audit report of {DEMO_MODEL} {version}, the version staging just moved to: its intended use "
        "and model card, the 31 ONC HTI-1 source attributes (each answered by a manifest field or marked "
        "not recorded), training and validation demographics, performance by subgroup with a forest plot, "
        "the PCCP acceptance criteria against production and the authorised baseline, every signature "
        "with its printed name, meaning and trusted time, the deployment history and the digests it was "
        "built from. `--format pdf` prints the same page with headless Chromium; `--format md` suits a "
        "pull request.",
        command=f"clinigate audit report {DEMO_MODEL} {version} -o {out}",
        output=f"wrote {out} ({len(html) // 1024} KB)",
        ok=b'id="forest-plot"' in html and b'id="hti1-table"' in html,
    )


def export_step(workdir: Path, git: Git) -> Step:
    """Every approval written out for an auditor who has neither clinigate nor GitHub."""
    from ..audit.bundles import export_bundles

    out = workdir / "audit-export"
    export = export_bundles(git, rev="main", commit=git.resolve("main"), out=out)
    unmerged = [a for a in export.approvals if a.document_file is None]
    return Step(
        "Approvals an auditor verifies without clinigate",
        "A Part 11 record must outlive the tool that made it. The export holds each approval's "
        "Sigstore bundle, the exact document bytes it covers, the roots of trust (the demo CA and "
        "TSA as a Sigstore trusted root) and VERIFY.md: the stock sigstore-js (and, for keyless "
        "approvals, sigstore-python) commands that check each one, plus the subject check they leave "
        "to the auditor.",
        command=f"clinigate audit export --bundle {out}",
        output=f"{len(export.approvals)} approval act(s) written to {out}; "
               f"{len(export.approvals) - len(export.skipped)} verifiable with stock tools "
               f"({len(unmerged)} for a version still on its branch); read {out / 'VERIFY.md'}",
        ok=bool(export.approvals) and all(a in unmerged for a in export.skipped),
    )
