"""The Rego unit-test runner behind ``clinigate policy test`` (OPA conventions).

    >>> run = run_tests(load_bundle(repo_root))                     # doctest: +SKIP
    >>> run.summary()
    '41 passed, 0 failed, 1 skipped'
    >>> run_tests(load_bundle(repo_root), engine="opa").summary()   # doctest: +SKIP

Every ``test_*`` rule of every ``*_test.rego`` is evaluated on its own engine holding the
production modules, the test modules and the data; the decision engine never sees a test.
A test passes when it is ``true``; ``false`` or undefined fails; an evaluation error is an
error with its location; ``todo_test_*`` is reported as skipped. A test module that does not
compile is an error of that file and does not stop the other files' tests.

``engine="embedded"`` (regorus) runs here; ``engine="opa"`` runs the same tests on real OPA
(:mod:`.opa_testing`), which is the authority where the two differ (DESIGN §5).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .. import layout
from ..errors import UsageError
from .bundle import PolicyBundle, PolicyModule
from .embedded import (
    RegorusProblem,
    add_module,
    compile_check,
    data_ref,
    new_regorus_engine,
    query_value,
    take_prints,
)
from .engine import PolicyCompileError

TEST_ENGINES = ("embedded", "opa")
TEST_NAME = re.compile(r"(todo_)?test_\w+")
_PACKAGE_LINE = re.compile(r"^\s*package\s+(\S+)", re.MULTILINE)


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RegoTest:
    """One ``test_*`` (or ``todo_test_*``) rule, found in a test module's syntax tree."""

    __test__ = False  # not a pytest class

    package: str
    name: str
    file: str
    line: int

    @property
    def todo(self) -> bool:
        return self.name.startswith("todo_")


@dataclass(frozen=True)
class RegoTestResult:
    __test__ = False

    name: str
    package: str
    file: str
    line: int | None
    outcome: Outcome
    message: str | None = None
    column: int | None = None
    prints: tuple[str, ...] = ()
    duration_ms: float | None = 0.0  # None: run together with other tests, not timed alone

    @property
    def location(self) -> str:
        return ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": str(self.outcome), "prints": list(self.prints)}


@dataclass(frozen=True)
class FileCoverage:
    """Lines of one production module that the tests evaluated, and those they never reached."""

    path: str
    covered: tuple[int, ...]
    not_covered: tuple[int, ...]

    @property
    def percent(self) -> float:
        total = len(self.covered) + len(self.not_covered)
        return 100.0 * len(self.covered) / total if total else 100.0


@dataclass
class RegoTestRun:
    __test__ = False

    results: list[RegoTestResult] = field(default_factory=list)
    coverage: list[FileCoverage] | None = None

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def passed(self) -> bool:
        return not any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in self.results)

    @property
    def problems(self) -> list[RegoTestResult]:
        return [r for r in self.results if r.outcome in (Outcome.FAILED, Outcome.ERROR)]

    def summary(self) -> str:
        """``N passed, N failed``, then ``, N errors`` and ``, N skipped`` when there are any."""
        text = f"{self.count(Outcome.PASSED)} passed, {self.count(Outcome.FAILED)} failed"
        errors, skipped = self.count(Outcome.ERROR), self.count(Outcome.SKIPPED)
        if errors:
            text += f", {errors} error{'s' if errors != 1 else ''}"
        if skipped:
            text += f", {skipped} skipped"
        return text

    def to_dict(self) -> dict[str, Any]:
        counts = {str(o): self.count(o) for o in Outcome}
        coverage = None if self.coverage is None else [
            {**asdict(c), "percent": round(c.percent, 1)} for c in self.coverage]
        return {"summary": counts, "passed": self.passed, "tests": [r.to_dict() for r in self.results],
                "coverage": coverage}


def run_tests(bundle: PolicyBundle, *, coverage: bool = False, engine: str = "embedded") -> RegoTestRun:
    """Run every test of ``bundle.tests`` against ``bundle.modules`` and ``bundle.data`` on ``engine``."""
    if engine not in TEST_ENGINES:
        raise UsageError(f"policy tests run on {' or '.join(TEST_ENGINES)}, not {engine!r}")
    if engine == "opa":
        from .opa_testing import run_tests_on_opa

        return run_tests_on_opa(bundle, coverage=coverage)
    return _run_on_regorus(bundle, coverage=coverage)


def _run_on_regorus(bundle: PolicyBundle, *, coverage: bool) -> RegoTestRun:
    try:
        base = new_regorus_engine(bundle.modules, bundle.data)
    except PolicyCompileError as exc:  # nothing can run: one error, located in the production module
        return RegoTestRun([module_error(exc, exc.file or layout.POLICIES_DIR, "")])
    engine, loaded, results = _engine_with_tests(base, bundle.tests)
    if coverage:
        engine.set_enable_coverage(True)
    for test in discover_tests(engine, loaded):
        results.append(_run_one(engine, test))
    run = RegoTestRun(in_file_order(results))
    if coverage:
        run.coverage = _coverage(engine, {m.path for m in bundle.modules})
    return run


def discover_tests(engine: Any, modules: Iterable[PolicyModule]) -> list[RegoTest]:
    """The test rules of ``modules`` (which ``engine`` holds), in file and line order.

    Read from regorus's syntax tree rather than by pattern, so a commented-out or quoted
    ``test_x`` is never a test, and functions (``test_f(x)``) or partial rules are not tests.
    """
    wanted = {m.path for m in modules}
    found: dict[tuple[str, str], RegoTest] = {}
    for entry in json.loads(engine.get_ast_as_json()):
        file = str(entry.get("source", {}).get("file", ""))
        if file not in wanted:
            continue
        tree = entry.get("ast", {})
        package = ".".join(_ref_segments(tree.get("package", {}).get("refr")) or ["?"])
        for rule in tree.get("rules", []):
            test = _as_test(rule, package, file)
            if test is not None:
                found.setdefault((package, test.name), test)
    return sorted(found.values(), key=lambda t: (t.file, t.line, t.name))


def _as_test(rule: Any, package: str, file: str) -> RegoTest | None:
    spec = rule.get("Spec") if isinstance(rule, dict) else None
    if not isinstance(spec, dict):
        return None
    head = spec.get("head", {})
    complete = head.get("Compr") if isinstance(head, dict) else None  # not Set, Func or ref heads
    if not isinstance(complete, dict):
        return None
    var = (complete.get("refr") or {}).get("Var")
    name = var.get("value") if isinstance(var, dict) else None
    if not isinstance(name, str) or not TEST_NAME.fullmatch(name):
        return None
    line = (spec.get("span") or {}).get("line", 0)
    return RegoTest(package, name, file, int(line))


def _ref_segments(ref: Any) -> list[str]:
    if not isinstance(ref, dict):
        return []
    if "Var" in ref:
        return [str(ref["Var"].get("value"))]
    if "RefDot" in ref:
        dot = ref["RefDot"]
        return [*_ref_segments(dot.get("refr")), str(dot.get("field", [None, "?"])[1])]
    if "RefBrack" in ref:
        brack = ref["RefBrack"]
        index = brack.get("index", {})
        key = index.get("String", {}).get("value") if isinstance(index, dict) else None
        return [*_ref_segments(brack.get("refr")), str(key)]
    return []


def _engine_with_tests(base: Any,
                       tests: list[PolicyModule]) -> tuple[Any, list[PolicyModule], list[RegoTestResult]]:
    """A clone of ``base`` with every test module that compiles, and an error for each that does not."""
    errors: list[RegoTestResult] = []
    parsed: list[PolicyModule] = []
    engine = base.clone()
    for module in tests:
        try:
            add_module(engine, module)
            parsed.append(module)
        except PolicyCompileError as exc:
            errors.append(module_error(exc, module.path, package_of(module)))
    try:
        compile_check(engine)
        return engine, parsed, errors
    except PolicyCompileError:
        pass
    # Some module breaks analysis of all of them (an unsafe variable, a conflict): find it alone.
    engine, loaded = base.clone(), []
    for module in parsed:
        trial = base.clone()
        add_module(trial, module)
        try:
            compile_check(trial)
        except PolicyCompileError as exc:
            errors.append(module_error(exc, module.path, package_of(module)))
            continue
        add_module(engine, module)
        loaded.append(module)
    try:
        compile_check(engine)
    except PolicyCompileError as exc:  # fine alone, broken together: nothing of them can run
        errors.extend(module_error(exc, m.path, package_of(m)) for m in loaded)
        return engine, [], errors
    return engine, loaded, errors


def _run_one(engine: Any, test: RegoTest) -> RegoTestResult:
    if test.todo:
        return skipped(test)
    segments = [*test.package.split("."), test.name]
    start = time.perf_counter()
    try:
        value = query_value(engine, segments)
    except Exception as exc:  # an engine error is the test's error, with where it happened
        problem = RegorusProblem.from_exception(exc)
        same_file = problem.file == test.file
        return RegoTestResult(test.name, test.package, test.file, problem.row if same_file else test.line,
                              Outcome.ERROR, _where_else(problem, test), problem.col if same_file else None,
                              tuple(take_prints(engine)), elapsed_ms(start))
    return verdict(test, value, tuple(take_prints(engine)), elapsed_ms(start))


def verdict(test: RegoTest, value: Any, prints: tuple[str, ...], duration_ms: float | None) -> RegoTestResult:
    """Passed when ``value`` is true; otherwise failed, saying what the rule was (None: undefined)."""
    if value is True:
        return RegoTestResult(test.name, test.package, test.file, test.line, Outcome.PASSED,
                              duration_ms=duration_ms)
    described = "undefined" if value is None else json.dumps(value)[:120]
    return RegoTestResult(test.name, test.package, test.file, test.line, Outcome.FAILED,
                          f"{data_ref([*test.package.split('.'), test.name])} is {described}, not true",
                          prints=prints, duration_ms=duration_ms)


def skipped(test: RegoTest) -> RegoTestResult:
    return RegoTestResult(test.name, test.package, test.file, test.line, Outcome.SKIPPED, "todo")


def in_file_order(results: Iterable[RegoTestResult]) -> list[RegoTestResult]:
    return sorted(results, key=lambda r: (r.file, r.line or 0, r.name))


def _where_else(problem: RegorusProblem, test: RegoTest) -> str:
    return problem.message if problem.file in (None, test.file) else problem.located


def module_error(exc: PolicyCompileError, file: str, package: str) -> RegoTestResult:
    """The error result of a whole module; its message names another file only when it is elsewhere."""
    same_file = exc.file in (None, file)
    message = exc.reason if same_file else str(exc)
    return RegoTestResult("(module does not compile)", package, file, exc.row if same_file else None,
                          Outcome.ERROR, message, exc.col if same_file else None)


def package_of(module: PolicyModule) -> str:
    match = _PACKAGE_LINE.search(module.source)
    return match.group(1) if match else ""


def _coverage(engine: Any, production: set[str]) -> list[FileCoverage]:
    report = json.loads(engine.get_coverage_report_as_json())
    return [FileCoverage(f["path"], tuple(f.get("covered", [])), tuple(f.get("not_covered", [])))
            for f in sorted(report.get("files", []), key=lambda f: str(f.get("path")))
            if f.get("path") in production]


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
