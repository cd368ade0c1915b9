"""The one predicate that decides whether a model version may be synced to an environment.

A version is approved when its manifest is merged on the revision being synced and, when
``policies/trust/trust.yaml`` says ``require_signed_approvals`` (the default), every role the
policies require for its change class holds a valid signed approval over the manifest's
current bytes (DESIGN §6, §7). The required roles and the change class come from the same
Rego decision ``check`` uses, evaluated on the merged documents, never from the manifest's
own ``declared_class``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..gitrepo import Git
from ..manifest.revision import Snapshot

if TYPE_CHECKING:
    from ..approvals.review import ApprovalBook
    from ..gate.decider import Decider


@dataclass(frozen=True)
class Approval:
    approved: bool
    reason: str = ""
    change_class: str | None = None
    approved_by: tuple[str, ...] = ()  # "role:person-id", sorted


def is_approved(model: str, version: str, *, merged_versions: set[str]) -> bool:
    """Merged on the revision: the floor every deployment needs, signatures or not."""
    return version in merged_versions


@dataclass
class ApprovalGate:
    """Judges deployed versions at one revision: its rules for roles and class, the ledger for signatures.

    The revision being synced lies on the deployment branch's first-parent history (checked by
    sync), so its own rules are rules that passed the gate; the :class:`Decider` reads them from
    Git objects, never from the work tree.
    """

    rev: str
    docs: Snapshot
    decider: Decider
    book: ApprovalBook

    @classmethod
    def open(cls, git: Git, rev: str, docs: Snapshot) -> ApprovalGate | None:
        """A gate, or None when trust.yaml does not require signed approvals (merged is enough)."""
        from ..approvals.review import read_trust
        from ..gate.decider import Decider

        trust = read_trust(git, git.resolve(rev), check_files=True)  # read once: the book reuses it
        if not trust.trust.require_signed_approvals:
            return None
        decider = Decider.open(git, rules_rev=rev)
        return cls(rev, docs, decider, decider.book(trust=trust))

    def close(self) -> None:
        self.decider.close()

    def judge(self, model: str, version: str, path: str) -> Approval:
        from ..approvals.review import accepts_claimed_times, policy_approvals

        verdicts = self.book.judge(path, rev=self.rev)
        try:
            inputs = policy_approvals(verdicts, claimed_times=accepts_claimed_times(self.book.trust))
            verdict = self.decider.version_verdict(self.docs, path, inputs)
        except ValueError as exc:
            return Approval(False, str(exc))
        required, change_class = {r for r in verdict.required_roles if r}, verdict.change_class
        # An approval the policies do not count (its meaning, its place in the review order) is no approval.
        refused = {u.entry for u in verdict.uncounted}
        counted = [v for v in verdicts if v.counts_as_approval and v.entry not in refused]
        approved = {v.role for v in counted}
        signers = tuple(sorted(f"{v.role}:{v.statement.predicate.signer.id}" for v in counted if v.statement))
        missing = sorted(required - approved)
        if missing:
            reason = f"{model} {version} lacks valid signed approvals from: {', '.join(missing)}"
            return Approval(False, reason + " (see `clinigate verify`)", change_class, signers)
        return Approval(True, "", change_class, signers)
