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

Size exception: ~730 lines (layout, append, replication and integrity in one module) until the split
issue 16 asks for lands.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar
from urllib.parse import quote, unquote

from .. import layout
from ..errors import ClinigateError, EnvironmentProblem, GitError, UsageError
from ..gitrepo import Git
from ..gitrepo.auth import RemoteAuth
from ..gitrepo.git import REGULAR_FILE, CommitRecord, ObjectInfo, TreeFile
from ..manifest.semver import SEMVER_RE
from .act import MAX_BUNDLE_BYTES, ActBundle, BundleUnreadable

LEDGER_REF = layout.LEDGER_REF
DEFAULT_COMMITTER = "clinigate ledger <ledger@clinigate.invalid>"
BUNDLE_SUFFIX = ".sigstore.json"
# Tips this clone has seen on each remote, and the last tip it wrote itself: a later ledger that
# does not descend from them was rewritten, which ref protection should have made impossible.
SEEN_PREFIX = layout.LEDGER_SEEN_PREFIX
WRITTEN_REF = layout.LEDGER_WRITTEN_REF
# Every tip `ledger push` publishes is also tagged on the remote, and `ledger fetch` brings the tags
# back: a fresh clone can then tell that the ledger was reset to an older commit (which would drop
# a revocation), as long as the tags are protected from deletion (a tag ruleset).
HEAD_TAGS = layout.LEDGER_HEAD_TAGS
MODEL_DOCUMENTS = {layout.DEPLOYMENT_FILE: "_deployment", layout.PCCP_FILE: "_pccp",
                   layout.MODEL_FILE: "_model"}
# Governance files (policies, workflows, the tool's code: DESIGN §13) are approved like documents;
# their acts live under this folder, keyed by the file's whole path, percent-encoded into one name.
REPO_FILES = "_repo"
MAX_PATH = 300

_MODEL_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")  # manifest.values.ModelName
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_REMOTE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_IDENTITY_RE = re.compile(r"^(?P<name>[^<>]+?) <(?P<email>[^<>]+)>$")
_LOCAL_RACES = 20
_T = TypeVar("_T")


class LedgerIntegrityError(ClinigateError):
    """The ledger's history is not append-only, or an entry is not what its name says (exit 1)."""

    exit_code = 1


class LedgerRewritten(LedgerIntegrityError):
    """A remote's ledger no longer descends from the tip this clone saw there before."""


class LedgerRewound(LedgerIntegrityError):
    """The ledger lacks a head clinigate relied on, or a commit that does more than add files.

    Approvals from such a ledger are refused as a whole: the commit that was dropped or the file
    that was deleted may have been a revocation.
    """

    def __init__(self, problems: Sequence[LedgerProblem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"[{first.rule}] {first.message}{more}; no approval on it is counted",
                         hint="run `clinigate ledger fetch` first; if the remote lacks the commit too, "
                              "restore the ledger ref from a clone or backup that holds it (`clinigate "
                              "verify` lists every problem) and protect the ref")
        self.problems = list(problems)


class NotALedgerDocument(UsageError):
    """Only version manifests and a model's deployment, PCCP and model documents are approved."""


class LedgerPushRejected(EnvironmentProblem):
    """The remote kept refusing our fast-forward (contention, or a protection rule)."""


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
class LedgerProblem:
    rule: str
    message: str
    path: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class LedgerReading:
    """The ledger's files at one tip: the readable acts, and one problem per file that is not."""

    entries: list[LedgerEntry]
    problems: list[LedgerProblem]


@dataclass(frozen=True)
class FetchResult:
    remote: str
    remote_tip: str | None  # None: the remote has no ledger yet
    local_tip: str | None
    replayed: int  # local commits re-created on top of the remote's tip


@dataclass(frozen=True)
class _Link:
    """One remote while a fetch or push talks to it."""

    name: str  # the configured remote: names the tracking refs and the messages
    target: str  # what git is told to contact: the name, or the URL the credentials need
    git: Git  # the clone, with the credentials' environment on its remote calls


@dataclass(frozen=True)
class PushResult:
    remote: str
    tip: str | None  # what the remote's ledger points at now
    pushed: bool  # False: nothing to push
    attempts: int


# --- the layout -----------------------------------------------------------------------------------

def ledger_key(path: str) -> tuple[str, str]:
    """(model, key) for an approvable document path; refuses anything else.

    ``models/m/versions/1.3.0.yaml`` -> ``("m", "1.3.0")``; ``models/m/deployment.yaml`` ->
    ``("m", "_deployment")``; likewise ``_pccp`` and ``_model``.
    """
    if is_repository_file(path):
        return REPO_FILES, quote(path, safe="")
    parts = path.split("/")
    model = parts[1] if len(parts) > 2 and parts[0] == layout.MODELS_DIR else ""
    if _MODEL_RE.match(model):
        if len(parts) == 3 and parts[2] in MODEL_DOCUMENTS:
            return model, MODEL_DOCUMENTS[parts[2]]
        in_versions = len(parts) == 4 and parts[2] == layout.VERSIONS_DIR
        version = parts[3].removesuffix(".yaml") if in_versions else ""
        if parts[-1].endswith(".yaml") and SEMVER_RE.match(version):
            return model, version
    raise NotALedgerDocument(
        f"{path!r} is not a document clinigate records approvals for",
        hint=f"approve {layout.version_path('<model>', '<semver>')}, a model's {layout.DEPLOYMENT_FILE}, "
             f"{layout.PCCP_FILE} or {layout.MODEL_FILE}, or a governance file such as "
             f"{layout.POLICIES_DIR}/gates.rego",
    )


def is_repository_file(path: str) -> bool:
    """A plain relative path outside models/ (a governance file): no empty, '.' or '..' parts,
    no control characters, at most :data:`MAX_PATH` characters."""
    parts = path.split("/")
    return (0 < len(path) <= MAX_PATH and parts[0] != layout.MODELS_DIR
            and all(part not in ("", ".", "..") for part in parts)
            and not any(ord(c) < 0x20 or c == "\x7f" for c in path))


def document_path(model: str, key: str) -> str:
    """The inverse of :func:`ledger_key`."""
    if model == REPO_FILES:
        return unquote(key)
    names = {k: name for name, k in MODEL_DOCUMENTS.items()}
    return layout.model_file_path(model, names[key]) if key in names else layout.version_path(model, key)


def entry_path(document: str, document_sha256: str, act_id: str) -> str:
    model, key = ledger_key(document)
    if not _SHA256_RE.match(document_sha256):
        raise UsageError(f"{document_sha256!r} is not a lower-case hex SHA-256 digest")
    return f"{model}/{key}/{document_sha256}/{act_id}{BUNDLE_SUFFIX}"


def parse_entry_path(path: str) -> tuple[str, str, str, str] | None:
    """(model, key, document_sha256, act_id) for a path in the layout, else None."""
    parts = path.split("/")
    if len(parts) != 4 or not parts[3].endswith(BUNDLE_SUFFIX):
        return None
    model, key, document_sha, name = parts
    act_id = name.removesuffix(BUNDLE_SUFFIX)
    if _folder_in_layout(parts[:3]) and _SHA256_RE.match(act_id):
        return model, key, document_sha, act_id
    return None


def _folder_in_layout(parts: Sequence[str]) -> bool:
    """Whether ``parts`` are the first folders of the layout: <model>/<key>/<document_sha256>."""
    if len(parts) > 3:
        return False
    digest_ok = len(parts) < 3 or bool(_SHA256_RE.match(parts[2]))
    if parts[0] == REPO_FILES:
        return digest_ok and (len(parts) < 2 or _repository_key(parts[1]))
    key_ok = len(parts) < 2 or parts[1] in MODEL_DOCUMENTS.values() or bool(SEMVER_RE.match(parts[1]))
    return bool(_MODEL_RE.match(parts[0])) and key_ok and digest_ok


def _repository_key(key: str) -> bool:
    """One canonical encoding per path, so the same file never has two folders."""
    path = unquote(key)
    return is_repository_file(path) and quote(path, safe="") == key


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


def _check_remote(remote: str) -> None:
    if not _REMOTE_RE.match(remote):
        raise UsageError(f"--remote {remote!r}: give the name of a configured remote (e.g. origin)")


# --- the ledger ---------------------------------------------------------------------------------

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
            if path in existing and existing[path] != blob and not self._holds_own_act(path, existing[path]):
                raise LedgerIntegrityError(
                    f"{self.ref} already holds {path} with other bytes: the ledger never changes a file",
                    hint="run `clinigate verify`: the existing entry does not match its own name")
        # Same name, other bytes, same act (re-serialised JSON, another signature): already recorded.
        return {path: blob for path, blob in blobs.items() if path not in existing}

    def _holds_own_act(self, path: str, blob: str) -> bool:
        """Whether the file at ``path`` is a readable act whose id is the one its name gives."""
        parsed = parse_entry_path(path)
        info = self.git.object_info([blob]).get(blob)
        if parsed is None or info is None or info.kind != "blob" or info.size > MAX_BUNDLE_BYTES:
            return False
        try:
            return ActBundle.from_bytes(self.git.read_objects([blob])[blob] or b"").act_id == parsed[3]
        except BundleUnreadable:
            return False

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
        prefix = self._prefix(document_path, document_sha256, model)
        cached = self._readings.get((tip, prefix))
        if cached is None:
            cached = self._readings[(tip, prefix)] = self._read(tip, prefix)
        if document_sha256 is None:
            return cached
        return LedgerReading([e for e in cached.entries if e.document_sha256 == document_sha256],
                             [p for p in cached.problems if _under_digest(p.path, document_sha256)])

    def _read(self, tip: str, prefix: str) -> LedgerReading:
        listing = self.git.tree_files(tip, [prefix] if prefix else [], trees=True)
        added = self._added_by(tip, prefix)
        candidates, problems = _sort_out(listing)
        infos = self.git.object_info([f.blob for f, _ in candidates])
        readable = []
        for file, parsed in candidates:
            problem = _object_problem(file, infos.get(file.blob))
            if problem is None:
                readable.append((file, parsed))
            else:
                problems.append(problem)
        blobs = self.git.read_objects([f.blob for f, _ in readable])
        unknown = (tip, datetime.fromtimestamp(0, UTC))  # only for a history check_history rejects
        entries = []
        for file, parsed in readable:
            problem, text = _content_problem(file, parsed, blobs.get(file.blob) or b"")
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

    @staticmethod
    def _prefix(document: str | None, digest: str | None, model: str | None) -> str:
        if document is not None:
            doc_model, key = ledger_key(document)
            return f"{doc_model}/{key}/" + (f"{digest}/" if digest else "")
        return f"{model}/" if model else ""

    def _added_by(self, tip: str, prefix: str) -> dict[str, tuple[str, datetime]]:
        added: dict[str, tuple[str, datetime]] = {}
        for record in self.git.history([tip], [prefix] if prefix else []):
            for change in record.changes:
                # Newest first: a path deleted and re-added is dated by its last addition.
                if change.status == "A" and change.path not in added:
                    added[change.path] = (record.commit, datetime.fromisoformat(record.author_date))
        return added

    # --- remotes ---

    def fetch(self, remote: str = "origin") -> FetchResult:
        """Bring ``remote``'s ledger in and make the local ledger the union of both.

        Raises :class:`LedgerRewritten` when the remote no longer descends from what this clone
        saw there before; a remote without a ledger is an empty ledger.
        """
        with self._connect(remote) as link:
            return self._fetch(link)

    @contextmanager
    def _connect(self, remote: str) -> Iterator[_Link]:
        _check_remote(remote)
        if self.auth is None:
            yield _Link(remote, remote, self.git)
            return
        url = self._on_remote(remote, partial(self.git.remote_url, remote))
        with self.auth.access(url) as access:
            # The name while the URL is unchanged, so the remote's own settings (a pushurl) still apply.
            target = remote if access.url == url else access.url
            yield _Link(remote, target, self.git.with_remote_env(access.env))

    def _fetch(self, link: _Link) -> FetchResult:
        remote_tip = self._fetch_remote(link)
        self._fetch_head_tags(link)
        if remote_tip is None:
            return FetchResult(link.name, None, self.tip(), 0)
        local, replayed = self._integrate(remote_tip)
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
        tracking = f"refs/remotes/{remote}/{self.branch}"
        self._on_remote(remote, partial(link.git.fetch_ref, link.target, self.ref, tracking))
        tip = self.git.resolve(tracking)
        if seen is not None and not self.git.is_ancestor(seen, tip):
            raise LedgerRewritten(
                f"the ledger on {remote} was rewritten: it is now at {tip}, which does not contain "
                f"{seen}, the tip this clone saw there before", hint=self._rewrite_hint(remote))
        self.git.set_ref(seen_ref, tip)
        return tip

    def _fetch_head_tags(self, link: _Link) -> None:
        self._on_remote(link.name, partial(link.git.fetch_ref, link.target, f"{HEAD_TAGS}*",
                                           f"{HEAD_TAGS}*", force=False))

    def _rewrite_hint(self, remote: str) -> str:
        return (f"do not push over it; ask the repository admins to restore {self.ref} on {remote} "
                f"(the history this clone saw is kept at {SEEN_PREFIX}{remote}) and to protect the ref")

    def _on_remote(self, remote: str, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except GitError as exc:
            raise EnvironmentProblem(f"cannot reach the remote {remote!r}: {exc.message}",
                                     hint=self._access_hint(remote)) from exc

    def _access_hint(self, remote: str) -> str:
        check = f"check `git remote get-url {remote}`"
        if self.auth is None:
            return (f"{check} and your access (a private repository in GitHub Actions: "
                    "--token-env GITHUB_TOKEN)")
        if self.auth.token is not None:
            return f"{check}; the remote refused the token, or has no such repository"
        return (f"{check}; the remote refused the SSH key, or has no such repository: is it the "
                "repository's deploy key (with write access, to push), and is the host in known_hosts?")

    def _integrate(self, remote_tip: str) -> tuple[str, int]:
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

    def push(self, remote: str = "origin", retries: int = 8) -> PushResult:
        """Publish local ledger commits to ``remote`` as a fast-forward, retrying when another
        clone appended first (fetch, replay our additions on top, back off, push again)."""
        with self._connect(remote) as link:
            return self._push(link, retries)

    def _push(self, link: _Link, retries: int) -> PushResult:
        remote, reason = link.name, ""
        for attempt in range(1, retries + 2):
            fetched = self._fetch(link)
            local = fetched.local_tip
            if local is None or local == fetched.remote_tip:
                return PushResult(remote, fetched.remote_tip, pushed=False, attempts=attempt)
            self._refuse_broken_history(local, fetched.remote_tip)
            rejection = self._on_remote(remote, partial(link.git.push_ref, link.target, local, self.ref))
            if rejection is None:
                self.git.set_ref(f"refs/remotes/{remote}/{self.branch}", local)
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

    def _local_heads(self) -> dict[str, str]:
        """Tips this clone saw on each remote and the last tip it wrote. Name -> commit."""
        return self.git.refs(SEEN_PREFIX.rstrip("/")) | self.git.refs(WRITTEN_REF)

    def _published_heads(self) -> dict[str, str]:
        """Tips `ledger push` published (:data:`HEAD_TAGS`, fetched back by `ledger fetch`)."""
        return self.git.refs(HEAD_TAGS.rstrip("/"))

    def _missing(self, tip: str | None, heads: Mapping[str, str], rule: str) -> list[LedgerProblem]:
        """One problem per recorded head the ledger at ``tip`` does not contain."""
        return [LedgerProblem(rule, f"{self.ref} is at {tip or '(nothing)'}, which does not contain "
                              f"{commit}, a ledger head recorded by {name}", commit=commit)
                for name, commit in sorted(heads.items()) if not self._contains(tip, commit)]

    def rewinds(self, recorded: Mapping[str, str] | None = None) -> list[LedgerProblem]:
        """Problems that make every approval on the ledger untrustworthy (rule ``ledger.rewound``,
        ``ledger.rewritten_entry``, ``ledger.merge_commit``): a recorded head (this clone's, or
        ``recorded`` from elsewhere, e.g. MLflow) the ledger does not contain, or a commit that does
        more than add files."""
        tip = self.tip()
        heads = {**self._published_heads(), **self._local_heads(), **(recorded or {})}
        problems = self._missing(tip, heads, "ledger.rewound")
        if tip is not None:
            problems += [p for record in self.git.history([tip]) for p in _commit_problems(record)]
        return problems

    def require_intact(self, recorded: Mapping[str, str] | None = None) -> None:
        """Raise :class:`LedgerRewound` (exit 1) when :meth:`rewinds` finds anything."""
        problems = self.rewinds(recorded)
        if problems:
            raise LedgerRewound(problems)

    def _contains(self, tip: str | None, commit: str) -> bool:
        if tip is None or self.git.rev_parse(commit) is None:  # a commit this clone never got
            return False
        return self.git.is_ancestor(commit, tip)

    def _refuse_broken_history(self, local: str, published: str | None) -> None:
        """Refuse to publish commits that rewrite the ledger or add files that are not acts.

        What the remote already holds is reported by `verify`, but must not block every later
        push: the ledger is append-only, so a bad entry once published is there for good.
        """
        problems = self._descent_problems(local)
        unpublished = self.git.history([local, *([f"^{published}"] if published else [])])
        problems += [p for record in unpublished for p in _commit_problems(record)]
        added = {c.path for record in unpublished for c in record.changes if c.status == "A"}
        problems += [p for p in self.read().problems if p.path and _touches(p.path, added)]
        if problems:
            raise LedgerIntegrityError(
                f"refusing to push a ledger that is not append-only or holds entries that are not "
                f"approval acts: [{problems[0].rule}] {problems[0].message}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                hint="run `clinigate verify` for the full list")

    # --- integrity ---

    def check_history(self) -> list[LedgerProblem]:
        """Every way the ledger differs from an append-only log of acts, each under its own name."""
        tip = self.tip()
        if tip is None:
            return self.rewinds()  # a deleted ledger: every published head is missing
        problems = [p for record in self.git.history([tip]) for p in _commit_problems(record)]
        problems += self.read().problems
        problems += self._descent_problems(tip)
        return problems

    def _descent_problems(self, tip: str) -> list[LedgerProblem]:
        # This clone's own record is a rewritten history; a published head missing is a rewind.
        return (self._missing(tip, self._local_heads(), "ledger.history_rewritten")
                + self._missing(tip, self._published_heads(), "ledger.rewound"))


def _commit_problems(record: CommitRecord) -> Iterable[LedgerProblem]:
    if len(record.parents) > 1:
        yield LedgerProblem("ledger.merge_commit",
                            f"ledger commit {record.commit} is a merge; the ledger is a single line "
                            "of appends", commit=record.commit)
    verbs = {"M": "modifies", "D": "deletes", "T": "changes the type of"}
    for change in record.changes:
        if change.status != "A":
            yield LedgerProblem("ledger.rewritten_entry",
                                f"ledger commit {record.commit} {verbs.get(change.status, 'changes')} "
                                f"{change.path}; entries may only be added",
                                path=change.path, commit=record.commit)


def _touches(path: str, added: set[str]) -> bool:
    """Whether ``path`` (a file, or a folder reported whole) is or holds one of ``added``."""
    return path in added or any(a.startswith(path + "/") for a in added)


def _under_digest(path: str | None, digest: str) -> bool:
    parts = (path or "").split("/")
    return len(parts) < 3 or parts[2] == digest


def _sort_out(listing: Sequence[TreeFile]) -> tuple[list[tuple[TreeFile, tuple[str, str, str, str]]],
                                                    list[LedgerProblem]]:
    """Files that may be acts (a regular file under a layout name), and a problem for the rest.

    A folder that does not belong is reported once, as a whole: what it holds is not an entry
    and is not listed file by file (a thousand files in it are one finding, not a thousand).
    """
    candidates, problems, refused = [], [], set()
    for item in listing:
        parts = item.path.split("/")
        if any("/".join(parts[:n]) in refused for n in range(1, len(parts))):
            continue
        if item.kind == "tree":
            if not _folder_in_layout(parts):
                refused.add(item.path)
                problems.append(_tree_problem(item))
            continue
        parsed = parse_entry_path(item.path)
        problem = _path_problem(item) if parsed is None else _mode_problem(item)
        if problem is not None:
            problems.append(problem)
        elif parsed is not None:
            candidates.append((item, parsed))
    return candidates, problems


_LAYOUT = f"<model>/<key>/<document_sha256>/<act_id>{BUNDLE_SUFFIX}"


def _path_problem(item: TreeFile) -> LedgerProblem:
    return LedgerProblem("ledger.entry_path", f"{item.path} is not {_LAYOUT}", path=item.path)


def _tree_problem(item: TreeFile) -> LedgerProblem:
    if parse_entry_path(item.path) is not None:
        return LedgerProblem("ledger.entry_tree", f"{item.path} is a folder where the layout puts one "
                             "act's bundle file; nothing in it is read", path=item.path)
    return LedgerProblem("ledger.entry_path", f"{item.path}/ is a folder outside {_LAYOUT}; nothing in "
                         "it is read", path=item.path)


def _mode_problem(item: TreeFile) -> LedgerProblem | None:
    # ls-tree names the kind after the mode; both are checked so neither can pass for the other.
    if item.mode == "160000" or item.kind == "commit":
        return LedgerProblem("ledger.entry_gitlink", f"{item.path} is a gitlink (a submodule commit "
                             f"{item.blob}), not an act's bundle file", path=item.path)
    if item.mode == "120000":
        return LedgerProblem("ledger.entry_symlink", f"{item.path} is a symbolic link, not an act's bundle "
                             "file; it is not followed", path=item.path)
    if item.mode != REGULAR_FILE or item.kind != "blob":
        return LedgerProblem("ledger.entry_mode", f"{item.path} has mode {item.mode} ({item.kind}); the "
                             f"ledger only holds regular files ({REGULAR_FILE})", path=item.path)
    return None


def _object_problem(item: TreeFile, info: ObjectInfo | None) -> LedgerProblem | None:
    if info is None:
        return LedgerProblem("ledger.entry_missing", f"{item.path} names blob {item.blob}, which this clone "
                             "does not have", path=item.path)
    if info.kind != "blob":
        return LedgerProblem("ledger.entry_object", f"{item.path} is listed as a file but names a "
                             f"{info.kind} object ({item.blob})", path=item.path)
    if info.size > MAX_BUNDLE_BYTES:
        # Sized from the object header: a 50 MB blob is refused without being read.
        return LedgerProblem("ledger.entry_size", f"{item.path} is {info.size} bytes, more than an "
                             f"approval bundle may hold ({MAX_BUNDLE_BYTES}); it is not read", path=item.path)
    return None


def _content_problem(item: TreeFile, parsed: tuple[str, str, str, str],
                     raw: bytes) -> tuple[LedgerProblem | None, str]:
    try:
        act = ActBundle.from_bytes(raw)
    except BundleUnreadable as exc:
        return LedgerProblem(exc.rule, f"{item.path}: {exc.message}", path=item.path), ""
    if act.act_id != parsed[3]:
        return LedgerProblem("ledger.entry_name", f"{item.path} holds act {act.act_id}, not the act its "
                             "name says: every file is named by the sha256 of the statement it signs",
                             path=item.path), ""
    return None, act.text
