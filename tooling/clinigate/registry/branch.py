"""Which revision sync may deploy: only one the deployment branch itself stood on (DESIGN §13).

Every commit on the deployment branch's first-parent line reached it through a merged pull
request, that is, through the gate. A commit of any other branch — or one merged *into* main
from a side branch, which the gate judged only as part of its merge — never passed it alone, so
deploying it would let a branch carry its own CA, roles or policies to production.

The branch name is the sync job's to give (``--branch``, default ``main``): any setting read from
a revision could be forged by the very branch it is meant to keep out.
"""

from __future__ import annotations

from ..errors import UsageError
from ..gitrepo import Git

DEFAULT_BRANCH = "main"
RULE = "sync.rev_not_on_deployment_branch"


def branch_tip(git: Git, branch: str) -> str:
    """The deployment branch as the remote has it (``origin/<branch>``), else the local branch.

    The remote's copy comes first: a local branch may hold commits no pull request ever saw.
    """
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        commit = git.rev_parse(ref)
        if commit is not None:
            return commit
    raise UsageError(f"there is no deployment branch {branch!r} (neither origin/{branch} nor {branch})",
                     hint="fetch it (git fetch origin) or name the deployment branch with --branch")


def deployable(git: Git, rev: str | None, branch: str = DEFAULT_BRANCH) -> str:
    """The commit to sync: ``rev`` (default: the branch tip) if it lies on the branch's first-parent line."""
    tip = branch_tip(git, branch)
    if rev is None:
        return tip
    commit = git.resolve(rev)
    if not git.on_first_parent_line(commit, tip):
        raise UsageError(
            f"[{RULE}] {rev} ({commit[:12]}) is not on the first-parent history of the deployment "
            f"branch {branch} ({tip[:12]}): only what was merged there through the gate is deployed",
            hint=f"merge the change into {branch} through a pull request, then sync {branch}")
    return commit
