"""Talking to a remote: its URL through GitPython's ``Remote``; ``ls-remote``, fetches and
pushes on GitPython's git runner, each said why below.

Every call gets the clone's remote environment (credentials, :mod:`.auth`) as the ``env`` of
its git process, never on argv. ``remote`` is a remote's name or a URL.
"""

from __future__ import annotations

from collections.abc import Mapping

from .command import command_failure, run
from .environment import failure
from .gitpython import git


def url(repo: git.Repo, remote: str) -> str:
    """The URL git fetches ``remote`` from (``git remote get-url``: ``url.*.insteadOf`` applied)."""
    try:
        return next(iter(git.Remote(repo, remote).urls), "").strip()
    except git.GitCommandError as exc:
        raise command_failure(["remote", "get-url", remote], exc) from exc


def ref(repo: git.Repo, remote: str, name: str, env: Mapping[str, str]) -> str | None:
    """What ``name`` points at on ``remote`` (None when the remote has no such ref).

    GitPython has no ``ls-remote`` of its own: its runner starts git's."""
    args = ["ls-remote", "--refs", remote, name]
    status, out, err = run(repo.git, args, env=env)
    if status != 0:
        raise failure(args, status, err or out)
    lines = out.decode().splitlines()
    return next((line.split("\t")[0] for line in lines if line.endswith(f"\t{name}")), None)


def fetch(repo: git.Repo, remote: str, refspec: str, env: Mapping[str, str]) -> None:
    """``git fetch`` of one refspec, no tags, FETCH_HEAD left as it was.

    Not ``Remote.fetch``: GitPython reports what was fetched by reading FETCH_HEAD back, and
    these fetches keep a tracking copy without writing FETCH_HEAD (``--no-write-fetch-head``:
    the user's FETCH_HEAD stays theirs), which leaves it nothing true to read.
    """
    args = ["fetch", "-q", "--no-tags", "--no-write-fetch-head", remote, refspec]
    status, out, err = run(repo.git, args, env=env)
    if status != 0:
        raise failure(args, status, err or out)


def push(repo: git.Repo, remote: str, refspec: str, env: Mapping[str, str]) -> str | None:
    """Push ``refspec`` (a fast-forward only), hooks skipped: None when it landed, else the reason
    the remote gave (someone else moved the ref, a protection rule). A push that was refused
    without a reason (an unreachable remote) raises.

    Not ``Remote.push``: GitPython reads each ``--porcelain`` line's source as a local ref and
    drops the line when it is a commit id (``PushInfo._from_line``: "Could not find reference
    type"), which is what these pushes send; a rejection would then look like a dead remote.
    So git's runner pushes, and the reason is the last field of the first ``!`` line.
    """
    args = ["push", "--porcelain", "--no-verify", remote, refspec]
    status, out, err = run(repo.git, args, env=env)
    if status == 0:
        return None
    rejected = [line for line in out.decode(errors="replace").splitlines() if line.startswith("!")]
    if not rejected:
        raise failure(args, status, err or out)
    return rejected[0].rsplit("\t", 1)[-1]
