"""``ledger list``: every act on the ledger, judged with the trust and roles of one revision.

    >>> listing = list_ledger(Git(root), rev="main")               # doctest: +SKIP
    >>> [(a.entry.document_path, a.verdict.valid) for a in listing.acts if a.verdict]  # doctest: +SKIP

Each act is judged against its document as committed at ``rev`` (the default branch, for
"what counts now"), exactly as ``verify --rev`` judges it; an act on a document that is not at
``rev`` (an open pull request's) is listed with what it claims, not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import layout
from ..findings import Finding
from ..gitrepo import Git
from .claim import Claim, claim_of
from .ledger import LedgerEntry, LedgerProblem
from .review import ApprovalBook
from .verdict import ApprovalVerdict


@dataclass(frozen=True)
class ListedAct:
    entry: LedgerEntry
    verdict: ApprovalVerdict | None  # None: not judged (see note)
    note: str | None = None
    claim: Claim | None = None  # what an unjudged entry says of itself (unverified)


@dataclass
class LedgerListing:
    rev: str  # the commit whose trust and roles judged
    name: str  # the revision as the user named it (e.g. main)
    acts: list[ListedAct]
    trust_problems: list[Finding] = field(default_factory=list)
    ledger_problems: list[LedgerProblem] = field(default_factory=list)  # files that are not acts


def list_ledger(git: Git, *, rev: str, model: str | None = None) -> LedgerListing:
    """The ledger's acts (optionally one model's), oldest record first, each judged at ``rev``."""
    with ApprovalBook.open(git, base=rev, strict_trust=False) as book:
        folder = f"{layout.model_dir(model)}/" if model is not None else ""
        documents = [d for d in book.documents() if d.startswith(folder)]
        book.prefetch(book.base, documents)
        acts: list[ListedAct] = []
        for document in documents:
            entries = book.entries(document)
            if book.stored(book.base, document) is None:
                note = f"{document} is not at {rev} (signed on another branch?)"
                acts.extend(ListedAct(e, None, note, claim_of(e.text)) for e in entries)
                continue
            # Copies of one act share its verdict (approvals/act.py: an act is its signed content).
            verdicts = {v.act_id: v for v in book.judge(document, rev=book.base)}
            acts.extend(ListedAct(e, verdicts.get(e.act_id)) for e in entries)
        problems = book.ledger.read(model=model).problems
    acts.sort(key=lambda a: (a.entry.committed_at, a.entry.path))
    return LedgerListing(book.base, rev, acts, book.trust_findings, problems)
