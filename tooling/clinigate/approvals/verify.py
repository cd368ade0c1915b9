"""``verify``: every signature on the given documents, judged, plus the ledger's own history.

    >>> report = verify_documents(Git(root), ["models/sepsis-ews/versions/1.3.0.yaml"])  # doctest: +SKIP
    >>> report.valid                                                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..findings import Finding
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


@dataclass
class VerifyReport:
    rev: str
    documents: list[DocumentApprovals]
    ledger_problems: list[dict[str, str]] = field(default_factory=list)
    trust_problems: list[Finding] = field(default_factory=list)  # trust.yaml at rev, with lines

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
    return VerifyReport(book.base, documents, problems, book.trust_findings)
