"""``audit report | card | release-notes``: the documents people read, opened as people open them.

The HTML report is opened in headless Chromium (a screenshot, and the DOM Chromium rendered);
the PDF is Chromium's print, read back with pypdf. Manifest text that looks like HTML, a
template or Markdown prints as the text it is, in every format.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from testing.fixtures import git

from clinigate.dossier.pdf import chromium, run_chromium
from clinigate.errors import EnvironmentProblem

pytestmark = pytest.mark.slow

PRODUCTION = "models/sepsis-ews/versions/1.2.0.yaml"
INJECTION = "<script>alert(1)</script> {{ 7*7 }} **bold** | pipe | [link](http://evil.example) `tick`"


def needs_chromium() -> None:
    """Skip where no Chromium is installed, unless CLINIGATE_REQUIRE_CHROMIUM=1 (CI): then fail."""
    try:
        chromium()
    except EnvironmentProblem as exc:
        if os.environ.get("CLINIGATE_REQUIRE_CHROMIUM") == "1":
            pytest.fail(exc.message)
        pytest.skip(exc.message)


def report(run_cli, repo: Path, out: Path, *args: str) -> Path:  # type: ignore[no-untyped-def]
    result = run_cli("audit", *args, "-o", str(out), "--repo", str(repo))
    assert result.code == 0, result.stdout + result.stderr
    assert f"wrote {out}" in result.stderr
    return out


def dom_of(page: Path) -> str:
    done = run_chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def table(dom: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}">(.*?)</table>', dom, flags=re.S)
    assert match, f"no table {table_id}"
    return match.group(1)


def pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    return unicodedata.normalize("NFKC", text)


def signatures(run_cli, repo: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    import json

    shown = run_cli("verify", PRODUCTION, "--format", "json", "--repo", str(repo))
    assert shown.code == 0, shown.stdout
    return list(json.loads(shown.stdout)["documents"][0]["approvals"])


def test_the_html_report_in_chromium_holds_every_section(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    needs_chromium()
    page = report(run_cli, demo_registry, tmp_path / "report.html", "report", "sepsis-ews", "1.2.0")
    shot = tmp_path / "report.png"
    done = run_chromium(f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = dom_of(page)
    subgroups = table(dom, "subgroup-table")
    for group in ("18-44", "80+", "female", "Black or African American", "Hispanic or Latino"):
        assert f"<td>{group}" in subgroups.replace("&amp;", "&")
    forest = re.search(r'<figure id="forest-plot">(.*?)</figure>', dom, flags=re.S)
    assert forest and "<svg" in forest.group(1) and "<title" in forest.group(1)
    approvals = table(dom, "approvals-table")
    for act in signatures(run_cli, demo_registry):
        assert act["printed_name"] in approvals and act["meaning"] in approvals
        assert act["trusted_time"] in approvals and "(trusted: rfc3161)" in approvals
    hti1 = table(dom, "hti1-table")
    assert len(re.findall(r"<tr><td class=\"num\">\d+</td>", hti1)) == 31
    assert "Decision role" in dom or "decision role" in hti1.lower()
    criteria = table(dom, "criteria-table")
    assert "overall AUC ≥ minimum" in criteria and ">pass<" in criteria


def test_the_pdf_has_the_same_sections(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    needs_chromium()
    pdf = report(run_cli, demo_registry, tmp_path / "report.pdf", "report", "sepsis-ews", "1.2.0",
                 "--format", "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = pdf_text(pdf)
    for heading in ("Identity and intended use", "ONC HTI-1 source attributes", "Training data and demographics",
                    "Validation, overall and by subgroup", "Change control (PCCP)", "Approval chain",
                    "Deployment history", "Monitoring plan", "Limitations and ethical considerations",
                    "What this report was built from"):
        assert heading in text, heading
    for act in signatures(run_cli, demo_registry):
        assert act["printed_name"] in text


def test_manifest_text_prints_as_text_in_every_format(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    needs_chromium()
    path = demo_registry / PRODUCTION
    text = path.read_text()
    assert "  limitations: >-\n" in text
    path.write_text(text.replace("  limitations: >-\n", f"  limitations: >-\n    {INJECTION}\n", 1))
    git(demo_registry, "commit", "-qam", "a limitation that looks like code")
    html = report(run_cli, demo_registry, tmp_path / "r.html", "report", "sepsis-ews", "1.2.0").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "**bold** | pipe |" in html
    markdown = report(run_cli, demo_registry, tmp_path / "r.md", "report", "sepsis-ews", "1.2.0",
                      "--format", "md").read_text()
    assert "<script>" not in markdown and r"\<script\>alert(1)\</script\>" in markdown
    assert r"\*\*bold\*\* \| pipe \| \[link\](http://evil.example) \`tick\`" in markdown
    assert r"{{ 7\*7 }}" in markdown  # braces are not Markdown; the template never evaluates data
    dom = dom_of(tmp_path / "r.html")
    assert "alert(1)" in dom and "<script>alert" not in dom  # shown, never run
    pdf = report(run_cli, demo_registry, tmp_path / "r.pdf", "report", "sepsis-ews", "1.2.0", "--format", "pdf")
    printed = pdf_text(pdf)
    assert "<script>alert(1)</script>" in printed and "{{ 7*7 }}" in printed


def test_card_and_release_notes(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    card = report(run_cli, demo_registry, tmp_path / "card.md", "card", "sepsis-ews", "1.2.1",
                  "--format", "md").read_text()
    assert "## ONC HTI-1 source attributes" in card and "## Approval chain" not in card
    assert len(re.findall(r"^\| \d+ \|", card, flags=re.M)) == 31
    notes = report(run_cli, demo_registry, tmp_path / "notes.md", "release-notes", "sepsis-ews", "1.2.1",
                   "--format", "md").read_text()
    assert "**Against the parent version 1.2.0**" in notes
    assert "| overall AUC | 0.876 | 0.876 | +0.000 |" in notes
    assert "### Version history" in notes and "| 1.3.0 |" in notes


def test_refusals(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    kept = tmp_path / "kept.html"
    kept.write_text("mine")
    result = run_cli("audit", "report", "sepsis-ews", "1.2.0", "-o", str(kept), "--repo", str(demo_registry))
    assert result.code == 2 and "never replaces a file" in result.stderr and kept.read_text() == "mine"
    unknown = run_cli("audit", "report", "sepsis-ews", "9.9.9", "--repo", str(demo_registry))
    assert unknown.code == 2 and "never landed" in unknown.stderr and "1.2.0" in unknown.stderr
    assert "Traceback" not in unknown.stderr
