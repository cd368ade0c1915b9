"""The ledger on remotes: fetch as a union, push as a fast-forward, every published tip tagged.

    Replication(ledger).fetch("origin")  # what Ledger.fetch runs
    Replication(ledger).push("origin")   # what Ledger.push runs

A fetch brings the remote's ledger to ``refs/remotes/<remote>/clinigate/ledger`` and refuses it
when it no longer descends from the tip this clone saw there before (:class:`LedgerRewritten`);
the local ledger then becomes the union of both (:meth:`.ledger.Ledger.integrate`). A push
refuses to publish a history that is not append-only, retries when another clone appended first,
and tags what it published (:data:`HEAD_TAGS`). Credentials come from the ledger's
:class:`~clinigate.gitrepo.auth.RemoteAuth`, or git's own when it has none.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from .. import layout
from ..errors import EnvironmentProblem, GitError, UsageError
from .ledger_integrity import LedgerRewritten
from .ledger_layout import HEAD_TAGS, SEEN_PREFIX

EVALUATIONS_REF = layout.EVALUATIONS_REF

if TYPE_CHECKING:
    from ..gitrepo import Git
    from .ledger import Ledger

_REMOTE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_T = TypeVar("_T")


class LedgerPushRejected(EnvironmentProblem):
    """The remote kept refusing our fast-forward (contention, or a protection rule)."""


@dataclass(frozen=True)
class FetchResult:
    remote: str
    remote_tip: str | None  # None: the remote has no ledger yet
    local_tip: str | None
    replayed: int  # local commits re-created on top of the remote's tip


@dataclass(frozen=True)
class PushResult:
    remote: str
    tip: str | None  # what the remote's ledger points at now
    pushed: bool  # False: nothing to push
    attempts: int


@dataclass(frozen=True)
class _Link:
    """One remote while a fetch or push talks to it."""

    name: str  # the configured remote: names the tracking refs and the messages
    target: str  # what git is told to contact: the name, or the URL the credentials need
    git: Git  # the clone, with the credentials' environment on its remote calls


def check_remote(remote: str) -> None:
    if not _REMOTE_RE.match(remote):
        raise UsageError(f"--remote {remote!r}: give the name of a configured remote (e.g. origin)")


class Replication:
    """Fetches and pushes of one :class:`~.ledger.Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @property
    def git(self) -> Git:
        return self.ledger.git

    @property
    def ref(self) -> str:
        return self.ledger.ref

    def fetch(self, remote: str = "origin") -> FetchResult:
        """See :meth:`.ledger.Ledger.fetch`."""
        with self._connect(remote) as link:
            return self._fetch(link)

    def push(self, remote: str = "origin", retries: int = 8) -> PushResult:
        """See :meth:`.ledger.Ledger.push`."""
        with self._connect(remote) as link:
            result = self._push(link, retries)
            self._push_evaluations(link, retries)
            return result

    @contextmanager
    def _connect(self, remote: str) -> Iterator[_Link]:
        check_remote(remote)
        auth = self.ledger.auth
        if auth is None:
            yield _Link(remote, remote, self.git)
            return
        url = self._on_remote(remote, partial(self.git.remote_url, remote))
        with auth.access(url) as access:
            # The name while the URL is unchanged, so the remote's own settings (a pushurl) still apply.
            target = remote if access.url == url else access.url
            yield _Link(remote, target, self.git.with_remote_env(access.env))

    # --- fetch ---

    def _fetch(self, link: _Link) -> FetchResult:
        remote_tip = self._fetch_remote(link)
        self._fetch_evaluations(link)
        self._fetch_head_tags(link)
        if remote_tip is None:
            return FetchResult(link.name, None, self.ledger.tip(), 0)
        local, replayed = self.ledger.integrate(remote_tip)
        return FetchResult(link.name, remote_tip, local, replayed)

    def _fetch_remote(self, link: _Link) -> str | None:
        remote = link.name
        seen_ref = SEEN_PREFIX + remote
        seen = self.git.rev_parse(seen_ref)
        tip = self._on_remote(remote, partial(link.git.remote_ref, link.target, self.ref))
        if tip is None and seen is not None:
            raise LedgerRewritten(f"the ledger on {remote} was deleted; this clone last saw it at {seen}",
                                  hint=self._rewrite_hint(remote))
        if tip is None:
            return None
        tracking = f"refs/remotes/{remote}/{self.ledger.branch}"
        self._on_remote(remote, partial(link.git.fetch_ref, link.target, self.ref, tracking))
        tip = self.git.resolve(tracking)
        if seen is not None and not self.git.is_ancestor(seen, tip):
            raise LedgerRewritten(
                f"the ledger on {remote} was rewritten: it is now at {tip}, which does not contain "
                f"{seen}, the tip this clone saw there before", hint=self._rewrite_hint(remote))
        self.git.set_ref(seen_ref, tip)
        return tip

    def _fetch_evaluations(self, link: _Link) -> str | None:
        """The gate's evaluation records travel with the ledger (gate/evaluation.py), into
        ``refs/remotes/<remote>/clinigate/evaluations``; the gate reads them from there too."""
        if self._on_remote(link.name, partial(link.git.remote_ref, link.target, EVALUATIONS_REF)) is None:
            return None
        tracking = evaluations_tracking_ref(link.name)
        self._on_remote(link.name, partial(link.git.fetch_ref, link.target, EVALUATIONS_REF, tracking))
        return self.git.resolve(tracking)

    def _push_evaluations(self, link: _Link, retries: int) -> None:
        """Publish local evaluation records as a fast-forward, replayed onto the remote's when another
        clone recorded first (each record is its own file, so the union loses nothing)."""
        for _ in range(retries + 1):
            local = self.git.rev_parse(EVALUATIONS_REF)
            remote_tip = self._fetch_evaluations(link)
            if local is None or local == remote_tip:
                return
            if remote_tip is not None and not self.git.is_ancestor(remote_tip, local):
                local = _union_onto(self.git, local, remote_tip)
            push = partial(link.git.push_ref, link.target, local, EVALUATIONS_REF)
            rejection = self._on_remote(link.name, push)
            if rejection is None:
                self.git.set_ref(evaluations_tracking_ref(link.name), local)
                return
            time.sleep(random.uniform(0.05, 0.25))
        raise LedgerPushRejected(f"{link.name} refused the evaluation records {retries + 1} times",
                                 hint=f"check that {EVALUATIONS_REF} on {link.name} accepts fast-forward "
                                      "pushes")

    def _fetch_head_tags(self, link: _Link) -> None:
        self._on_remote(link.name, partial(link.git.fetch_ref, link.target, f"{HEAD_TAGS}*",
                                           f"{HEAD_TAGS}*", force=False))

    def _rewrite_hint(self, remote: str) -> str:
        return (f"do not push over it; ask the repository admins to restore {self.ref} on {remote} "
                f"(the history this clone saw is kept at {SEEN_PREFIX}{remote}) and to protect the ref")

    # --- push ---

    def _push(self, link: _Link, retries: int) -> PushResult:
        remote, reason = link.name, ""
        for attempt in range(1, retries + 2):
            fetched = self._fetch(link)
            local = fetched.local_tip
            if local is None or local == fetched.remote_tip:
                return PushResult(remote, fetched.remote_tip, pushed=False, attempts=attempt)
            self.ledger.checks.refuse_broken_history(local, fetched.remote_tip)
            rejection = self._on_remote(remote, partial(link.git.push_ref, link.target, local, self.ref))
            if rejection is None:
                self.git.set_ref(f"refs/remotes/{remote}/{self.ledger.branch}", local)
                self.git.set_ref(SEEN_PREFIX + remote, local)
                self._publish_head(link, local)
                return PushResult(remote, local, pushed=True, attempts=attempt)
            reason = rejection
            time.sleep(random.uniform(0.05, 0.25) * attempt)  # de-synchronise racing clones
        raise LedgerPushRejected(f"{remote} refused the ledger {retries + 1} times (last: {reason})",
                                 hint=f"check that {self.ref} on {remote} accepts fast-forward pushes")

    def _publish_head(self, link: _Link, tip: str) -> None:
        """Tag the tip just published, here and on the remote (see :data:`HEAD_TAGS`)."""
        tag = HEAD_TAGS + tip
        self.git.set_ref(tag, tip)
        rejection = self._on_remote(link.name, partial(link.git.push_ref, link.target, tip, tag))
        if rejection is not None:
            raise LedgerPushRejected(f"{link.name} took the ledger at {tip} but refused its head tag {tag} "
                                     f"({rejection})", hint=f"allow pushes of tags under {HEAD_TAGS}")

    # --- errors ---

    def _on_remote(self, remote: str, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except GitError as exc:
            raise EnvironmentProblem(f"cannot reach the remote {remote!r}: {exc.message}",
                                     hint=self._access_hint(remote)) from exc

    def _access_hint(self, remote: str) -> str:
        check = f"check `git remote get-url {remote}`"
        auth = self.ledger.auth
        if auth is None:
            return (f"{check} and your access (a private repository in GitHub Actions: "
                    "--token-env GITHUB_TOKEN)")
        if auth.token is not None:
            return f"{check}; the remote refused the token, or has no such repository"
        return (f"{check}; the remote refused the SSH key, or has no such repository: is it the "
                "repository's deploy key (with write access, to push), and is the host in known_hosts?")


# --- the gate's evaluation records (gate/evaluation.py writes and reads them) ----------------------

def evaluations_tracking_ref(remote: str) -> str:
    """Where ``ledger fetch`` keeps ``remote``'s evaluation records."""
    return f"refs/remotes/{remote}/{EVALUATIONS_REF.removeprefix('refs/heads/')}"


def _union_onto(git: Git, local: str, remote_tip: str) -> str:
    """A commit on ``remote_tip`` adding the records only ``local`` holds; the local ref moves to it."""
    theirs = {f.path for f in git.tree_files(remote_tip)}
    mine = {f.path: f.blob for f in git.tree_files(local) if f.path not in theirs}
    tree = git.write_tree(remote_tip, mine)
    commit = git.commit_tree(tree, [remote_tip], f"evaluation: {len(mine)} record(s) replayed",
                             name="clinigate", email="clinigate@localhost",
                             date=datetime.now(UTC).replace(microsecond=0).isoformat())
    if not git.update_ref(EVALUATIONS_REF, commit, local):
        raise EnvironmentProblem(f"{EVALUATIONS_REF} moved while its records were replayed; run it again")
    return commit

