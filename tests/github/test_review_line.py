"""The line reviewers type in a GitHub review, and which runs may act on it."""

from __future__ import annotations

import pytest

from clinigate.github.review_line import Intent, LineProblem, intents
from clinigate.github.trigger import NotOnDefaultBranch, require_trusted_run


@pytest.mark.parametrize("line", [
    "clinigate: approve as clinical_reviewer — subgroup AUCs reviewed",
    "clinigate: approve as clinical_reviewer – subgroup AUCs reviewed",
    "clinigate: approve as clinical_reviewer - subgroup AUCs reviewed",
    "clinigate: approve as clinical_reviewer: subgroup AUCs reviewed",
    "  Clinigate:  Approve AS Clinical_Reviewer --  subgroup AUCs reviewed  ",
])
def test_the_line_reads_with_any_dash(line: str) -> None:
    assert intents(f"Thanks.\n{line}\n") == [Intent("approved", "clinical_reviewer", "subgroup AUCs reviewed")]


def test_an_ordinary_review_signs_nothing() -> None:
    assert intents("LGTM, approve as you like") == []


def test_one_line_per_role_and_rejections() -> None:
    body = ("clinigate: approve as quality — QR-114 filed\n"
            "clinigate: reject as regulatory — needs a 510(k) review first")
    assert intents(body) == [Intent("approved", "quality", "QR-114 filed"),
                             Intent("rejected", "regulatory", "needs a 510(k) review first")]


@pytest.mark.parametrize(("body", "rule"), [
    ("clinigate: approve as clinical_reviewer", "review.line_syntax"),  # no reason
    ("clinigate: approve as clinical_reviewer —   ", "review.line_syntax"),
    ("clinigate: approve clinical_reviewer — ok", "review.line_syntax"),
    ("clinigate: lgtm", "review.line_syntax"),
    ("clinigate: approve as data_scientist — I wrote it", "review.line_role"),  # not a signing role
    ("clinigate: approve as surgeon — ok", "review.line_role"),
])
def test_a_clinigate_line_that_does_not_read_is_refused_with_its_rule(body: str, rule: str) -> None:
    (problem,) = intents(body)
    assert isinstance(problem, LineProblem) and problem.rule == rule


def test_the_same_role_twice_is_refused() -> None:
    body = "clinigate: approve as quality — a\nclinigate: approve as quality — b"
    first, second = intents(body)
    assert isinstance(first, Intent) and isinstance(second, LineProblem)
    assert second.rule == "review.line_repeated"


@pytest.mark.parametrize("env", [
    {"GITHUB_REF": "refs/heads/feature", "GITHUB_EVENT_NAME": "workflow_run"},
    {"GITHUB_REF": "refs/pull/7/merge", "GITHUB_EVENT_NAME": "pull_request"},
    {"GITHUB_REF": "refs/heads/main", "GITHUB_EVENT_NAME": "pull_request_review"},
    {"GITHUB_REF": "refs/heads/main", "GITHUB_EVENT_NAME": "pull_request_target"},
    {},
])
def test_signing_runs_only_from_the_default_branch_on_a_trusted_trigger(env: dict[str, str]) -> None:
    with pytest.raises(NotOnDefaultBranch) as raised:
        require_trusted_run(env, "main")
    assert raised.value.exit_code == 2 and "record.not_default_branch" in raised.value.message


def test_workflow_run_and_dispatch_on_main_may_act() -> None:
    for event in ("workflow_run", "workflow_dispatch"):
        require_trusted_run({"GITHUB_REF": "refs/heads/main", "GITHUB_EVENT_NAME": event}, "main")
