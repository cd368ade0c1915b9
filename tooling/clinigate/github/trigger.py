"""Which pull request an approval-workflow run is about, and whether it may act at all.

The approval workflow is started by ``workflow_run`` (after the review workflow or the gate
workflow ran for a pull request) or by hand (``workflow_dispatch`` with a ``pr`` input). The
payload only *points* at a pull request; everything that counts is then read from the API
(github/record.py), so a payload cannot smuggle in a reviewer or a head.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UsageError
from .api import GitHubApi

# The events whose workflow file GitHub always takes from the default branch.
TRUSTED_EVENTS = frozenset({"workflow_run", "workflow_dispatch"})


class NotOnDefaultBranch(UsageError):
    """Refused: signing and posting the gate status run only from the deployment branch (exit 2)."""

    rule = "record.not_default_branch"


def require_trusted_run(environ: Mapping[str, str], branch: str) -> None:
    """Refuse unless this is a GitHub Actions run of the workflow on ``refs/heads/<branch>``.

    The certificate the keyless signature carries pins the same ref and trigger (trust.yaml),
    so an act signed elsewhere would not verify anyway; refusing here says so before signing.
    """
    ref, event = environ.get("GITHUB_REF", ""), environ.get("GITHUB_EVENT_NAME", "")
    if ref != f"refs/heads/{branch}" or event not in TRUSTED_EVENTS:
        raise NotOnDefaultBranch(
            f"this runs only in the approval workflow on refs/heads/{branch}, started by "
            f"{' or '.join(sorted(TRUSTED_EVENTS))}; this run is {event or '(no event)'} "
            f"on {ref or '(no ref)'} "
            f"(rule {NotOnDefaultBranch.rule})",
            hint="a pull request's own workflows cannot sign approvals or set the gate status; "
                 "reviewers approve in the GitHub UI, or sign personally with `clinigate approve`")


def pull_numbers(payload: Mapping[str, Any], api: GitHubApi) -> list[int]:
    """The open pull request(s) the event points at (none: nothing to do)."""
    if isinstance(pr := payload.get("pull_request"), dict) and _number(pr.get("number")):
        return [pr["number"]]
    inputs = payload.get("inputs")
    if isinstance(inputs, dict) and inputs.get("pr"):
        number = _number(str(inputs["pr"]).strip().lstrip("#"))
        if number is None:
            raise UsageError(f"the pr input {inputs['pr']!r} is not a pull request number")
        return [number]
    run = payload.get("workflow_run")
    if isinstance(run, dict):
        listed = [n for p in run.get("pull_requests") or [] if isinstance(p, dict)
                  and (n := _number(p.get("number")))]
        if listed:
            return listed
        head = run.get("head_sha")
        # GitHub leaves pull_requests empty for a fork's pull request: ask which PRs have this head.
        return api.pulls_of_commit(head) if isinstance(head, str) and head else []
    return []


def _number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None
