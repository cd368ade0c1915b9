"""``policy test``, ``policy lint`` and ``policy crosscheck`` rendered.

``test`` and ``crosscheck`` take a display option (``--verbose``, ``--show``): their tables are
made for it (:func:`test_renderers`, :func:`crosscheck_renderers`), each renderer still a
function of the result alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..findings import Report
from ..policy.crosscheck import CrosscheckReport
from ..policy.testing import Outcome, RegoTestResult, RegoTestRun
from . import RENDERERS
from .protocol import Renderers


def lint_text(report: Report) -> str:
    """``file:line:col: [rule] message`` per finding, then how many modules had problems."""
    lines = [f"{f.path}:{f.line}:{f.column}: [{f.rule}] {f.message}" for f in report.findings]
    modules = len(report.files)
    if report.findings:
        bad = len({f.path for f in report.findings})
        lines.append(f"{len(report.findings)} problem{'s' * (len(report.findings) != 1)} in {bad} of "
                     f"{modules} module{'s' * (modules != 1)}")
    else:
        lines.append(f"ok: {modules} module{'s' * (modules != 1)} clean")
    return "\n".join(lines) + "\n"


LINT_RENDERERS: Renderers[Report] = Renderers("the policy lint", {**RENDERERS, "text": lint_text})


def test_renderers(*, verbose: bool) -> Renderers[RegoTestRun]:
    """text: failures with file:line (every test with ``verbose``), coverage, the summary; json: all."""
    return Renderers("the Rego test run", {"text": lambda run: _test_text(run, verbose=verbose),
                                           "json": lambda run: json.dumps(run.to_dict(), indent=2) + "\n"})


def _test_text(run: RegoTestRun, *, verbose: bool) -> str:
    lines: list[str] = []
    for result in run.results:
        if result.outcome in (Outcome.FAILED, Outcome.ERROR) or verbose:
            lines.extend(_describe_test(result))
    for file in run.coverage or []:
        missing = f" (not covered: {line_ranges(file.not_covered)})" if file.not_covered else ""
        lines.append(f"coverage: {file.path} {file.percent:.0f}%{missing}")
    lines.append(run.summary())
    return "\n".join(lines) + "\n"


def _describe_test(result: RegoTestResult) -> list[str]:
    label = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}[str(result.outcome)]
    timed = str(result.outcome) == "passed" and result.duration_ms is not None
    timing = f" ({result.duration_ms:.2f} ms)" if timed else ""
    whole_module = result.name.startswith("(") or not result.package
    name = result.name if whole_module else f"{result.package}.{result.name}"
    lines = [f"{label} {result.location}: {name}{timing}"]
    if result.message and str(result.outcome) != "passed":
        lines.append(f"    {result.message}")
    lines.extend(f"    print: {line}" for line in result.prints)
    return lines


def line_ranges(lines: Iterable[int]) -> str:
    """``12, 14-17, 20`` from line numbers."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def crosscheck_renderers(*, show: int) -> Renderers[CrosscheckReport]:
    """text: the engines not run, the first ``show`` differing inputs in full, then the verdict."""
    return Renderers("the engine crosscheck", {"text": lambda report: _crosscheck_text(report, show=show)})


def _crosscheck_text(report: CrosscheckReport, *, show: int) -> str:
    lines = [f"not run: {name}: {why}" for name, why in report.not_run.items()]
    for difference in report.differences[:show]:
        lines.append(f"differs: #{difference.index} {difference.label}")
        lines += [f"  {name}: {json.dumps(result, sort_keys=True)[:2000]}"
                  for name, result in difference.results.items()]
    agreed = report.inputs - len(report.differences)
    lines.append(f"{_listed(report.engines)}: agree on {agreed} of {report.inputs} inputs, "
                 f"differ on {len(report.differences)}")
    return "\n".join(lines) + "\n"


def _listed(names: list[str]) -> str:
    """``embedded, regopy and opa``."""
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"
