"""The default engine: regorus, a Rust Rego engine in-process (PyPI ``gordon-to-regorus``).

Rego v1 only: v0 mode is never switched on, so ``deny[msg] { … }`` is a compile error here
instead of silently becoming an object as it does in regopy. regorus compiles lazily, on the
first query; :func:`compile_check` forces that at load time so that an unsafe variable is a
:class:`PolicyCompileError` with file:row:col, never a gate that quietly evaluates to undefined.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .bundle import PolicyBundle, PolicyModule
from .engine import (
    EngineNotInstalled,
    PolicyCompileError,
    PolicyEngineError,
    format_location,
    input_json,
    rule_path,
    strip_backtrace,
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOCATION = re.compile(r"^\s*-->\s*(?P<file>.+?):(?P<row>\d+):(?P<col>\d+)\s*$", re.MULTILINE)
_MESSAGE = re.compile(r"^error:\s*(?P<message>.*)", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class RegorusProblem:
    """A regorus error message taken apart: where, and what (without the source excerpt)."""

    message: str
    file: str | None = None
    row: int | None = None
    col: int | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> RegorusProblem:
        text = strip_backtrace(str(exc))
        where = _LOCATION.search(text)
        what = _MESSAGE.search(text)
        message = " ".join((what.group("message") if what else text).split()) or type(exc).__name__
        if where is None:
            return cls(message)
        return cls(message, where.group("file"), int(where.group("row")), int(where.group("col")))

    def compile_error(self) -> PolicyCompileError:
        return PolicyCompileError(self.message, file=self.file, row=self.row, col=self.col, engine="embedded")

    @property
    def located(self) -> str:
        return f"{format_location(self.file, self.row, self.col)}{self.message}"


def import_regorus() -> Any:
    try:
        import regorus  # type: ignore[import-untyped]
    except ImportError:
        raise EngineNotInstalled("embedded",
                                 "the embedded Rego engine is not installed (Python module regorus)",
                                 hint="pip install 'gordon-to-regorus==0.13.0'") from None
    return regorus


def new_regorus_engine(modules: Iterable[PolicyModule], data: Mapping[str, Any]) -> Any:
    """A compiled regorus engine holding ``modules`` and ``data``; prints are gathered, not shown."""
    engine = import_regorus().Engine()
    engine.set_gather_prints(True)
    for module in modules:
        add_module(engine, module)
    try:
        engine.add_data_json(json.dumps(data, allow_nan=False))
    except Exception as exc:  # any failure of the foreign engine becomes ours
        problem = RegorusProblem.from_exception(exc)
        raise PolicyEngineError(f"regorus refused the policy data: {problem.located}") from None
    compile_check(engine)
    return engine


def add_module(engine: Any, module: PolicyModule) -> None:
    """Parse one module into ``engine``; a syntax error names the module's file, row and column."""
    try:
        engine.add_policy(module.path, module.source)
    except Exception as exc:
        problem = RegorusProblem.from_exception(exc)
        raise PolicyCompileError(problem.message, file=problem.file or module.path, row=problem.row,
                                 col=problem.col, engine="embedded") from None


def compile_check(engine: Any) -> None:
    """Make regorus analyse every module now (unsafe variables, conflicts), not at the first gate."""
    try:
        engine.eval_query("true")
    except Exception as exc:
        raise RegorusProblem.from_exception(exc).compile_error() from None


def data_ref(segments: Iterable[str]) -> str:
    """``data.a.b`` for identifiers, ``data.a["b-c"]`` for any other package or rule segment."""
    return "data" + "".join(f".{s}" if _IDENT.fullmatch(s) else f"[{json.dumps(s)}]" for s in segments)


def query_value(engine: Any, segments: Iterable[str]) -> Any:
    """The JSON value of ``data.<segments>`` on the current input, or None when undefined.

    Raises the engine's own exception on evaluation errors (callers decide what it means).
    """
    answer = json.loads(engine.eval_query_as_json(data_ref(segments)))
    results = answer.get("result") or []
    if not results:
        return None
    return results[0]["expressions"][0]["value"]


def take_prints(engine: Any) -> list[str]:
    """What ``print()`` in the policies gathered since the last call (never shown on a terminal)."""
    try:
        return [str(line) for line in engine.take_prints()]
    except Exception:
        return []


class EmbeddedEngine:
    """regorus: one engine per run, policies and data loaded once, input replaced per decision."""

    name = "embedded"

    def __init__(self) -> None:
        self._engine: Any = None

    def load(self, bundle: PolicyBundle) -> None:
        self._engine = None  # a failed reload must not leave the previous policies answering
        self._engine = new_regorus_engine(bundle.modules, bundle.data)

    def evaluate(self, rule: str, input: Mapping[str, Any]) -> Any:
        segments = rule_path(rule)
        if self._engine is None:
            raise PolicyEngineError("the embedded engine has no policies loaded; call load() first")
        try:
            self._engine.set_input_json(input_json(input))
            return query_value(self._engine, segments)
        except PolicyEngineError:
            raise
        except Exception as exc:
            problem = RegorusProblem.from_exception(exc)
            raise PolicyEngineError(f"evaluating {data_ref(segments)} failed: {problem.located}") from None
        finally:
            take_prints(self._engine)  # gathered prints would otherwise pile up for the whole run

    def close(self) -> None:
        self._engine = None
