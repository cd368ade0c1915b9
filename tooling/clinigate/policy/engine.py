"""The one seam between clinigate and a Rego engine (DESIGN §5 "Engines").

    >>> from contextlib import closing
    >>> from clinigate.policy.bundle import load_bundle
    >>> from clinigate.policy.engine import make_engine
    >>> with closing(make_engine("embedded")) as engine:            # doctest: +SKIP
    ...     engine.load(load_bundle(repo_root))
    ...     engine.evaluate("clinigate.decision.result", {"subject": {...}})

Every engine loads the policies and data once and then answers many evaluations. An engine
never prints; whatever goes wrong becomes a :class:`PolicyCompileError` (the policies do not
compile, with file:row:col) or a :class:`PolicyEngineError` (evaluation failed, server
unreachable), both exit 3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import EnvironmentProblem, UsageError

if TYPE_CHECKING:
    from .bundle import PolicyBundle

ENGINE_NAMES = ("embedded", "regopy", "opa", "opa-server", "opa-cli")
DEFAULT_TIMEOUT = 10.0


class PolicyEngine(Protocol):
    """Evaluates rules of one loaded :class:`~clinigate.policy.bundle.PolicyBundle`."""

    name: str

    def load(self, bundle: PolicyBundle) -> None:
        """Load the production modules and data; called once per run (again = start over)."""

    def evaluate(self, rule: str, input: Mapping[str, Any]) -> Any:
        """The JSON value of ``data.<rule>`` for ``input``, or None when it is undefined."""

    def close(self) -> None:
        """Release the engine (temporary files, HTTP sessions)."""


class PolicyBundleError(EnvironmentProblem):
    """A file under policies/ cannot be used: unreadable, outside the repo, bad data."""


class PolicyCompileError(EnvironmentProblem):
    """The policies do not compile; ``str()`` is ``file:row:col: message``."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 col: int | None = None, engine: str | None = None, hint: str | None = None) -> None:
        self.file, self.row, self.col, self.engine = file, row, col, engine
        self.reason = message
        super().__init__(f"{format_location(file, row, col)}{message}", hint=hint)


class EngineNotInstalled(EnvironmentProblem):
    """The Python package of an engine is missing; ``hint`` says how to install it."""

    def __init__(self, engine: str, message: str, *, hint: str) -> None:
        self.engine = engine
        super().__init__(message, hint=hint)


class PolicyEngineError(EnvironmentProblem):
    """Evaluation failed, or the engine (a server, a binary) could not be reached."""

    def __init__(self, message: str, *, url: str | None = None, hint: str | None = None) -> None:
        self.url = url
        super().__init__(message, hint=hint)


def format_location(file: str | None, row: int | None, col: int | None) -> str:
    """``"file:row:col: "`` with the parts that are known ("" when none is)."""
    parts = [str(p) for p in (file, row, col) if p is not None] if file else []
    return ":".join(parts) + ": " if parts else ""


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_RULE_PATH = re.compile(rf"{_IDENT}(?:\.{_IDENT})*")


def rule_path(rule: str) -> list[str]:
    """Split ``"clinigate.decision.result"`` (``data.`` optional) into checked segments.

    Queries are built only from these segments, so no caller can inject Rego into a query
    (regopy even answers a malformed query with the previous query's result).
    """
    text = rule.removeprefix("data.")
    if not _RULE_PATH.fullmatch(text):
        raise UsageError(f"{rule!r} is not a rule path like clinigate.decision.result",
                         hint="use dot-separated Rego identifiers, without brackets or spaces")
    return text.split(".")


def input_json(input: Mapping[str, Any]) -> str:
    """The input as JSON text, refusing what JSON cannot carry (NaN, sets, objects)."""
    try:
        return json.dumps(input, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise PolicyEngineError(f"the policy input is not plain JSON: {exc}") from None


def strip_backtrace(message: str) -> str:
    """regorus appends a Rust "Stack backtrace:" section to its messages; users need none of it."""
    return message.split("Stack backtrace:", 1)[0].strip()


def make_engine(name: str, *, opa_url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> PolicyEngine:
    """The engine called ``name`` (one of :data:`ENGINE_NAMES`), not yet loaded.

    ``opa_url`` is required by, and only accepted for, ``opa-server``; ``timeout`` bounds each
    request to the server or each ``opa`` process.
    """
    if name not in ENGINE_NAMES:
        raise UsageError(f"unknown policy engine {name!r}", hint=f"choose one of: {', '.join(ENGINE_NAMES)}")
    if opa_url is not None and name != "opa-server":
        raise UsageError("--opa-url only applies to --engine opa-server")
    if timeout <= 0:
        raise UsageError(f"the engine timeout must be positive, not {timeout}")
    if name == "embedded":
        from .embedded import EmbeddedEngine

        return EmbeddedEngine()
    if name == "regopy":
        from .regopy_engine import RegopyEngine

        return RegopyEngine()
    if name == "opa":
        from .opa_native import OpaNativeEngine

        return OpaNativeEngine()
    if name == "opa-server":
        if opa_url is None:
            raise UsageError("--engine opa-server needs --opa-url (e.g. http://127.0.0.1:8181)")
        from .opa_server import OpaServerEngine

        return OpaServerEngine(opa_url, timeout=timeout)
    from .opa_cli import OpaCliEngine

    return OpaCliEngine.from_path(timeout=timeout)
