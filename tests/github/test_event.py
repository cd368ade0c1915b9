"""The run's event payload: one reader, strict for the approval commands, lenient for authorship."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clinigate.approvals.authorship import PullRequestEvent
from clinigate.errors import UsageError
from clinigate.run_event import read_event


def _oversized(file: Path) -> None:
    with file.open("wb") as out:
        out.truncate(25 * 1024 * 1024 + 1)  # sparse: the size counts, not the bytes written


@pytest.mark.parametrize(("make", "message"), [
    (lambda f: None, "cannot read the event payload"),
    (lambda f: f.write_text("{not json"), "cannot read the event payload"),
    (lambda f: f.write_bytes(b'{"a": "\xff"}'), "cannot read the event payload"),
    (_oversized, "the event payload is larger than 26,214,400 bytes"),
])
def test_an_unreadable_payload_stops_a_command_and_only_loses_the_pr_author(
        tmp_path: Path, make: Callable[[Path], object], message: str) -> None:
    file = tmp_path / "event.json"
    make(file)
    with pytest.raises(UsageError, match=message):
        read_event(str(file))
    assert PullRequestEvent.from_environment({"GITHUB_EVENT_PATH": str(file)}) == PullRequestEvent()


def test_no_payload_or_not_an_object_is_an_empty_event(tmp_path: Path) -> None:
    file = tmp_path / "event.json"
    file.write_text("[1, 2]")
    assert read_event(None) == read_event("") == read_event(str(file)) == {}
    assert PullRequestEvent.from_environment({}) == PullRequestEvent()
    assert PullRequestEvent.from_environment({"GITHUB_EVENT_PATH": str(file)}) == PullRequestEvent()


def test_a_pull_request_event_names_its_author(tmp_path: Path) -> None:
    file = tmp_path / "event.json"
    file.write_text('{"pull_request": {"number": 7, "user": {"login": "adoe"}, "head": {"sha": "abc"}}}')
    assert read_event(str(file))["pull_request"]["number"] == 7
    assert PullRequestEvent.from_environment({"GITHUB_EVENT_PATH": str(file)}) == PullRequestEvent(7, "adoe", "abc")
