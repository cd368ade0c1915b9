"""Renderers for ``sync``: the plan (and what --apply wrote) as text, JSON or Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict

from ..registry.plan import Action, Plan, Write


def _describe(action: Action) -> str:
    # Each action kind reads as one line: what happens (or not) and why.
    fields = asdict(action)
    kind = fields["kind"]
    if kind == "set_alias":
        return f"set alias   {action.model}@{fields['alias']} -> version {fields['version']}: {action.reason}"
    if kind == "remove_alias":
        current = fields["current_version"]
        return f"remove      {action.model}@{fields['alias']} (version {current}): {action.reason}"
    if kind == "set_tags":
        return f"tag         {action.model} version {fields['version']}: {action.reason}"
    if kind == "transition_stage":
        return f"stage       {action.model} version {fields['version']} -> {fields['stage']}: {action.reason}"
    if kind == "refuse":
        return f"REFUSED     {action.model} {fields['environment']}: {action.reason}"
    return f"DRIFT       {action.model}@{fields['alias']}: {action.reason}"


def _summary(plan: Plan, written: list[Write] | None) -> str:
    if plan.blocked:
        return f"blocked: {plan.blocked}"
    done = f"{len(written)} written" if written is not None else f"{len(plan.writes)} to write"
    state = "in sync" if plan.in_sync else "out of sync"
    return f"{state}: {done}, {len(plan.refusals)} refused, {len(plan.drifts)} drift warning(s)"


def render(plan: Plan, written: list[Write] | None, fmt: str) -> str:
    """The plan (and, after --apply, what was written) as text, JSON or Markdown."""
    if fmt == "json":
        data = plan.as_dict()
        data["applied"] = written is not None
        data["written"] = [asdict(w) for w in written or []]
        return json.dumps(data, indent=2) + "\n"
    head = f"sync {plan.rev} ({plan.commit[:12]}) -> {plan.tracking_uri}"
    lines = [_describe(a) for a in plan.actions]
    if fmt == "markdown":
        body = "\n".join(f"- {line}" for line in lines)
        body = body + "\n\n" if body else ""
        return f"### clinigate sync\n\n`{head}`\n\n{body}**{_summary(plan, written)}**\n"
    return "\n".join([head, *(f"  {line}" for line in lines), _summary(plan, written)]) + "\n"
