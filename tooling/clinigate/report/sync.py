"""Renderers for ``sync``: the plan (and what --apply wrote) as text, JSON or Markdown; rich tables
on a terminal."""

from __future__ import annotations

import json
from dataclasses import asdict

from ..registry.plan import Action, Plan
from ..registry.run import SyncOutcome
from .protocol import Renderers
from .tables import sync_table


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


def summary_line(outcome: SyncOutcome) -> str:
    plan, written = outcome.plan, outcome.written
    if plan.blocked:
        return f"blocked: {plan.blocked}"
    done = f"{len(written)} written" if written is not None else f"{len(plan.writes)} to write"
    state = "in sync" if plan.in_sync else "out of sync"
    return f"{state}: {done}, {len(plan.refusals)} refused, {len(plan.drifts)} drift warning(s)"


def head_line(plan: Plan) -> str:
    return f"sync {plan.rev} ({plan.commit[:12]}) -> {plan.tracking_uri}"


def json_format(outcome: SyncOutcome) -> str:
    """The plan's fields, whether it was applied, and what was written."""
    data = outcome.plan.as_dict()
    data["applied"] = outcome.applied
    data["written"] = [asdict(w) for w in outcome.written or []]
    return json.dumps(data, indent=2) + "\n"


def markdown(outcome: SyncOutcome) -> str:
    """For a job summary: the head line as code, one item per action, the summary in bold."""
    body = "\n".join(f"- {_describe(a)}" for a in outcome.plan.actions)
    body = body + "\n\n" if body else ""
    return f"### clinigate sync\n\n`{head_line(outcome.plan)}`\n\n{body}**{summary_line(outcome)}**\n"


def text(outcome: SyncOutcome) -> str:
    plan = outcome.plan
    actions = [f"  {_describe(a)}" for a in plan.actions]
    return "\n".join([head_line(plan), *actions, summary_line(outcome)]) + "\n"


SYNC_RENDERERS: Renderers[SyncOutcome] = Renderers("the sync plan", {
    "text": text, "json": json_format, "markdown": markdown}, interactive=sync_table)
