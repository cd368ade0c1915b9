"""Apply a plan to MLflow, under a lock, idempotently.

Every write sets a value (an alias, a tag) rather than changing it relative to what was there,
so re-applying is harmless and an interrupted run converges: run sync again, it recomputes
the plan from what MLflow now holds. An alias is written before the ``clinigate.alias.<env>``
record that marks it as sync's, so an interruption between the two leaves an alias on the
right version whose record the next run writes.

The lock (two applies must not interleave):

* ``http(s)://`` tracking URIs (and any other remote store): a registered-model tag
  ``clinigate.sync_lock = "<owner> <expiry epoch>"`` on the dedicated registered model
  ``clinigate-sync-lock`` (created if missing), the owner being
  ``<host>:<pid>:<random>:<pid namespace>``. Acquire = read the tag; if it is free, expired, or
  abandoned (see below), set it, wait a moment, re-read and proceed only if it still names us;
  release = delete the tag if it is still ours. A file lock would not do: two machines may sync
  against one server. MLflow has no compare-and-set, so this is a lease with a confirmation read,
  not a consensus lock.

  A crashed holder must not block the re-run that repairs its half-applied plan: a lease whose
  owner ran on this host, in this PID namespace (containers sharing a host name have their own),
  with a process that no longer exists is abandoned and taken over at once. A holder on another
  host cannot be checked, so its lease runs out: ``LEASE_SECONDS``, renewed by the holder while
  it applies (every ``RENEW_SECONDS``, between writes), so a long apply keeps it and a crash
  frees it within minutes. A recycled PID looks alive and only delays the takeover until expiry.
* ``sqlite:///`` and ``file:`` (or plain path) URIs: ``fcntl.flock`` on a lock file beside the
  database or the store folder; the kernel releases it if the process dies.

A lock that stays taken for ``lock_timeout`` seconds is an :class:`EnvironmentProblem`
(exit 3) naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ClinigateError, EnvironmentProblem
from .actual import RegistryClient
from .plan import (
    APPLIED_PREFIX,
    LEDGER_TAG,
    RECORD_PREFIX,
    Plan,
    RemoveAlias,
    SetAlias,
    SetTags,
    TransitionStage,
    Write,
)

LOCK_MODEL = "clinigate-sync-lock"
LOCK_TAG = "clinigate.sync_lock"
LEASE_SECONDS = 300
RENEW_SECONDS = LEASE_SECONDS / 3
_POLL_SECONDS = 0.5
_CONFIRM_SECONDS = 0.2


@dataclass
class ApplyResult:
    plan: Plan
    written: list[Write] = field(default_factory=list)


def apply(plan: Plan, client: RegistryClient, *, lock_timeout: float = 60.0,
          owner: str | None = None, replan: Callable[[], Plan] | None = None) -> ApplyResult:
    """Execute the plan's writes under the sync lock; refusals and drift warnings write nothing.

    With ``replan``, the plan is computed again once the lock is held: another sync may have
    finished (or someone may have moved an alias) while this one waited, and executing the
    stale plan would rewrite what is already right. ``result.plan`` is the plan executed.
    """
    result = ApplyResult(plan)
    if plan.blocked is not None or not plan.writes:
        return result
    with sync_lock(client, timeout=lock_timeout, owner=owner) as lease:
        if replan is not None:
            plan = result.plan = replan()
            if plan.blocked is not None:
                return result
        for action in plan.writes:
            lease.renew_if_due()
            _execute(action, client)
            result.written.append(action)
    return result


def _execute(action: Write, client: RegistryClient) -> None:
    if isinstance(action, SetAlias):
        if action.ledger_commit:  # recorded first: a move never happens on approvals left unrecorded
            client.set_model_tag(action.model, LEDGER_TAG, action.ledger_commit)
        client.set_alias(action.model, action.alias, action.version)
        client.set_model_tag(action.model, RECORD_PREFIX + action.alias, action.version)
        if action.applied:  # when it took effect in MLflow, for the audit timeline
            client.set_version_tag(action.model, action.version, APPLIED_PREFIX + action.alias,
                                   action.applied)
    elif isinstance(action, RemoveAlias):
        client.delete_alias(action.model, action.alias)
        client.delete_model_tag(action.model, RECORD_PREFIX + action.alias)
    elif isinstance(action, SetTags):
        # synced_at goes last: its presence means the other tags of this run are in place.
        for key, value in sorted(action.tags.items(), key=lambda kv: kv[0] == "clinigate.synced_at"):
            client.set_version_tag(action.model, action.version, key, value)
    elif isinstance(action, TransitionStage):
        client.transition_stage(action.model, action.version, action.stage)


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"  # not Linux: no takeover, the lease expires


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}:{_pid_namespace()}"


class Lease:
    """What the lock holder keeps alive while it applies; a file lock needs nothing."""

    def renew_if_due(self) -> None:
        return None


@contextmanager
def sync_lock(client: RegistryClient, *, timeout: float, owner: str | None = None) -> Iterator[Lease]:
    """The lock for ``client.tracking_uri``: a file lock for local stores, a tag lease for servers."""
    path = local_lock_path(client.tracking_uri)
    if path is not None:
        with _file_lock(path, timeout):
            yield Lease()
    else:
        with _tag_lock(client, timeout, owner or default_owner()) as lease:
            yield lease


def local_lock_path(uri: str) -> Path | None:
    """The lock file for a local store (``sqlite:///x.db`` -> ``x.db.clinigate-sync.lock``), else None."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        db = Path(uri.split(":///", 1)[1]) if ":///" in uri else None  # sqlite:////abs or sqlite:///rel
        return db.with_name(db.name + ".clinigate-sync.lock") if db is not None and db.name else None
    if parsed.scheme in ("", "file"):
        folder = Path(parsed.path if parsed.scheme == "file" else uri)
        return folder / ".clinigate-sync.lock"
    return None


@contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise EnvironmentProblem(f"another clinigate sync holds the lock {path} ({holder})",
                                             hint="wait for it to finish, or raise --lock-timeout") from None
                time.sleep(_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _holder(client: RegistryClient) -> str | None:
    state = client.registered_model(LOCK_MODEL)
    return state.tags.get(LOCK_TAG) if state is not None else None


def _expired(value: str, now: float) -> bool:
    try:
        return float(value.rsplit(" ", 1)[1]) < now
    except (IndexError, ValueError):
        return True  # unreadable: treat as free rather than blocking forever


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _local_pid(owner: str) -> int | None:
    """The owner's pid when it ran here: same host name and same PID namespace, else None."""
    parts = owner.split(":")
    if len(parts) != 4 or not parts[1].isdigit() or int(parts[1]) <= 0:
        return None
    host, pid, _, namespace = parts
    if host != socket.gethostname() or namespace == "-" or namespace != _pid_namespace():
        return None
    return int(pid)


def _abandoned(value: str) -> bool:
    """The lease's owner ran here and its process is gone (it crashed or was killed)."""
    pid = _local_pid(value.rsplit(" ", 1)[0])
    return pid is not None and not _process_exists(pid)


def _blocked_by(client: RegistryClient, holder: str) -> EnvironmentProblem:
    who, _, expiry = holder.rpartition(" ")
    host = who.split(":", 1)[0]
    if _local_pid(who) is not None:
        why = "its process is still running on this host"
    elif host == socket.gethostname():
        why = "it ran in another PID namespace (container) of this host, whose processes are not visible here"
    else:
        why = f"it runs on {host}, whose processes this host cannot check"
    return EnvironmentProblem(
        f"another clinigate sync holds the lock on {client.tracking_uri}: {who} "
        f"(registered model {LOCK_MODEL}, tag {LOCK_TAG}, lease expires at epoch {expiry}; {why})",
        hint="wait for it to finish, or raise --lock-timeout; a crashed holder on this host is taken "
             f"over at once, one elsewhere when its lease runs out (at most {LEASE_SECONDS} s)")


class _TagLease(Lease):
    def __init__(self, client: RegistryClient, owner: str) -> None:
        self.client, self.owner = client, owner
        self.value, self.renewed = "", time.monotonic()

    def _write(self) -> None:
        self.value = f"{self.owner} {int(time.time()) + LEASE_SECONDS}"
        self.renewed = time.monotonic()
        self.client.set_model_tag(LOCK_MODEL, LOCK_TAG, self.value)

    def claim(self) -> bool:
        """Write our lease, let a racing writer's write land, and confirm by re-reading."""
        self._write()
        time.sleep(_CONFIRM_SECONDS)
        return _holder(self.client) == self.value

    def renew_if_due(self) -> None:
        if time.monotonic() - self.renewed < RENEW_SECONDS:
            return
        holder = _holder(self.client)
        if holder != self.value:
            raise EnvironmentProblem(
                f"clinigate sync lost its lock on {self.client.tracking_uri} mid-apply: the lease now "
                f"names {holder or 'nobody'}; stopped before the next write",
                hint="run sync again once the other holder is done; re-running converges")
        self._write()

    def release(self) -> None:
        if _holder(self.client) == self.value:
            self.client.delete_model_tag(LOCK_MODEL, LOCK_TAG)


@contextmanager
def _tag_lock(client: RegistryClient, timeout: float, owner: str) -> Iterator[Lease]:
    client.create_registered_model(LOCK_MODEL)
    deadline = time.monotonic() + timeout
    lease = _TagLease(client, owner)
    while True:
        holder = _holder(client)
        if holder is None or _expired(holder, time.time()) or _abandoned(holder):
            if lease.claim():
                break
        elif time.monotonic() >= deadline:
            raise _blocked_by(client, holder)
        time.sleep(_POLL_SECONDS)
    try:
        yield lease
    except BaseException:
        # The failure in progress (e.g. the server died mid-apply) is the one to report; a
        # failed release must not replace it. The lease expires on its own.
        with suppress(ClinigateError):
            lease.release()
        raise
    lease.release()
