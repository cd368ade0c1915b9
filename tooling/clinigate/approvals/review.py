"""Approvals of registry documents at a revision: the ledger, read through the base's trust.

    >>> book = ApprovalBook.open(Git(root), base="origin/main")          # doctest: +SKIP
    >>> book.judge("models/sepsis-ews/versions/1.3.0.yaml", rev="HEAD")  # doctest: +SKIP

Trust (``policies/trust/``) and roles (``roles.yaml``) always come from the *base* revision:
a pull request cannot trust its own CA or grant its own reviewers a role (DESIGN §5, §12).
A fault in that trust (a root file missing or not a CA, an unusable Sigstore root, approvals
nothing verifies) is a finding on trust.yaml: the book refuses to open with it unless the
caller lists the findings itself (``strict_trust=False``, as ``verify`` does).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .. import layout
from ..errors import ClinigateError, UsageError
from ..findings import Finding, Severity
from ..gitrepo import Git
from ..manifest.loader import load_bytes
from ..manifest.revision import Snapshot
from ..manifest.trust import Trust
from ..manifest.version import ModelVersion
from ..manifest.waiver import Waiver
from .attestation import sha256_hex
from .authorship import ChangeAuthors
from .backend import Backend, VerifiedSignature, Verifier, is_pki_bundle
from .claim import claim_of
from .verdict import ApprovalVerdict, RoleBook, Subject, judge

if TYPE_CHECKING:
    from .ledger import Ledger
    from .trust_files import TrustFiles

ROLES_FILE = layout.ROLES_PATH


class TrustInvalid(ClinigateError):
    """trust.yaml at the base revision cannot verify approvals; ``findings`` say where and how to fix it."""

    exit_code = 1


# Fixes to trust.yaml are governance changes: they count once merged into the base, not in a PR.
_TRUST_HINT = (f"fix {layout.TRUST_PATH} in a pull request of its own (the gate reads it from the base "
               "revision); `clinigate validate` checks the work tree's copy")


def _nothing_trusted() -> Trust:
    """What a registry without trust.yaml trusts: nothing (see trust_files for why that is safe)."""
    return Trust.model_validate({"apiVersion": "clinigate/v1", "kind": "Trust"})


def load_trust(git: Git, rev: str) -> Trust:
    return read_trust(git, rev).trust


@dataclass(frozen=True)
class TrustAt:
    """trust.yaml at one revision, and what is wrong with the files it names."""

    rev: str
    trust: Trust
    present: bool
    findings: tuple[Finding, ...]
    locate: Callable[[tuple[str | int, ...]], tuple[int | None, int | None]] | None = None
    files: TrustFiles | None = None  # the certificates it names, loaded (``check_files``)


def read_trust(git: Git, rev: str, *, check_files: bool = False) -> TrustAt:
    """trust.yaml at ``rev`` (raises :class:`TrustInvalid` when it does not load at all)."""
    raw = git.read_blobs(rev, [layout.TRUST_PATH]).get(layout.TRUST_PATH)
    if raw is None:
        return TrustAt(rev, _nothing_trusted(), False, ())
    loaded = load_bytes(layout.TRUST_PATH, raw)
    if not isinstance(loaded.document, Trust):
        errors = [f for f in loaded.findings if f.severity is Severity.ERROR] or loaded.findings
        raise TrustInvalid(f"{layout.TRUST_PATH} at {rev[:12]} is invalid: no approval can be verified",
                           hint=_TRUST_HINT, findings=errors)
    if not check_files:
        return TrustAt(rev, loaded.document, True, (), loaded.locate)
    from .trust_files import git_reader, read_trust_files

    files = read_trust_files(loaded.document, git_reader(git, rev, loaded.document), locate=loaded.locate,
                             deep=False)
    return TrustAt(rev, loaded.document, True, files.findings, loaded.locate, files)


class _LazyVerifier:
    """Builds the backend's verifier on first use: sigstore alone costs ~0.5 s to import."""

    def __init__(self, backend: Backend, handles: Callable[[dict[str, Any]], bool],
                 build: Callable[[], Verifier]) -> None:
        self.backend = backend
        self._handles, self._build = handles, build
        self._verifier: Verifier | None = None

    def handles(self, bundle: dict[str, Any]) -> bool:
        return self._handles(bundle)

    def verify(self, bundle_json: str) -> VerifiedSignature:
        if self._verifier is None:
            self._verifier = self._build()
        return self._verifier.verify(bundle_json)


def _parsed(text: str) -> dict[str, Any]:
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError:
        return {}  # judged (and refused) as approval.bundle like any other malformed entry
    return bundle if isinstance(bundle, dict) else {}


def _material(bundle: dict[str, Any]) -> dict[str, Any]:
    material = bundle.get("verificationMaterial")
    return material if isinstance(material, dict) else {}


def _is_keyless(bundle: dict[str, Any]) -> bool:
    return bool(_material(bundle).get("tlogEntries"))


def _is_pki(bundle: dict[str, Any]) -> bool:
    return is_pki_bundle(bundle)


def verifiers_for(trust: Trust, trust_root: Path, files: TrustFiles | None = None, *,
                  checkpoints: bool = False) -> list[Verifier]:
    """One lazy verifier per backend; ``trust_root`` holds ``policies/trust/`` as trusted, ``files``
    its certificates when the caller has already loaded them. ``checkpoints``: for audit
    checkpoints, which trust.yaml's checkpoint workflows may also sign (never for approvals)."""

    def keyless() -> Verifier:
        from .keyless import SigstoreVerifier
        return SigstoreVerifier.from_trust(trust, trust_root, checkpoints=checkpoints)

    def pki() -> Verifier:
        from .pki import PkiVerifier
        return PkiVerifier.from_files(files, trust) if files else PkiVerifier.from_trust(trust, trust_root)

    return [_LazyVerifier("sigstore", _is_keyless, keyless), _LazyVerifier("pki", _is_pki, pki)]


def materialise(git: Git, rev: str, into: Path, folder: str = layout.TRUST_DIR) -> Path:
    """Write ``folder`` (default ``policies/trust/``) as it is at ``rev`` under ``into``."""
    files = git.list_files(rev, folder)
    for path, raw in git.read_blobs(rev, files).items():
        if raw is None:
            continue
        target = into / PurePosixPath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
    return into


@dataclass
class ApprovalBook:
    """Everything needed to judge approvals against one base revision."""

    git: Git
    base: str
    trust: Trust
    roles: RoleBook
    verifiers: Sequence[Verifier]
    ledger: Ledger
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    # The same trust, widened to the checkpoint workflows: for audit checkpoints, never for `judge`.
    checkpoint_verifiers: Sequence[Verifier] = ()
    # What is wrong with the base's trust.yaml (empty unless opened with strict_trust=False).
    trust_findings: list[Finding] = field(default_factory=list)
    # One read of the whole ledger and batched blob reads: sync judges thousands of documents.
    _by_document: dict[str, list[Any]] | None = field(default=None, repr=False)
    _blobs: dict[tuple[str, str], bytes | None] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, git: Git, *, base: str, head: str | None = None, trust: TrustAt | None = None,
             strict_trust: bool = True) -> ApprovalBook:
        """``trust``: trust.yaml at ``base`` with its files, when the caller has already read them
        (``read_trust(..., check_files=True)``), so that nothing is read twice.

        ``strict_trust``: raise :class:`TrustInvalid` with every trust finding (``check``,
        ``sync``); otherwise keep them in ``trust_findings`` and judge with what is usable.
        """
        from .ledger import Ledger

        base_sha = git.resolve(base)
        config = trust if trust is not None and trust.rev == base_sha and trust.files is not None \
            else read_trust(git, base_sha, check_files=True)
        tmp = tempfile.TemporaryDirectory(prefix="clinigate-trust-")
        root = materialise(git, base_sha, Path(tmp.name))
        head_roles = Snapshot(git, git.resolve(head)).roles() if head else None
        roles = RoleBook(Snapshot(git, base_sha).roles(), head_roles)
        book = cls(git, base_sha, config.trust, roles, verifiers_for(config.trust, root, config.files),
                   Ledger(git), tmp,
                   checkpoint_verifiers=verifiers_for(config.trust, root, config.files, checkpoints=True))
        book.trust_findings = [*config.findings, *book._unverifiable(config)]
        if strict_trust and book.trust_findings:
            book.close()
            count = len(book.trust_findings)
            raise TrustInvalid(f"{layout.TRUST_PATH} at {base_sha[:12]} cannot verify approvals "
                               f"({count} problem{'s' * (count != 1)})", hint=_TRUST_HINT,
                               findings=book.trust_findings)
        return book

    def _unverifiable(self, config: TrustAt) -> list[Finding]:
        """Approvals on the ledger that nothing in this trust can verify (read only when it matters)."""
        if config.present and config.trust.pki.roots:
            return []
        bundles = [_parsed(entry.text) for entries in self._grouped().values() for entry in entries]
        from .trust_files import unverifiable_findings

        return unverifiable_findings(config.trust, present=config.present, rev=self.base,
                                     pki_approvals=sum(_is_pki(b) for b in bundles), approvals=len(bundles),
                                     locate=config.locate)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ApprovalBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _grouped(self) -> dict[str, list[Any]]:
        if self._by_document is None:
            self._by_document = {}
            for entry in self.ledger.entries():
                self._by_document.setdefault(entry.document_path, []).append(entry)
        return self._by_document

    def entries(self, document: str) -> list[Any]:
        return self._grouped().get(document, [])

    def prefetch(self, rev: str, documents: Sequence[str]) -> None:
        todo = [d for d in documents if (rev, d) not in self._blobs]
        for path, raw in self.git.read_blobs(rev, todo).items():
            self._blobs[(rev, path)] = raw

    def documents(self) -> list[str]:
        """Every document the ledger holds acts for, sorted."""
        return sorted(self._grouped())

    def stored(self, rev: str, document: str) -> bytes | None:
        """The document's bytes at ``rev`` (None: absent there), read in batches and cached."""
        self.prefetch(rev, [document])
        return self._blobs[(rev, document)]

    def subject(self, document: str, raw: bytes, *, committed: bool = True,
                context: ChangeContext | None = None) -> Subject:
        model = layout.model_of(document) or ""
        authors = context.authors.of(document) if context else frozenset()
        pr = context.authors.event.number if context else None
        # Only registry documents are loaded; a governance file (Rego, a workflow) is judged by
        # its path and bytes alone.
        doc = load_bytes(document, raw).document if layout.is_under_models(document) else None
        if isinstance(doc, ModelVersion):
            return Subject(document, sha256_hex(raw), model, doc.version, doc.submitted_by,
                           doc.artifact.sha256, committed, authors, pr)
        submitter = doc.submitted_by if isinstance(doc, Waiver) else None
        return Subject(document, sha256_hex(raw), model, None, submitter, committed=committed,
                       authors=authors, pull_request=pr)

    def judge(self, document: str, *, rev: str | None = None, raw: bytes | None = None,
              context: ChangeContext | None = None) -> list[ApprovalVerdict]:
        """Every ledger act on ``document`` (any digest), judged against its bytes at ``rev``.

        ``context``: the change under review (``check``): its authors may not approve it, and an
        approval counts only for that change's pull request and line of commits.
        """
        stored = self.stored(rev or "HEAD", document)
        if raw is None and stored is None:
            raise UsageError(f"{document} does not exist at {rev or 'HEAD'}", hint="check the path or --rev")
        raw = stored if raw is None else raw
        assert raw is not None
        entries = self.entries(document)
        subject = self.subject(document, raw, committed=raw == stored, context=context)
        verdicts = judge(entries, subject, verifiers=self.verifiers, roles=self.roles,
                         was_at_commit=self._was_at(document),
                         in_lineage=context.in_lineage(self.git) if context else None)
        _note_claims(verdicts, entries)
        return verdicts

    def _was_at(self, document: str) -> Callable[[str, str], bool]:
        def was(commit: str, digest: str) -> bool:
            try:
                raw = self.git.read_blobs(commit, [document]).get(document)
            except ClinigateError:
                return False
            return raw is not None and sha256_hex(raw) == digest
        return was


@dataclass(frozen=True)
class ChangeContext:
    """The change an approval is judged for: who wrote it, and the head it must lead to."""

    head: str
    authors: ChangeAuthors

    def in_lineage(self, git: Git) -> Callable[[str], bool]:
        def reaches_head(commit: str) -> bool:
            try:
                return git.is_ancestor(commit, self.head)
            except ClinigateError:  # a commit this clone does not have is no ancestor
                return False
        return reaches_head


def _note_claims(verdicts: Sequence[ApprovalVerdict], entries: Sequence[Any]) -> None:
    """Keep what each unverifiable entry claims, so reports can say who it pretended to be."""
    texts = {entry.path: entry.text for entry in entries}
    for verdict in verdicts:
        if verdict.statement is None and verdict.entry in texts:
            verdict.claim = claim_of(texts[verdict.entry])


def policy_approvals(verdicts: Sequence[ApprovalVerdict], *, claimed_times: bool) -> list[dict[str, Any]]:
    """``input.approvals`` for the policies: valid approvals count; the rest explain themselves.

    ``claimed`` is what an unverifiable entry says of itself, for the reports only: the policies
    count ``role``, ``valid``, ``meaning`` and ``order`` (the rank of its signing time among the
    approvals, :mod:`.sequence`; ``claimed_times``: trust.yaml accepts untrusted times), which
    never come from an unverified claim.
    """
    from .sequence import approval_ranks

    ranks = approval_ranks(verdicts, claimed_times=claimed_times)
    return [_policy_approval(v, ranks.get(v.act_id)) for v in verdicts]


def _policy_approval(v: ApprovalVerdict, order: int | None) -> dict[str, Any]:
    # Meaning and both times ride along for the reports (21 CFR 11.50); the policies read the
    # meaning (the authority matrix) and the order (the review order), never the times.
    row = v.as_dict()
    return {"role": v.role, "signer": row["signer"], "valid": v.counts_as_approval, "digest": row["digest"],
            "decision": v.decision, "rule": v.rule, "problem": v.problem, "printed_name": row["printed_name"],
            "entry": v.entry, "claimed": row["claimed"], "meaning": row["meaning"], "order": order,
            "trusted_time": row["trusted_time"], "claimed_time": row["claimed_time"],
            "time_source": row["time_source"]}




def accepts_claimed_times(trust: Trust) -> bool:
    """Whether approvals may be ordered by the time their signers claim (no trusted time required)."""
    return not trust.pki.require_timestamp
