"""The one predicate that decides whether a model version may be synced to an environment.

A version is approved when its manifest is merged on the revision being synced and, when
``policies/trust/trust.yaml`` says ``require_signed_approvals`` (the default), every role the
policies require for its change class holds a valid signed approval over the manifest's
current bytes (DESIGN §6, §7). The required roles and the change class come from the same
Rego decision ``check`` uses, evaluated on the merged documents, never from the manifest's
own ``declared_class``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..gitrepo import Git
from ..manifest.revision import Snapshot

if TYPE_CHECKING:
    from ..approvals.review import ApprovalBook
    from ..policy.engine import PolicyEngine


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
    """Judges deployed versions at one revision: policy for roles and class, ledger for signatures."""

    git: Git
    rev: str
    docs: Snapshot
    book: ApprovalBook
    engine: PolicyEngine
    defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, git: Git, rev: str, docs: Snapshot) -> ApprovalGate | None:
        """A gate, or None when trust.yaml does not require signed approvals (merged is enough)."""
        from ..approvals.review import ApprovalBook, load_trust, materialise

        trust = load_trust(git, rev)
        if not trust.require_signed_approvals:
            return None
        from ..policy.bundle import load_bundle
        from ..policy.engine import make_engine

        # The policies of the revision being synced decide, not whatever the work tree holds.
        with tempfile.TemporaryDirectory(prefix="clinigate-policies-") as tmp:
            bundle = load_bundle(materialise(git, rev, Path(tmp), "policies"))
        engine = make_engine("embedded")
        engine.load(bundle)
        defaults = bundle.data.get("clinigate", {}).get("defaults", {})
        return cls(git, rev, docs, ApprovalBook.open(git, base=rev, trust=trust), engine, defaults)

    def close(self) -> None:
        self.engine.close()
        self.book.close()

    def requirement(self, path: str,
                    approvals: list[dict[str, Any]] | None = None) -> tuple[set[str], str | None]:
        """The roles the policies require for this merged version, and its computed change class."""
        from ..policy.check import DECISION_RULE
        from ..policy.inputs import version_input

        item = version_input(self.docs, path, self.defaults)
        if item.document is None:
            raise ValueError(f"{path} does not load")
        item.document["approvals"] = approvals or []
        result = self.engine.evaluate(DECISION_RULE, item.document) or {}
        return {r for r in result.get("required_roles") or [] if r}, result.get("change_class")

    def judge(self, model: str, version: str, path: str) -> Approval:
        from ..approvals.review import policy_approvals

        verdicts = self.book.judge(path, rev=self.rev)
        try:
            required, change_class = self.requirement(path, policy_approvals(verdicts))
        except ValueError as exc:
            return Approval(False, str(exc))
        approved = {v.role for v in verdicts if v.counts_as_approval}
        signers = tuple(sorted(f"{v.role}:{v.statement.predicate.signer.id}"
                               for v in verdicts if v.counts_as_approval and v.statement))
        missing = sorted(required - approved)
        if missing:
            reason = f"{model} {version} lacks valid signed approvals from: {', '.join(missing)}"
            return Approval(False, reason + " (see `clinigate verify`)", change_class, signers)
        return Approval(True, "", change_class, signers)
