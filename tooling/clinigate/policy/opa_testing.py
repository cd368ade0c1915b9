"""``clinigate policy test --engine opa``: the Rego unit tests on real OPA (Go), in-process.

    >>> run_tests_on_opa(load_bundle(repo_root)).summary()          # doctest: +SKIP
    '189 passed, 0 failed'

Same conventions, outcomes and result types as the regorus runner in :mod:`.testing`: one
engine with the production modules, the test modules and the data; ``true`` passes, ``false``
or undefined fails, an evaluation error is an error, ``todo_test_*`` is skipped, a test module
that does not compile is an error of that file. Tests are found in OPA's own syntax tree
(``rego.parse_module``): a complete rule without arguments named ``test_*``, as ``opa test``
finds them.

OPA compiles every module for each distinct query (~0.2 s here), so a query per test would
take a minute. The tests of a package run as one query, ``data.<package>``, whose value holds
every complete rule of the package: a test that is true there passed. Only a test that did not
pass is evaluated again alone, for its own message, prints and time; if the package query
fails (a test errors), its tests are evaluated one by one. A test that passed together with
others has no time of its own (``duration_ms`` None).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from .. import layout
from .bundle import PolicyBundle, PolicyModule
from .engine import PolicyCompileError, PolicyEngineError
from .opa_native import OpaProblem, add_module, close_engine, compile_check, import_opa, new_opa_engine
from .rego_tokens import LexError, tokenize
from .testing import (
    TEST_NAME,
    FileCoverage,
    Outcome,
    RegoTest,
    RegoTestResult,
    RegoTestRun,
    elapsed_ms,
    in_file_order,
    module_error,
    package_of,
    skipped,
    verdict,
)

_PARSE = "module := rego.parse_module(input.file, input.source)"


def run_tests_on_opa(bundle: PolicyBundle, *, coverage: bool = False) -> RegoTestRun:
    """Run every test of ``bundle.tests`` on OPA against ``bundle.modules`` and ``bundle.data``."""
    try:
        engine = new_opa_engine(bundle.modules, bundle.data)
    except PolicyCompileError as exc:  # nothing can run: one error, located in the production module
        return RegoTestRun([module_error(exc, exc.file or layout.POLICIES_DIR, "")])
    engine, loaded, results = _engine_with_tests(engine, bundle)
    runner = _Runner(engine, coverage=coverage)
    try:
        tests = discover_tests(loaded)
        for package in dict.fromkeys(t.package for t in tests):
            results.extend(runner.run_package([t for t in tests if t.package == package]))
    finally:
        close_engine(engine)
    run = RegoTestRun(in_file_order(results))
    if coverage:
        run.coverage = runner.coverage({m.path for m in bundle.modules})
    return run


def discover_tests(modules: Iterable[PolicyModule]) -> list[RegoTest]:
    """The test rules of ``modules`` as OPA's parser sees them, in file and line order."""
    found: dict[tuple[str, str], RegoTest] = {}
    opa = import_opa()
    parser = opa.OpaEngine()  # holds no policies: preparing its one query is instant
    try:
        for module in modules:
            try:
                (bindings,) = parser.eval_query(_PARSE, {"file": module.path, "source": module.source})
            except opa.OpaError as exc:  # it compiled on the test engine, so this is OPA's own fault
                raise PolicyEngineError(f"OPA cannot parse {module.path} a second time: "
                                        f"{OpaProblem.parse(exc.message).located}") from None
            tree = bindings["module"]
            package = ".".join(str(term["value"]) for term in tree["package"]["path"][1:])
            lines = rule_lines(module.source)
            for name in _test_names(tree.get("rules") or []):
                found.setdefault((package, name), RegoTest(package, name, module.path, lines.get(name, 0)))
    finally:
        parser.close()
    return sorted(found.values(), key=lambda t: (t.file, t.line, t.name))


def _test_names(rules: list[dict[str, Any]]) -> Iterator[str]:
    for rule in rules:
        head = rule.get("head") or {}
        name = head.get("name")
        # Functions (args), partial sets (key) and ref heads (test_a.b) are not tests, as in opa test.
        if (isinstance(name, str) and TEST_NAME.fullmatch(name) and not head.get("args")
                and "key" not in head and len(head.get("ref") or []) == 1):
            yield name


def rule_lines(source: str) -> dict[str, int]:
    """The first line of each rule, from the tokens: OPA's parse_module output carries no locations."""
    lines: dict[str, int] = {}
    depth, line_start, after_default = 0, True, False
    try:
        for token in tokenize(source):
            if token.kind == "newline":
                line_start = True
                continue
            if depth == 0 and token.kind == "ident" and (line_start or after_default):
                after_default = token.text == "default"
                if not after_default:
                    lines.setdefault(token.text, token.line)
            if token.kind in ("open", "close"):
                depth += 1 if token.kind == "open" else -1
            line_start = False
    except LexError:  # OPA parsed it, so only the line numbers are lost
        pass
    return lines


def _engine_with_tests(engine: Any,
                       bundle: PolicyBundle) -> tuple[Any, list[PolicyModule], list[RegoTestResult]]:
    """``engine`` with every test module that compiles, and an error for each that does not."""
    errors: list[RegoTestResult] = []
    parsed: list[PolicyModule] = []
    for module in bundle.tests:
        try:
            add_module(engine, module)
            parsed.append(module)
        except PolicyCompileError as exc:
            errors.append(module_error(exc, module.path, package_of(module)))
    sources = {m.path: m.source for m in [*bundle.modules, *parsed]}
    try:
        compile_check(engine, sources)
        return engine, parsed, errors
    except PolicyCompileError:
        close_engine(engine)
    # Some module breaks compilation of all of them (an unsafe variable, a conflict): find it
    # alone, each on a fresh engine (an OPA engine cannot drop a module once added).
    loaded: list[PolicyModule] = []
    for module in parsed:
        trial = new_opa_engine(bundle.modules, bundle.data)
        try:
            add_module(trial, module)
            compile_check(trial, sources)
            loaded.append(module)
        except PolicyCompileError as exc:
            errors.append(module_error(exc, module.path, package_of(module)))
        finally:
            close_engine(trial)
    engine = new_opa_engine(bundle.modules, bundle.data)
    for module in loaded:
        add_module(engine, module)
    try:
        compile_check(engine, sources)
    except PolicyCompileError as exc:  # fine alone, broken together: nothing of them can run
        errors.extend(module_error(exc, m.path, package_of(m)) for m in loaded)
        return engine, [], errors
    return engine, loaded, errors


class _Runner:
    """Evaluates tests on one engine and gathers OPA's coverage of every evaluation."""

    def __init__(self, engine: Any, *, coverage: bool) -> None:
        self.engine = engine
        self.measure = coverage
        self.covered: dict[str, set[int]] = {}
        self.not_covered: dict[str, set[int]] = {}

    def run_package(self, tests: list[RegoTest]) -> list[RegoTestResult]:
        runnable = [t for t in tests if not t.todo]
        results = [skipped(t) for t in tests if t.todo]
        if not runnable:
            return results
        try:
            document = self._evaluate(runnable[0].package.split("."))
        except import_opa().OpaError:  # some test errors: each one alone says which
            document = None
        for test in runnable:
            if isinstance(document, dict) and document.get(test.name) is True:
                results.append(verdict(test, True, (), None))
            else:
                results.append(self.run_alone(test))
        return results

    def run_alone(self, test: RegoTest) -> RegoTestResult:
        start = time.perf_counter()
        try:
            value = self._evaluate([*test.package.split("."), test.name])
        except import_opa().OpaError as exc:
            problem = OpaProblem.parse(exc.message)
            same_file = problem.file == test.file
            message = problem.message if problem.file in (None, test.file) else problem.located
            return RegoTestResult(test.name, test.package, test.file, problem.row if same_file else test.line,
                                  Outcome.ERROR, message, problem.col if same_file else None,
                                  duration_ms=elapsed_ms(start))
        return verdict(test, value, self._prints(), elapsed_ms(start))

    def _evaluate(self, segments: list[str]) -> Any:
        opa = import_opa()
        try:
            return self.engine.eval_document(".".join(segments), None, coverage=self.measure)
        except opa.OpaUndefinedError:
            return None
        finally:
            self._gather(self.engine.last_coverage)

    def _prints(self) -> tuple[str, ...]:
        return tuple(f"{location}: {message}" for message, location in self.engine.last_prints)

    def _gather(self, report: Any) -> None:
        if not isinstance(report, dict):
            return
        for path, spans in (report.get("files") or {}).items():
            self.covered.setdefault(path, set()).update(_rows(spans.get("covered")))
            self.not_covered.setdefault(path, set()).update(_rows(spans.get("not_covered")))

    def coverage(self, production: set[str]) -> list[FileCoverage]:
        return [FileCoverage(path, tuple(sorted(self.covered.get(path, set()))),
                             tuple(sorted(self.not_covered[path] - self.covered.get(path, set()))))
                for path in sorted(self.not_covered.keys() | self.covered.keys()) if path in production]


def _rows(spans: Any) -> Iterator[int]:
    for span in spans or []:
        yield from range(int(span["start"]["row"]), int(span["end"]["row"]) + 1)
