"""The event payload GitHub Actions writes for a run, at ``$GITHUB_EVENT_PATH``.

    >>> read_event(os.environ["GITHUB_EVENT_PATH"])["pull_request"]["number"]  # doctest: +SKIP
    42

A leaf module (json and pathlib only), below every package: the approvals layer reads the
pull request's author from it, ``github/`` (above approvals) its review and workflow facts, and
the ``review-line`` check must stay light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UsageError

EVENT_PATH_ENV = "GITHUB_EVENT_PATH"
_MAX_EVENT_BYTES = 25 * 1024 * 1024


def read_event(path: str | None) -> dict[str, Any]:
    """The payload at ``path`` as a JSON object (empty: no path, or not an object)."""
    if not path:
        return {}
    file = Path(path)
    try:
        if file.stat().st_size > _MAX_EVENT_BYTES:
            raise UsageError(f"{path}: the event payload is larger than {_MAX_EVENT_BYTES:,} bytes")
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the event payload ({exc})") from None
    return payload if isinstance(payload, dict) else {}
