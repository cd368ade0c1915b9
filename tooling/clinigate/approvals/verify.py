"""``verify``: every signature on the given documents, judged, plus the ledger's own history.

    >>> report = verify_documents(Git(root), ["models/sepsis-ews/versions/1.3.0.yaml"])  # doctest: +SKIP
    >>> report.valid                                                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..findings import Finding, Severity
from ..gitrepo import Git
from .attestation import sha256_hex
from .review import ApprovalBook
from .verdict import ApprovalVerdict


@dataclass
class DocumentApprovals:
    path: str
    sha256: str
    verdicts: list[ApprovalVerdict]
    note: str | None = None  # why the document was not judged


# Why an act stops counting in the ordinary life of a document: it was edited after approval, the
# act was revoked, or it belongs to another pull request's lineage. None of these is an attempt.
LIFECYCLE_RULES = frozenset({"approval.stale", "approval.revoked", "approval.digest_mismatch",
                             "approval.other_pull_request", "approval.other_lineage"})


@dataclass
class VerifyReport:
    rev: str
    documents: list[DocumentApprovals]
    ledger_problems: list[dict[str, str]] = field(default_factory=list)
    trust_problems: list[Finding] = field(default_factory=list)  # trust.yaml at rev, with lines
    misuse: list[Finding] = field(default_factory=list)  # approval.misuse events, one per document

    @property
    def valid(self) -> bool:
        return (not self.ledger_problems and not self.trust_problems
                and all(v.valid for d in self.documents for v in d.verdicts))


def verify_documents(git: Git, paths: Sequence[str], *, rev: str = "HEAD") -> VerifyReport:
    """Judge ``paths`` (default: every document the ledger holds acts for) as they are on disk.

    Bytes come from the work tree when the file is there, so a manifest edited after its
    approval shows up as such before it is even committed; trust and roles come from ``rev``.
    """
    # The trust findings are listed beside the verdicts: each entry still shows why it fails.
    with ApprovalBook.open(git, base=rev, strict_trust=False) as book:
        # One finding per bad file or rewriting commit; files that are not readable acts are
        # reported here only (they are nobody's signature), the readable ones are judged below.
        problems = [{"rule": p.rule, "message": p.message, **({"path": p.path} if p.path else {})}
                    for p in book.ledger.check_history()]
        targets = list(paths) or book.documents()
        book.prefetch(rev, targets)
        documents = []
        for path in targets:
            on_disk = git.root / path
            raw = on_disk.read_bytes() if on_disk.is_file() else book.stored(rev, path)
            if not paths and raw is None:
                # Acts on documents of other branches (an open pull request) are listed, not judged.
                note = f"not present at {rev}: signed on another branch"
                documents.append(DocumentApprovals(path, "", [], note))
                continue
            verdicts = book.judge(path, rev=rev, raw=raw)
            documents.append(DocumentApprovals(path, sha256_hex(raw) if raw is not None else "", verdicts))
    misuse = misuse_events(documents, book.trust.misuse_threshold)
    return VerifyReport(book.base, documents, problems, book.trust_findings, misuse)


def misuse_events(documents: Sequence[DocumentApprovals], threshold: int) -> list[Finding]:
    """An ``approval.misuse`` warning for each document with ``threshold`` or more signature attempts
    that failed for a reason other than the document's lifecycle (forged, wrong identity, role not
    held, untrusted root…): 21 CFR 11.300(d) asks that such attempts be detected and reported."""
    events = []
    for doc in documents:
        failed = [v for v in doc.verdicts if not v.valid and v.rule not in LIFECYCLE_RULES]
        if len(failed) < threshold:
            continue
        rules = sorted({str(v.rule) for v in failed})
        who = sorted({_claimed_signer(v) for v in failed})
        events.append(Finding(
            doc.path, None, None, "approval.misuse",
            f"{len(failed)} invalid signature attempt{'s' * (len(failed) != 1)} on this document "
            f"({', '.join(rules)}), claimed by "
            f"{', '.join(who)}: at or above trust.yaml's misuse_threshold of {threshold}; investigate "
            "who holds these keys or identities", severity=Severity.WARNING))
    return events


def _claimed_signer(verdict: ApprovalVerdict) -> str:
    if verdict.statement is not None:
        return verdict.statement.predicate.signer.id
    return (verdict.claim.signer_id if verdict.claim else None) or "an unreadable entry"
