"""Who wrote a change, from facts rather than from what the change says about itself (DESIGN §13).

Separation of duties (21 CFR 11.10, GMLP): nobody approves what they wrote. ``submitted_by`` in a
manifest is the submitter's own claim; a reviewer who wrote the change could name a data
scientist there and approve it. The facts are the pull request's author (from the GitHub event
payload at ``GITHUB_EVENT_PATH``, when CI runs on a pull request) and the authors and committers
of the commits in ``merge-base..head`` that touched each document, mapped to people through the
e-mail addresses and GitHub handles of the base revision's roles.yaml.

    >>> authors = ChangeAuthors.read(git, fork, head, roles)          # doctest: +SKIP
    >>> authors.of("models/sepsis-ews/deployment.yaml")                 # doctest: +SKIP
    frozenset({'adoe', 'jlindqvist'})
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import UsageError
from ..gitrepo import Git
from ..manifest.roles import Roles
from ..run_event import EVENT_PATH_ENV, read_event

# GitHub's private commit e-mail: <id>+<login>@users.noreply.github.com (or <login>@… for old accounts).
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[A-Za-z0-9-]+)@users\.noreply\.github\.com$", re.IGNORECASE)


@dataclass(frozen=True)
class PullRequestEvent:
    """What CI's event payload says about the pull request (None fields: not a PR event)."""

    number: int | None = None
    author_login: str | None = None
    head_sha: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> PullRequestEvent:
        """The pull request of ``$GITHUB_EVENT_PATH``; an empty event when there is none or it is unreadable.

        An unreadable payload only loses the PR author fact; the commit authors still count.
        """
        try:
            payload = read_event((environ if environ is not None else os.environ).get(EVENT_PATH_ENV))
        except UsageError:
            return cls()
        pr = payload.get("pull_request")
        if not isinstance(pr, dict):
            return cls()
        number = pr.get("number")
        return cls(number=number if isinstance(number, int) and number > 0 else None,
                   author_login=_text(pr.get("user"), "login"), head_sha=_text(pr.get("head"), "sha"))


def _text(parent: object, key: str) -> str | None:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ChangeAuthors:
    """The people who wrote each document of a change (person ids of the base roles.yaml)."""

    by_path: dict[str, frozenset[str]] = field(default_factory=dict)
    pr_author: str | None = None  # person id of the pull request's author, if known
    event: PullRequestEvent = field(default_factory=PullRequestEvent)

    def of(self, path: str) -> frozenset[str]:
        people = set(self.by_path.get(path, frozenset()))
        if self.pr_author:
            people.add(self.pr_author)
        return frozenset(people)

    @classmethod
    def read(cls, git: Git, fork: str, head: str, roles: Roles | None,
             event: PullRequestEvent | None = None) -> ChangeAuthors:
        event = event if event is not None else PullRequestEvent.from_environment()
        people = _PeopleIndex(roles)
        by_path: dict[str, set[str]] = {}
        for identities, paths in _commits(git, fork, head):
            ids = {pid for ident in identities if (pid := people.by_email(ident))}
            for path in paths:
                by_path.setdefault(path, set()).update(ids)
        pr_author = people.by_login(event.author_login) if event.author_login else None
        return cls({p: frozenset(ids) for p, ids in by_path.items()}, pr_author, event)


class _PeopleIndex:
    def __init__(self, roles: Roles | None) -> None:
        people = roles.people if roles else []
        self._emails = {p.email.lower(): p.id for p in people}
        self._logins = {p.github.lower(): p.id for p in people}

    def by_email(self, email: str) -> str | None:
        email = email.strip().lower()
        if email in self._emails:
            return self._emails[email]
        match = _NOREPLY.match(email)
        return self.by_login(match["login"]) if match else None

    def by_login(self, login: str) -> str | None:
        return self._logins.get(login.lower())


def _commits(git: Git, fork: str, head: str) -> list[tuple[tuple[str, str], list[str]]]:
    """((author e-mail, committer e-mail), changed paths) for each commit in ``fork..head``."""
    out = git.run_bytes(["log", "-z", "--no-renames", "--name-only", "--format=%x01%ae%x00%ce",
                         f"{fork}..{head}"]).decode(errors="replace")
    commits: list[tuple[tuple[str, str], list[str]]] = []
    for record in out.split("\x01")[1:]:
        fields = [f.strip("\n") for f in record.split("\0")]
        if len(fields) < 2:
            continue
        commits.append(((fields[0], fields[1]), [f for f in fields[2:] if f]))
    return commits
