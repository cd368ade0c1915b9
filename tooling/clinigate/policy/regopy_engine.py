"""regopy (rego-cpp, an independent C++ Rego engine): the second opinion for ``policy crosscheck``.

Never the engine that decides a gate: regopy orders numbers as strings, gets ``semver.compare``
wrong and silently ignores unsafe variables (shared/notes/rego-engines.md §3). The wrapper
follows the hardening rules of §1 and §9.2:

- a fresh ``Interpreter`` per :meth:`RegopyEngine.load` (a failed ``add_module`` poisons it);
- ``LogLevel.NONE``: otherwise the C++ library prints errors to the process's stdout;
- strict built-in errors, so ``1/0`` is an error as in regorus, not a silently undefined deny;
- one fixed query shape per rule, ``value := data.<rule>``: a malformed query would return the
  *previous* query's result, and the binding keeps ``false`` apart from undefined;
- each query is compiled once into a rego-cpp bundle (``build``) and then run per input
  (``query_bundle``): a plain ``query()`` recompiles every time, ~12x slower on our policies;
- ``str(output)``/``node()`` are never touched when ``ok()`` is false (they crash the process).

``print()`` in a policy still goes to the process's raw stdout; ``policy lint`` refuses it in
production modules, the only ones this engine loads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .bundle import PolicyBundle
from .engine import (
    EngineNotInstalled,
    PolicyCompileError,
    PolicyEngineError,
    format_location,
    input_json,
    rule_path,
)

# rego-cpp reports positions as `(error <len>:<file>|<byte offset>|<length>` and messages as
# `(errormsg <len>:<text>)`, length-prefixed in bytes.
_ERROR = re.compile(rb"\(error (\d+):")
_SPAN = re.compile(rb"\|(\d+)\|(\d+)")
_ERRORMSG = re.compile(rb"\(errormsg (\d+):")


@dataclass(frozen=True)
class RegopyProblem:
    message: str
    file: str | None = None
    offset: int | None = None
    more: int = 0

    @classmethod
    def parse(cls, text: str) -> RegopyProblem:
        raw = text.encode()
        errors = list(_ERROR.finditer(raw))
        message = _prefixed(raw, _ERRORMSG.search(raw)) or " ".join(text.split())[:300]
        if not errors:
            return cls(message or "no message from the engine")
        first = errors[0]
        file = _prefixed(raw, first)
        span = _SPAN.match(raw, first.end() + int(first.group(1)))
        return cls(message, file, int(span.group(1)) if span else None, len(errors) - 1)

    def located(self, sources: Mapping[str, str]) -> tuple[str | None, int | None, int | None, str]:
        """(file, row, col, message) with the byte offset turned into a 1-based row and column."""
        message = self.message + (f" (and {self.more} more)" if self.more else "")
        source = sources.get(self.file or "")
        if source is None or self.offset is None:
            return self.file, None, None, message
        before = source.encode()[: self.offset]
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", "replace")) + 1
        return self.file, before.count(b"\n") + 1, column, message


def _prefixed(raw: bytes, match: re.Match[bytes] | None) -> str | None:
    if match is None:
        return None
    return raw[match.end(): match.end() + int(match.group(1))].decode("utf-8", "replace")


def import_regopy() -> Any:
    try:
        import regopy  # type: ignore[import-untyped]
    except ImportError:
        raise EngineNotInstalled("regopy", "the regopy engine is not installed",
                                 hint="pip install 'regopy>=1.5.2' (only policy crosscheck needs it)"
                                 ) from None
    return regopy


class RegopyEngine:
    name = "regopy"

    def __init__(self) -> None:
        self._interpreter: Any = None
        self._sources: dict[str, str] = {}
        self._plans: dict[str, Any] = {}  # data.<rule> -> compiled bundle of `value := data.<rule>`

    def load(self, bundle: PolicyBundle) -> None:
        regopy = import_regopy()
        self._interpreter = None
        self._plans = {}
        self._sources = {m.path: m.source for m in bundle.modules}
        interpreter = regopy.Interpreter()
        interpreter.log_level = regopy.LogLevel.NONE
        interpreter.strict_built_in_errors = True
        try:
            interpreter.add_data_json(json.dumps(bundle.data, allow_nan=False))
        except Exception as exc:  # any failure of the foreign engine becomes ours
            raise PolicyEngineError(f"regopy refused the policy data: {self._describe(str(exc))}") from None
        for module in bundle.modules:
            try:
                interpreter.add_module(module.path, module.source)
            except Exception as exc:
                file, row, col, message = RegopyProblem.parse(str(exc)).located(self._sources)
                raise PolicyCompileError(message, file=file or module.path, row=row, col=col,
                                         engine=self.name) from None
        self._interpreter = interpreter

    def evaluate(self, rule: str, input: Mapping[str, Any]) -> Any:
        segments = rule_path(rule)
        target = "data." + ".".join(segments)
        if self._interpreter is None:
            raise PolicyEngineError("the regopy engine has no policies loaded; call load() first")
        plan = self._plan(target)
        try:
            self._interpreter.set_input_term(input_json(input))
            output = self._interpreter.query_bundle(plan)
        except PolicyEngineError:
            raise
        except ValueError:  # Output() json-decodes the answer; rego-cpp sometimes answers in S-expressions
            raise PolicyEngineError(f"regopy gave no JSON answer for {target} "
                                    "(an unknown built-in or a recursion in the policies?)") from None
        except Exception as exc:
            reason = self._describe(str(exc))
            raise PolicyEngineError(f"regopy could not evaluate {target}: {reason}") from None
        if not output.ok():
            raise PolicyEngineError(f"regopy could not evaluate {target}: {self._last_error()}")
        results = output.results
        if not results or "value" not in results[0].bindings:
            return None
        return results[0].bindings["value"]

    def close(self) -> None:
        self._interpreter = None
        self._plans = {}

    def _plan(self, target: str) -> Any:
        plan = self._plans.get(target)
        if plan is None:
            try:
                plan = self._interpreter.build(f"value := {target}")
            except Exception as exc:
                file, row, col, message = RegopyProblem.parse(str(exc)).located(self._sources)
                if file in self._sources:
                    raise PolicyCompileError(message, file=file, row=row, col=col, engine=self.name) from None
                raise PolicyEngineError(f"regopy could not compile a query for {target}: "
                                        f"{format_location(file, row, col)}{message}") from None
            self._plans[target] = plan
        return plan

    def _last_error(self) -> str:
        # The only safe read of a failed output (notes §1); private, hence the guard.
        try:
            from regopy.rego_shared import rego_get_error  # type: ignore[import-untyped]

            text = str(rego_get_error(self._interpreter._impl))
        except Exception:
            text = ""
        if not text.strip():
            return "no message from the engine (a rule conflict or a failing built-in?)"
        return self._describe(text)

    def _describe(self, text: str) -> str:
        file, row, col, message = RegopyProblem.parse(text).located(self._sources)
        return f"{format_location(file, row, col)}{message}"
