"""The approval ledger: signed approval bundles on their own Git ref, append-only (DESIGN §6).

    ledger = Ledger(Git(repo))                           # or Ledger(git, auth=RemoteAuth(token=...))
    ledger.fetch()                                       # union with origin's ledger
    ledger.append([(manifest_path, manifest_sha256, bundle_json)], "approve sepsis-ews 1.3.0")
    ledger.push()                                        # fast-forward only, retried on a race
    for entry in ledger.entries(document_path=manifest_path): ...
    problems = ledger.check_history()                    # what `clinigate verify` reports

Entries live on ``refs/heads/clinigate/ledger`` (a branch, so GitHub can protect it and plain
fetch/push move it) at ``<model>/<key>/<document_sha256>/<act_id>.sigstore.json``. The ref never
touches the PR branch, the index or the work tree: recording an approval must not dismiss a
review. Every file is named by its act id, the sha256 of the statement it signs (:mod:`.act`),
so two acts never collide, re-adding one (even re-serialised) is a no-op, and merging two
ledgers is a union of trees.

Anyone who can push to the ref can add any file to it, and nothing added ever goes away. So
reading never trusts a file: each is listed with its mode, sized before it is read, read by
its own object id and parsed once; a file that is not a readable act under its own name is one
:class:`LedgerProblem` (its own rule) and is skipped, and never hides or shifts another entry.

This module is the ledger of one clone: appending, the union with a fetched tip, and reading.
Its parts live beside it, and their public names are importable from here too:
:mod:`.ledger_layout` (where acts live, the refs), :mod:`.ledger_integrity` (the append-only
and per-file checks, :class:`LedgerProblem` and the integrity errors) and
:mod:`.ledger_replication` (fetch and push).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import EnvironmentProblem, UsageError
from ..gitrepo import Git
from ..gitrepo.auth import RemoteAuth
from .act import MAX_BUNDLE_BYTES, ActBundle, BundleUnreadable
from .ledger_integrity import (
    LedgerChecks,
    LedgerIntegrityError,
    LedgerProblem,
    LedgerRewound,
    LedgerRewritten,
    content_problem,
    holds_own_act,
    object_problem,
    sort_out,
)
from .ledger_layout import (
    BUNDLE_SUFFIX,
    HEAD_TAGS,
    LEDGER_REF,
    MAX_PATH,
    MODEL_DOCUMENTS,
    REPO_FILES,
    SEEN_PREFIX,
    WRITTEN_REF,
    NotALedgerDocument,
    document_path,
    entries_folder,
    entry_path,
    is_repository_file,
    ledger_key,
    parse_entry_path,
    under_digest,
)
from .ledger_replication import FetchResult, LedgerPushRejected, PushResult, Replication

__all__ = [
    "BUNDLE_SUFFIX", "DEFAULT_COMMITTER", "HEAD_TAGS", "LEDGER_REF", "MAX_PATH", "MODEL_DOCUMENTS",
    "REPO_FILES", "SEEN_PREFIX", "WRITTEN_REF", "FetchResult", "Ledger", "LedgerEntry",
    "LedgerIntegrityError", "LedgerProblem", "LedgerPushRejected", "LedgerReading", "LedgerRewound",
    "LedgerRewritten", "NotALedgerDocument", "PushResult", "document_path", "entry_path",
    "is_repository_file", "ledger_key", "parse_entry_path",
]

DEFAULT_COMMITTER = "clinigate ledger <ledger@clinigate.invalid>"

_IDENTITY_RE = re.compile(r"^(?P<name>[^<>]+?) <(?P<email>[^<>]+)>$")
_LOCAL_RACES = 20


@dataclass(frozen=True)
class LedgerEntry:
    """One readable act, under the name its content gives it."""

    path: str
    model: str
    key: str
    document_sha256: str
    act_id: str  # sha256 of the DSSE payload (approvals.act); the file is named by it
    text: str
    commit: str  # the ledger commit that added the file
    committed_at: datetime  # when it was first recorded (the author date, which replays keep)

    @property
    def document_path(self) -> str:
        return document_path(self.model, self.key)


@dataclass(frozen=True)
class LedgerReading:
    """The ledger's files at one tip: the readable acts, and one problem per file that is not."""

    entries: list[LedgerEntry]
    problems: list[LedgerProblem]


def _act(text: str) -> ActBundle:
    try:
        return ActBundle.from_json(text)
    except BundleUnreadable as exc:
        raise UsageError(f"a ledger entry must be a Sigstore bundle holding a signed DSSE envelope: "
                         f"{exc.message}") from None


def _identity(committer: str) -> tuple[str, str]:
    match = _IDENTITY_RE.match(committer)
    if match is None:
        raise UsageError(f"committer {committer!r} is not of the form 'Name <email>'")
    return match["name"], match["email"]


class Ledger:
    """The ledger ref of one clone; every write is a compare-and-swap of that ref."""

    def __init__(self, git: Git, ref: str = LEDGER_REF, *, committer: str = DEFAULT_COMMITTER,
                 clock: Callable[[], datetime] | None = None, auth: RemoteAuth | None = None) -> None:
        self.git = git
        self.auth = auth  # None: git's own credentials (helpers, ssh agent) apply
        self.ref = ref
        # One fixed identity: the signatures inside the bundles say who approved, not the commit.
        self.name, self.email = _identity(committer)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.branch = ref.removeprefix("refs/heads/")
        self.checks = LedgerChecks(self)
        # One read per tip: verify reads the whole ledger for its history check and to judge.
        self._readings: dict[tuple[str, str], LedgerReading] = {}

    def tip(self) -> str | None:
        return self.git.rev_parse(self.ref)

    # --- writing ---

    def append(self, entries: Sequence[tuple[str, str, str]], message: str) -> str | None:
        """Record ``(document_path, document_sha256, bundle_text)`` entries in one commit.

        Returns the new commit, or None when every act was already there (nothing written).
        """
        files = {}
        for document, digest, text in entries:
            data = text.encode()
            if len(data) > MAX_BUNDLE_BYTES:
                raise UsageError(f"the bundle is {len(data)} bytes; an approval bundle holds at most "
                                 f"{MAX_BUNDLE_BYTES}")
            files[entry_path(document, digest, _act(text).act_id)] = data
        blobs = dict(zip(files, self.git.write_blobs(list(files.values())), strict=True))
        for _ in range(_LOCAL_RACES):
            parent = self.tip()
            commit = self._commit_files(parent, blobs, message)
            if commit == parent:
                return None
            if self._move(commit, parent):
                return commit
        raise EnvironmentProblem(f"{self.ref} kept moving while appending; try again")

    def integrate(self, remote_tip: str) -> tuple[str, int]:
        """Make the ledger the union of itself and ``remote_tip`` (a fetched tip).

        Returns the new tip and how many local commits were replayed on top of ``remote_tip``.
        """
        for _ in range(_LOCAL_RACES):
            local = self.tip()
            if local is not None and self.git.is_ancestor(remote_tip, local):
                return local, 0  # ours is ahead: pushed next
            new, replayed = remote_tip, 0
            if local is not None and not self.git.is_ancestor(local, remote_tip):
                new, replayed = self._replay(local, remote_tip)
            if self._move(new, local):
                return new, replayed
        raise EnvironmentProblem(f"{self.ref} kept moving while fetching; try again")

    def _replay(self, local: str, onto: str) -> tuple[str, int]:
        """Re-create ``local``'s commits that ``onto`` lacks on top of it (content-addressed: a union)."""
        tip, replayed = onto, 0
        for record in reversed(self.git.history([local, f"^{onto}"])):
            added = [c for c in record.changes if c.status == "A"]
            # Modes are kept: a gitlink replayed as a regular file would hide what it was.
            commit = self._commit_files(tip, {c.path: c.blob for c in added},
                                        self.git.commit_message(record.commit),
                                        author_date=record.author_date, modes={c.path: c.mode for c in added})
            assert commit is not None  # tip is a commit
            replayed += commit != tip
            tip = commit
        return tip, replayed

    def _commit_files(self, parent: str | None, blobs: dict[str, str], message: str,
                      author_date: str | None = None, modes: dict[str, str] | None = None) -> str | None:
        new = self._new_files(parent, blobs)
        if not new:
            return parent
        tree = self.git.write_tree(parent, new, modes)
        return self.git.commit_tree(tree, [parent] if parent else [], message, name=self.name,
                                    email=self.email, date=self.clock().isoformat(),
                                    author_date=author_date)

    def _new_files(self, parent: str | None, blobs: dict[str, str]) -> dict[str, str]:
        existing = {f.path: f.blob for f in self.git.tree_files(parent, list(blobs))} if parent else {}
        for path, blob in blobs.items():
            other_bytes = path in existing and existing[path] != blob
            if other_bytes and not holds_own_act(self.git, path, existing[path]):
                raise LedgerIntegrityError(
                    f"{self.ref} already holds {path} with other bytes: the ledger never changes a file",
                    hint="run `clinigate verify`: the existing entry does not match its own name")
        # Same name, other bytes, same act (re-serialised JSON, another signature): already recorded.
        return {path: blob for path, blob in blobs.items() if path not in existing}

    def _move(self, new: str | None, old: str | None) -> bool:
        if new is None or not self.git.update_ref(self.ref, new, old):
            return False
        self.git.set_ref(WRITTEN_REF, new)
        return True

    # --- reading ---

    def entries(self, document_path: str | None = None, document_sha256: str | None = None,
                model: str | None = None) -> list[LedgerEntry]:
        """The readable acts on the ledger, optionally for one document (all its digests, or one)
        or one model."""
        return self.read(document_path, document_sha256, model).entries

    def read(self, document_path: str | None = None, document_sha256: str | None = None,
             model: str | None = None) -> LedgerReading:
        """:meth:`entries`, and one :class:`LedgerProblem` for each file there that is not a readable act."""
        tip = self.tip()
        if tip is None:
            return LedgerReading([], [])
        folder = entries_folder(document_path, document_sha256, model)
        cached = self._readings.get((tip, folder))
        if cached is None:
            cached = self._readings[(tip, folder)] = self._read(tip, folder)
        if document_sha256 is None:
            return cached
        return LedgerReading([e for e in cached.entries if e.document_sha256 == document_sha256],
                             [p for p in cached.problems if under_digest(p.path, document_sha256)])

    def _read(self, tip: str, folder: str) -> LedgerReading:
        listing = self.git.tree_files(tip, [folder] if folder else [], trees=True)
        added = self._added_by(tip, folder)
        candidates, problems = sort_out(listing)
        infos = self.git.object_info([f.blob for f, _ in candidates])
        readable = []
        for file, parsed in candidates:
            problem = object_problem(file, infos.get(file.blob))
            if problem is None:
                readable.append((file, parsed))
            else:
                problems.append(problem)
        blobs = self.git.read_objects([f.blob for f, _ in readable])
        unknown = (tip, datetime.fromtimestamp(0, UTC))  # only for a history check_history rejects
        entries = []
        for file, parsed in readable:
            problem, text = content_problem(file, parsed, blobs.get(file.blob) or b"")
            if problem is not None:
                problems.append(problem)
                continue
            commit, committed_at = added.get(file.path, unknown)
            entries.append(LedgerEntry(file.path, *parsed, text=text, commit=commit,
                                       committed_at=committed_at))
        problems = [LedgerProblem(p.rule, p.message, p.path, p.commit or added.get(p.path or "", unknown)[0])
                    for p in problems]
        return LedgerReading(entries, sorted(problems, key=lambda p: (p.path or "", p.rule)))

    def entries_for_key(self, model: str, key: str) -> list[LedgerEntry]:
        """Every entry for one document, whatever its digest (stale approvals included)."""
        return self.entries(document_path=document_path(model, key))

    def _added_by(self, tip: str, folder: str) -> dict[str, tuple[str, datetime]]:
        added: dict[str, tuple[str, datetime]] = {}
        for record in self.git.history([tip], [folder] if folder else []):
            for change in record.changes:
                # Newest first: a path deleted and re-added is dated by its last addition.
                if change.status == "A" and change.path not in added:
                    added[change.path] = (record.commit, datetime.fromisoformat(record.author_date))
        return added

    # --- remotes (ledger_replication) ---

    def fetch(self, remote: str = "origin") -> FetchResult:
        """Bring ``remote``'s ledger in and make the local ledger the union of both.

        Raises :class:`LedgerRewritten` when the remote no longer descends from what this clone
        saw there before; a remote without a ledger is an empty ledger.
        """
        return Replication(self).fetch(remote)

    def push(self, remote: str = "origin", retries: int = 8) -> PushResult:
        """Publish local ledger commits to ``remote`` as a fast-forward, retrying when another
        clone appended first (fetch, replay our additions on top, back off, push again)."""
        return Replication(self).push(remote, retries)

    # --- integrity (ledger_integrity) ---

    def check_history(self) -> list[LedgerProblem]:
        """Every way the ledger differs from an append-only log of acts, each under its own name."""
        return self.checks.check_history()

    def rewinds(self, recorded: Mapping[str, str] | None = None) -> list[LedgerProblem]:
        """Problems that make every approval on the ledger untrustworthy (rule ``ledger.rewound``,
        ``ledger.rewritten_entry``, ``ledger.merge_commit``): a recorded head (this clone's, or
        ``recorded`` from elsewhere, e.g. MLflow) the ledger does not contain, or a commit that does
        more than add files."""
        return self.checks.rewinds(recorded)

    def require_intact(self, recorded: Mapping[str, str] | None = None) -> None:
        """Raise :class:`LedgerRewound` (exit 1) when :meth:`rewinds` finds anything."""
        problems = self.rewinds(recorded)
        if problems:
            raise LedgerRewound(problems)
