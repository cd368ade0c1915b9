"""The ``--from-mlflow`` URI: which model version or run a draft is read from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Source:
    uri: str
    name: str | None = None  # models:/<name>/<version> or models:/<name>@<alias>
    version: str | None = None
    alias: str | None = None
    run_id: str | None = None  # runs:/<run_id>/<path>
    path: str | None = None


def parse_source(uri: str) -> Source:
    """``models:/<name>/<version>``, ``models:/<name>@<alias>`` or ``runs:/<run_id>/<path>``.

    Anything else is a usage error. An alias is resolved to its version once, when MLflow is read,
    and the draft records that version: an alias moves, a manifest must not.
    """
    models = re.fullmatch(r"models:/([^/@\s]+)/([1-9]\d*)", uri)
    if models:
        return Source(uri, name=models.group(1), version=models.group(2))
    aliased = re.fullmatch(r"models:/([^/@\s]+)@([\w\-]+)", uri)
    if aliased:
        if aliased.group(2).lower() == "latest":  # MLflow's moving pointer, like models:/<name>/latest
            raise UsageError(f"--from-mlflow {uri}: name a version or a real alias, not latest",
                             hint="e.g. --from-mlflow models:/sepsis-ews/16 or models:/sepsis-ews@staging")
        return Source(uri, name=aliased.group(1), alias=aliased.group(2))
    runs = re.fullmatch(r"runs:/([^/\s]+)/(\S+)", uri)
    if runs:
        if not _RUN_ID.match(runs.group(1)):
            raise UsageError(f"--from-mlflow {uri}: {runs.group(1)!r} is not an MLflow run id "
                             "(32 lower-case hex characters)")
        return Source(uri, run_id=runs.group(1), path=runs.group(2).strip("/"))
    raise UsageError(f"--from-mlflow {uri}: expected models:/<name>/<version>, models:/<name>@<alias> or "
                     "runs:/<run_id>/<path>", hint="e.g. --from-mlflow models:/sepsis-ews/16")
