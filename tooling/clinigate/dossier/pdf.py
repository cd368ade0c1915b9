"""HTML to PDF with headless Chromium's print-to-PDF.

Chromium, not WeasyPrint: the report's acceptance test opens the HTML in Chromium anyway (a
screenshot and the rendered DOM), so one engine both shows and prints the same layout, and
Debian's chromium package needs no Python bindings or Pango stack of its own. The page is a
local file with its CSS and SVG inline, loaded with networking disabled: nothing is fetched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import EnvironmentProblem

CHROMIUM_ENV = "CLINIGATE_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120
# As the machine notes advise: no sandbox (root in CI), no GPU, and none of Chromium's own
# background traffic, which a closed network refuses many times over.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio")


def chromium() -> str:
    """The Chromium binary: $CLINIGATE_CHROMIUM, else the first of CANDIDATES on PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    found = named if named and shutil.which(named) else next(
        (path for name in CANDIDATES if (path := shutil.which(name))), None)
    if found is None:
        raise EnvironmentProblem("a PDF is printed by headless Chromium, and none was found",
                                 hint=f"install Debian's chromium package, or set {CHROMIUM_ENV}")
    return found


def run_chromium(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Chromium with a new empty profile, so no state leaks between runs or into the user's."""
    with tempfile.TemporaryDirectory(prefix="clinigate-chromium-") as profile:
        try:
            return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                                  capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(f"headless Chromium did not finish within {TIMEOUT_SECONDS} s") from None


def html_to_pdf(html: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="clinigate-pdf-") as work:
        page, out = Path(work, "report.html"), Path(work, "report.pdf")
        page.write_text(html, encoding="utf-8")
        done = run_chromium("--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri())
        if not out.is_file() or out.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise EnvironmentProblem(f"headless Chromium printed no PDF (exit {done.returncode}): "
                                     f"{detail[0]}")
        return out.read_bytes()
