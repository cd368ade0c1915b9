"""A real OPA server over its REST API, through ``opa-python-client`` (how CI runs the gate).

The server is assumed to be clinigate's own (a service container per job): :meth:`load` puts
every module under its repository path as policy id and the data under ``/v1/data/clinigate``,
but does not delete what an earlier run may have left on a shared server.

``rego_compat=False`` always: on a v0-syntax rejection the client would otherwise rewrite the
policy with regular expressions and upload something nobody reviewed. Every ``requests``
failure becomes a :class:`PolicyEngineError` naming the URL (exit 3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ..errors import EnvironmentProblem, UsageError
from .bundle import PolicyBundle, PolicyModule
from .engine import PolicyCompileError, PolicyEngineError, format_location, input_json, rule_path

_DEFAULT_PORTS = {"http": 80, "https": 443}


class OpaServerEngine:
    name = "opa-server"

    def __init__(self, url: str, *, timeout: float, retries: int = 2) -> None:
        self.scheme, self.host, self.port = _parse_url(url)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"{self.scheme}://{host}:{self.port}"
        self.timeout = timeout
        self.retries = retries
        self._client: Any = None
        self._loaded = False

    def load(self, bundle: PolicyBundle) -> None:
        self._loaded = False
        client = self._connect()
        for key, value in bundle.data.items():
            if not isinstance(value, dict):  # the REST API (and the client) take objects only
                raise PolicyEngineError(f"data.{key} must be an object to upload it to {self.url}")
            self._call(client.update_or_create_data, value, quote(key, safe=""),
                       doing=f"uploading data.{key}")
        self._upload_modules(client, bundle.modules)
        self._loaded = True

    def evaluate(self, rule: str, input: Mapping[str, Any]) -> Any:
        segments = rule_path(rule)
        if not self._loaded:
            raise PolicyEngineError(f"no policies loaded into the OPA server at {self.url}; "
                                    "call load() first")
        package, name = ".".join(segments[:-1]), segments[-1]
        plain_input = json.loads(input_json(input))
        answer = self._call(self._client.query_rule, plain_input, package or name, name if package else None,
                            doing=f"evaluating data.{'.'.join(segments)}")
        if not isinstance(answer, dict):
            raise PolicyEngineError(f"the OPA server at {self.url} answered data.{rule} "
                                    f"with a {type(answer).__name__}, not an object")
        return answer.get("result")

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close_connection()
            finally:
                self._client = None
                self._loaded = False

    def _connect(self) -> Any:
        if self._client is None:
            try:
                from opa_client import OpaClient  # type: ignore[import-untyped]
            except ImportError:
                raise EnvironmentProblem("opa-python-client is not installed",
                                         hint="pip install 'opa-python-client>=3.0'") from None
            # Constructing the client does not contact the server.
            self._client = OpaClient(host=self.host, port=self.port, ssl=self.scheme == "https",
                                     timeout=self.timeout, retries=self.retries)
        return self._client

    def _upload_modules(self, client: Any, modules: list[PolicyModule]) -> None:
        # OPA compiles every module it holds on each upload, so a module that calls a function
        # of one not uploaded yet is refused; retry those after the others, while any progress.
        pending = list(modules)
        while pending:
            refused: list[tuple[PolicyModule, PolicyCompileError]] = []
            for module in pending:
                try:
                    self._call(client.update_policy_from_string, module.source, _policy_id(module.path),
                               rego_compat=False, doing=f"uploading {module.path}", module=module.path)
                except PolicyCompileError as exc:
                    refused.append((module, exc))
            if len(refused) == len(pending):
                raise refused[0][1]
            pending = [module for module, _ in refused]

    def _call(self, method: Any, *args: Any, doing: str, module: str | None = None, **kwargs: Any) -> Any:
        import requests
        from opa_client.errors import RegoParseError  # type: ignore[import-untyped]

        try:
            return method(*args, **kwargs)
        except RegoParseError as exc:
            raise self._compile_error(exc, doing, module) from None
        except requests.Timeout:
            raise PolicyEngineError(f"the OPA server at {self.url} did not answer within {self.timeout:g} s "
                                    f"({doing})", url=self.url,
                                    hint="check the server's health, or raise the timeout") from None
        except requests.ConnectionError:
            raise PolicyEngineError(f"cannot connect to the OPA server at {self.url} ({doing})",
                                    url=self.url, hint="is OPA running? "
                                    "e.g. opa run --server --addr 127.0.0.1:8181") from None
        except requests.HTTPError as exc:
            raise PolicyEngineError(f"the OPA server at {self.url} refused {doing}: {_http_reason(exc)}",
                                    url=self.url) from None
        except (requests.RequestException, ValueError, TypeError) as exc:
            # ValueError: a body that is not JSON; TypeError: the client's own argument checks.
            raise PolicyEngineError(f"talking to the OPA server at {self.url} failed ({doing}): "
                                    f"{type(exc).__name__}", url=self.url) from None

    def _compile_error(self, exc: Any, doing: str,
                       module: str | None) -> PolicyEngineError | PolicyCompileError:
        errors = [e for e in (getattr(exc, "errors", None) or []) if isinstance(e, dict)]
        located = [e for e in errors if isinstance(e.get("location"), dict)]
        if not located:
            reason = "; ".join(str(e.get("message", "")) for e in errors) or str(getattr(exc, "message", ""))
            return PolicyEngineError(f"the OPA server at {self.url} refused {doing}: "
                                     f"{reason or 'no reason given'}", url=self.url)
        first = located[0]
        where = first["location"]
        file = _path_of(str(where.get("file") or module or "")) or module
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return PolicyCompileError(f"{first.get('message', 'compile error')}{more}", file=file,
                                  row=_int(where.get("row")), col=_int(where.get("col")), engine=self.name)


def _parse_url(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--opa-url {url!r}: {exc}") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UsageError(f"--opa-url {url!r} is not an http:// or https:// URL with a host",
                         hint="e.g. --opa-url http://127.0.0.1:8181")
    if parts.username or parts.password:
        raise UsageError("--opa-url must not carry credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"--opa-url {url!r}: give the server's root URL (the client adds /v1/...)")
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


def _policy_id(path: str) -> str:
    # The repository path itself is the policy id, so OPA's error locations name the file.
    return quote(path, safe="/")


def _path_of(policy_id: str) -> str:
    return unquote(policy_id).lstrip("/")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _http_reason(exc: Any) -> str:
    response = getattr(exc, "response", None)
    if response is None:
        return "HTTP error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        errors = body.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        where = first.get("location") if isinstance(first.get("location"), dict) else {}
        location = format_location(where.get("file"), _int(where.get("row")), _int(where.get("col"))) \
            if where else ""
        return f"HTTP {response.status_code}: {location}{body.get('code', '')} {body['message']}".strip()
    return f"HTTP {response.status_code}"
