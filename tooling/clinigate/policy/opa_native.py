"""Real OPA (Go) in-process, through the ``opa-golib-python-bindings`` wheel (engine ``opa``).

    >>> engine = OpaNativeEngine()                                  # doctest: +SKIP
    >>> engine.load(load_bundle(repo_root))
    >>> engine.evaluate("clinigate.decision.result", facts)

The wheel embeds OPA v1.20.2 as a c-shared library behind ctypes: the same evaluator as
``opa test`` and the OPA server, without a binary or a network. It is the authority where
regorus and OPA read Rego differently (``not`` over an undefined reference, policies/README.md
"Engines"). The wheel declares Python >= 3.14 although its ctypes wrapper runs on 3.11, hence
``pip install --ignore-requires-python``.

OPA parses each module when it is added but compiles them only when a query is prepared, and
prepares each distinct query string once per engine (~0.2 s for our policies; a repeat costs
~10 ms). :meth:`OpaNativeEngine.load` prepares a trivial query so that a policy that does not
compile fails at load, as on the embedded engine, not at the first gate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import EnvironmentProblem
from .bundle import PolicyBundle, PolicyModule
from .engine import (
    EngineNotInstalled,
    PolicyCompileError,
    PolicyEngineError,
    format_location,
    input_json,
    rule_path,
)

WHEEL = "opa-golib-python-bindings==0.4.4"
INSTALL_HINT = (f"pip install --ignore-requires-python '{WHEEL}' (or the extra: "
                "pip install --ignore-requires-python 'clinigate[opa]'); the wheel declares "
                "Python >= 3.14 but runs on 3.11")

# OPA's error text: "<n> error(s) occurred: <file>:<row>: <code>: <message>" per error, each
# optionally followed by tab-indented detail lines (for parse errors: the line and a caret).
_COUNT = re.compile(r"^(?:[\w ]+ failed: )?\d+ errors? occurred:\s*")
_ERROR = re.compile(r"^(?P<file>[^\s:][^:]*?):(?P<row>\d+): (?P<code>[a-z_]+): (?P<message>.*)$")
_CARET = re.compile(r"^\t( *)\^\s*$")


@dataclass(frozen=True)
class OpaProblem:
    """One of OPA's error messages taken apart: where, which kind, and what."""

    message: str
    code: str | None = None
    file: str | None = None
    row: int | None = None
    col: int | None = None
    more: int = 0

    @classmethod
    def parse(cls, text: str, sources: Mapping[str, str] | None = None) -> OpaProblem:
        """The first error of ``text``; ``sources`` (path → Rego) turn a parse error's caret into a column."""
        lines = _COUNT.sub("", text.strip(), count=1).split("\n")
        located = [i for i, line in enumerate(lines) if _ERROR.match(line)]
        if not located:
            return cls(" ".join(text.split()) or "OPA gave no message")
        first = _ERROR.match(lines[located[0]])
        assert first is not None
        file, row = first.group("file"), int(first.group("row"))
        detail = lines[located[0] + 1: located[1] if len(located) > 1 else len(lines)]
        col = _caret_column(detail, (sources or {}).get(file), row)
        message = first.group("message").strip()
        if detail and not any(_CARET.match(line) for line in detail):  # a type error's have/want
            message += " (" + "; ".join(line.strip() for line in detail if line.strip()) + ")"
        return cls(message, first.group("code"), file, row, col, len(located) - 1)

    @property
    def located(self) -> str:
        more = f" (and {self.more} more)" if self.more else ""
        return f"{format_location(self.file, self.row, self.col)}{self.message}{more}"

    def compile_error(self) -> PolicyCompileError:
        more = f" (and {self.more} more)" if self.more else ""
        return PolicyCompileError(f"{self.message}{more}", file=self.file, row=self.row, col=self.col,
                                  engine="opa")


def _caret_column(detail: list[str], source: str | None, row: int) -> int | None:
    """The column of a parse error: OPA prints the line without its leading tabs, then a caret.

    At the end of the file OPA shows the last line that has text under a row past it; the
    column is given only when the line shown is the error's own row.
    """
    caret = next((i for i, line in enumerate(detail) if _CARET.match(line)), None)
    if caret is None or caret == 0 or source is None:
        return None
    lines = source.split("\n")
    if not 0 < row <= len(lines) or lines[row - 1].lstrip("\t") != detail[caret - 1].removeprefix("\t"):
        return None
    match = _CARET.match(detail[caret])
    assert match is not None
    tabs = len(lines[row - 1]) - len(lines[row - 1].lstrip("\t"))
    return tabs + len(match.group(1)) + 1


def import_opa() -> Any:
    """The ``opa_bindings`` module; missing or unloadable is an environment problem (exit 3)."""
    try:
        import opa_bindings  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise EngineNotInstalled("opa", "the OPA engine is not installed (Python module opa_bindings)",
                                 hint=INSTALL_HINT) from None
    return opa_bindings


def new_opa_engine(modules: Iterable[PolicyModule], data: Mapping[str, Any]) -> Any:
    """An OPA engine holding ``modules`` and ``data``, compiled; prints are dropped, never shown."""
    opa = import_opa()
    try:
        engine = opa.OpaEngine()
    except OSError as exc:  # the Go library itself does not load on this platform
        raise EnvironmentProblem(f"the OPA engine's native library does not load: {exc}",
                                 hint=INSTALL_HINT) from None
    engine.print_handler = _drop_print  # the library's default writes to stderr
    try:
        _fill(engine, list(modules), data)
    except BaseException:
        engine.close()  # its Go memory now, not whenever the garbage collector gets to it
        raise
    return engine


def _fill(engine: Any, modules: list[PolicyModule], data: Mapping[str, Any]) -> None:
    opa = import_opa()
    for module in modules:
        add_module(engine, module)
    try:
        engine.add_data(json.loads(json.dumps(data, allow_nan=False)))
    except (opa.OpaError, TypeError, ValueError) as exc:
        reason = OpaProblem.parse(exc.message).located if isinstance(exc, opa.OpaError) else str(exc)
        raise PolicyEngineError(f"OPA refused the policy data: {reason}") from None
    compile_check(engine, {m.path: m.source for m in modules})


def add_module(engine: Any, module: PolicyModule) -> None:
    """Parse one module into ``engine``; a syntax error names the module's file, row and column."""
    try:
        engine.add_policy(module.path, module.source)
    except import_opa().OpaError as exc:
        problem = OpaProblem.parse(exc.message, {module.path: module.source})
        raise replace(problem, file=problem.file or module.path).compile_error() from None


def compile_check(engine: Any, sources: Mapping[str, str]) -> None:
    """Make OPA compile every module now (unsafe variables, type errors, undefined functions)."""
    try:
        engine.eval_query("true")
    except import_opa().OpaError as exc:
        raise OpaProblem.parse(exc.message, sources).compile_error() from None


def document(engine: Any, segments: list[str], input: Any) -> Any:
    """The JSON value of ``data.<segments>``, or None when undefined; OPA's errors propagate."""
    try:
        return engine.eval_document(".".join(segments), input)
    except import_opa().OpaUndefinedError:
        return None


def close_engine(engine: Any) -> None:
    if engine is not None:
        engine.close()  # frees the Go side now; garbage collection would only do it eventually


def _drop_print(message: str, location: str) -> None:
    """print() in a policy reaches no terminal: an engine never prints (engine.py)."""


class OpaNativeEngine:
    """Real OPA in-process: policies and data loaded once, one prepared query per rule."""

    name = "opa"

    def __init__(self) -> None:
        self._engine: Any = None
        self._sources: dict[str, str] = {}

    def load(self, bundle: PolicyBundle) -> None:
        self.close()  # a failed reload must not leave the previous policies answering
        self._sources = {m.path: m.source for m in bundle.modules}
        self._engine = new_opa_engine(bundle.modules, bundle.data)

    def evaluate(self, rule: str, input: Mapping[str, Any]) -> Any:
        segments = rule_path(rule)
        if self._engine is None:
            raise PolicyEngineError("the OPA engine has no policies loaded; call load() first")
        plain = json.loads(input_json(input))  # refuses NaN and non-JSON values before OPA sees them
        try:
            return document(self._engine, segments, plain)
        except import_opa().OpaError as exc:
            problem = OpaProblem.parse(exc.message, self._sources)
            raise PolicyEngineError(f"evaluating data.{'.'.join(segments)} failed: "
                                    f"{problem.located}") from None

    def close(self) -> None:
        engine, self._engine = self._engine, None
        close_engine(engine)
