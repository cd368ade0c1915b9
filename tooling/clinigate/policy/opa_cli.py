"""``opa eval`` as a subprocess, when an ``opa`` binary is on PATH.

:meth:`OpaCliEngine.load` writes the modules (under their repository paths) and one
``data.json`` into a private temporary folder; each evaluation is then

    opa eval --format json --data <folder> --stdin-input data.<rule>

with the input on stdin. One process per decision (tens of milliseconds): meant for a few
decisions or a cross-check, not for a registry-wide run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import EnvironmentProblem
from .bundle import PolicyBundle
from .engine import PolicyCompileError, PolicyEngineError, format_location, input_json, rule_path


class OpaCliEngine:
    name = "opa-cli"

    def __init__(self, opa: str, *, timeout: float) -> None:
        self.opa = opa
        self.timeout = timeout
        self._workdir: str | None = None

    @classmethod
    def from_path(cls, *, timeout: float) -> OpaCliEngine:
        opa = shutil.which("opa")
        if opa is None:
            raise EnvironmentProblem("no opa binary on PATH",
                                     hint="install OPA (https://www.openpolicyagent.org/docs/#running-opa) "
                                          "or use --engine embedded")
        return cls(opa, timeout=timeout)

    def argv(self, query: str) -> list[str]:
        """The exact command line for one query (input comes on stdin)."""
        if self._workdir is None:
            raise PolicyEngineError("the opa-cli engine has no policies loaded; call load() first")
        return [self.opa, "eval", "--format", "json", "--data", self._workdir, "--stdin-input", query]

    def load(self, bundle: PolicyBundle) -> None:
        self.close()
        workdir = tempfile.mkdtemp(prefix="clinigate-opa-")
        self._workdir = workdir
        try:
            self._write(workdir, bundle)
            self._run("true", {})  # any query compiles every module: surface compile errors now
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _write(workdir: str, bundle: PolicyBundle) -> None:
        for module in bundle.modules:
            relative = PurePosixPath(module.path)
            if relative.is_absolute() or ".." in relative.parts:
                raise PolicyEngineError(f"{module.path}: a module path must stay inside the policy folder")
            target = Path(workdir, *relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(module.source, encoding="utf-8")
        # A data.json at the root of a --data folder is loaded at data's root.
        Path(workdir, "data.json").write_text(json.dumps(bundle.data, allow_nan=False), encoding="utf-8")

    def evaluate(self, rule: str, input: Mapping[str, Any]) -> Any:
        segments = rule_path(rule)
        answer = self._run("data." + ".".join(segments), input)
        results = answer.get("result") or []
        if not results:
            return None
        return results[0]["expressions"][0]["value"]

    def close(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def _run(self, query: str, input: Mapping[str, Any]) -> dict[str, Any]:
        argv = self.argv(query)
        try:
            proc = subprocess.run(argv, input=input_json(input), capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PolicyEngineError(f"opa eval {query} took longer than {self.timeout:g} s") from None
        except OSError as exc:
            raise PolicyEngineError(f"cannot run {self.opa}: {exc.strerror}") from None
        try:
            answer = json.loads(proc.stdout)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("errors"):
            raise self._error(answer["errors"], query)
        if proc.returncode != 0 or not isinstance(answer, dict):
            tail = " ".join(proc.stderr.split()[-40:]) or "no output"
            raise PolicyEngineError(f"opa eval {query} exited with {proc.returncode}: {tail}")
        return answer

    def _error(self, errors: Any, query: str) -> PolicyCompileError | PolicyEngineError:
        listed = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        first: dict[str, Any] = listed[0] if listed else {}
        location = first.get("location")
        where: dict[str, Any] = location if isinstance(location, dict) else {}
        file = self._repo_path(where.get("file"))
        row, col = where.get("row"), where.get("col")
        message = str(first.get("message", "unknown error")) + (f" (and {len(listed) - 1} more)"
                                                                if len(listed) > 1 else "")
        if str(first.get("code", "")).startswith("rego_"):  # rego_parse_error, rego_type_error, ...
            return PolicyCompileError(message, file=file, row=row, col=col, engine=self.name)
        return PolicyEngineError(f"opa eval {query} failed: {format_location(file, row, col)}{message}")

    def _repo_path(self, file: Any) -> str | None:
        if not isinstance(file, str) or not file:
            return None
        if self._workdir and file.startswith(self._workdir + os.sep):
            return PurePosixPath(Path(file).relative_to(self._workdir)).as_posix()
        return file
