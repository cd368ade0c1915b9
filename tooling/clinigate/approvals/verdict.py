"""Judge ledger entries for one document: which signatures count, and why the others do not.

A backend vouches for the cryptography and for who signed when. Whether that signature is an
approval of *this* document for *this* role is decided here, the same way for ``verify``,
``check`` and ``sync`` (DESIGN §6): subject digest = the document's current bytes, predicate
model/version/document match (no replay), the signer is the person the certificate names,
signer ≠ submitter, the role is held in roles.yaml at the base revision, and neither the key
nor the act was revoked. Each failure has its own rule and message.

An act is its signed statement (:mod:`.act`): copies of one act on the ledger (another folder,
re-serialised JSON, another signature over the same payload) are judged as one act, and a
revocation names the act id, so it cancels every copy, including one added after it.
Who may revoke an act: its own signer, or a person who holds ``quality`` or ``regulatory`` in
roles.yaml at the base revision (the roles that answer for the quality system and the
submission). A revocation by anyone else cancels nothing and is itself reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from .. import layout
from ..manifest.roles import Person, Roles
from .act import act_id
from .attestation import ApprovalPredicate, AttestationInvalid, Decision, Statement, parse_statement
from .backend import IdentityKind, SignatureInvalid, VerifiedSignature, Verifier
from .claim import Claim

REVOKING_ROLES = frozenset({"quality", "regulatory"})  # besides the act's own signer (see above)


class BundleEntry(Protocol):
    """What the judge needs of a ledger entry."""

    @property
    def path(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def act_id(self) -> str: ...


@dataclass(frozen=True)
class Subject:
    """The document being judged, as it is now."""

    document: str
    sha256: str
    model: str
    version: str | None
    submitter: str | None = None  # person id; None for model-level documents
    artifact_sha256: str | None = None
    committed: bool = True  # False: the bytes judged differ from the revision's (edited on disk)
    # People who wrote this document in the change under review (commit authors and committers,
    # the pull request's author): facts, unlike ``submitter`` (authorship.py).
    authors: frozenset[str] = frozenset()
    pull_request: int | None = None  # the pull request being judged, when CI says which


@dataclass(frozen=True)
class RoleBook:
    """roles.yaml at the base revision (what counts) and at the head (to explain refusals)."""

    base: Roles | None
    head: Roles | None = None

    def person(self, person_id: str) -> Person | None:
        return self.base.person(person_id) if self.base else None

    def granted_in_change(self, person_id: str, role: str) -> bool:
        person = self.head.person(person_id) if self.head else None
        return person is not None and role in person.roles


@dataclass
class ApprovalVerdict:
    """One signature act, judged. Renderers show printed name, time and meaning (21 CFR 11.50)."""

    entry: str  # ledger path of the bundle
    act_id: str  # sha256 of the DSSE payload: what a revocation names
    valid: bool = False
    rule: str | None = None  # why it does not count
    problem: str | None = None
    statement: Statement | None = None
    signature: VerifiedSignature | None = None
    # What the entry says of itself when it could not be verified (shown labelled, never trusted).
    claim: Claim | None = None

    @property
    def counts_as_approval(self) -> bool:
        return self.valid and self.decision == Decision.APPROVED.value

    @property
    def role(self) -> str | None:
        return self.statement.predicate.role.value if self.statement else None

    @property
    def decision(self) -> str | None:
        return self.statement.predicate.decision.value if self.statement else None

    def fail(self, rule: str, problem: str) -> ApprovalVerdict:
        self.valid, self.rule, self.problem = False, rule, problem
        return self

    def as_dict(self) -> dict[str, Any]:
        pred = self.statement.predicate if self.statement else None
        sig = self.signature
        # 21 CFR 11.50: the time shown is the Sigstore log's or the TSA's when one vouches for it,
        # else the signer's own claim (signed_at), labelled so; never the verifier's clock.
        trusted = _iso(sig.time) if sig and sig.time_trusted else None
        claimed = _iso(pred.signed_at) if pred else None
        return {
            "entry": self.entry, "act_id": self.act_id,
            "role": self.role, "decision": self.decision,
            "meaning": pred.meaning.value if pred else None,
            "signer": pred.signer.id if pred else None,
            "printed_name": pred.signer.name if pred else None,
            "reason": pred.reason if pred else None,
            "change_class": pred.change_class if pred else None,
            "time": trusted or claimed,
            "claimed_time": claimed, "trusted_time": trusted,
            "time_trusted": trusted is not None,
            "time_source": sig.time_source if sig else "claimed",
            "backend": sig.backend if sig else None,
            "identity": sig.identity if sig else None,
            "identity_kind": sig.identity_kind.value if sig else None,
            "valid": self.valid, "rule": self.rule, "problem": self.problem,
            "digest": self.statement.document_digest if self.statement else None,
            "claimed": self.claim.as_dict() if self.claim else None,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


StaleCheck = Callable[[str, str], bool]  # (commit, approved digest) -> was the document that then?
LineageCheck = Callable[[str], bool]  # (commit an approval names) -> is it in the judged head's history?


def judge(entries: Sequence[BundleEntry], subject: Subject, *, verifiers: Sequence[Verifier],
          roles: RoleBook, was_at_commit: StaleCheck | None = None,
          in_lineage: LineageCheck | None = None) -> list[ApprovalVerdict]:
    """Judge every entry, keep one verdict per act, then apply revocations among the valid ones.

    ``in_lineage`` (``check`` passes it, ``sync`` does not: a squash merge leaves the reviewed
    head outside main's history) refuses approvals recorded for another line of commits; a
    revocation holds on every line.
    """
    verdicts = [_judge_one(e, subject, verifiers, roles, was_at_commit) for e in entries]
    if in_lineage is not None:
        for verdict in verdicts:
            problem = _lineage(verdict, subject, in_lineage) if verdict.counts_as_approval else None
            if problem is not None:
                verdict.fail(*problem)
    verdicts = _one_per_act(verdicts)
    _apply_revocations(verdicts, roles)
    return sorted(verdicts, key=_order)


def _one_per_act(verdicts: Sequence[ApprovalVerdict]) -> list[ApprovalVerdict]:
    """The same act stored twice counts once: its valid copy if any, else its first."""
    acts: dict[str, ApprovalVerdict] = {}
    for verdict in verdicts:
        kept = acts.get(verdict.act_id)
        if kept is None or (verdict.valid and not kept.valid):
            acts[verdict.act_id] = verdict
    return list(acts.values())


def _order(verdict: ApprovalVerdict) -> tuple[str, str]:
    moment = verdict.signature.time.isoformat() if verdict.signature else ""
    return moment, verdict.entry


def _judge_one(entry: BundleEntry, subject: Subject, verifiers: Sequence[Verifier], roles: RoleBook,
               was_at_commit: StaleCheck | None) -> ApprovalVerdict:
    verdict = ApprovalVerdict(entry.path, entry.act_id)
    try:
        verdict.signature = verify_bundle(entry.text, verifiers)
        verdict.statement = parse_statement(verdict.signature.payload)
    except SignatureInvalid as exc:
        return verdict.fail(exc.rule, exc.message)
    except AttestationInvalid as exc:
        return verdict.fail(exc.rule, exc.message)
    verified = act_id(verdict.signature.payload)
    if verified != entry.act_id:
        # The ledger named the act by its own reading of the envelope; a backend that verified
        # other bytes (a parser difference) must not make a revocation miss what it verified.
        return verdict.fail("approval.act_id", f"the verified statement is act {verified}, not "
                            f"{entry.act_id} as the ledger reads it")
    revocation = verdict.statement.predicate.decision is Decision.REVOKED
    # A revocation withdraws an act and grants nothing, so it holds whatever the document's bytes
    # are now: were it stale after an edit, reverting the edit would revive what it revoked.
    checks = (_binding, _signer) if revocation else (_binding, _staleness, _signer, _separation)
    for check in checks:
        problem = check(verdict.statement, verdict.signature, subject, roles, was_at_commit)
        if problem is not None:
            return verdict.fail(*problem)
    verdict.valid = True
    return verdict


def verify_bundle(text: str, verifiers: Sequence[Verifier]) -> VerifiedSignature:
    """Pick the backend for this bundle by its verification material and verify it."""
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SignatureInvalid("approval.bundle", f"the bundle is not JSON ({exc})") from None
    if not isinstance(bundle, dict):
        raise SignatureInvalid("approval.bundle", "the bundle is not a JSON object")
    for verifier in verifiers:
        if verifier.handles(bundle):
            return verifier.verify(text)
    raise SignatureInvalid("approval.backend", f"no configured trust ({layout.TRUST_PATH}) can "
                           "verify this kind of bundle (neither a Sigstore log entry nor a PKI chain)")


Problem = tuple[str, str] | None


def _binding(st: Statement, sig: VerifiedSignature, subject: Subject, roles: RoleBook,
             was: StaleCheck | None) -> Problem:
    pred = st.predicate
    if (pred.model or "") != subject.model:
        return ("approval.replayed_model", f"the signature approves model {pred.model}, not {subject.model}: "
                "an approval cannot be copied onto another model")
    if pred.version != subject.version:
        return ("approval.replayed_version", f"the signature approves {pred.model} {pred.version}, not "
                f"{subject.version}: an approval cannot be copied onto another version")
    if pred.document != subject.document:
        return ("approval.replayed_document",
                f"the signature approves {pred.document}, not {subject.document}")
    if subject.artifact_sha256 and st.artifact_digest not in (None, subject.artifact_sha256):
        return ("approval.artifact_mismatch", f"the signature approves artifact sha256 {st.artifact_digest}, "
                f"the manifest names {subject.artifact_sha256}")
    return None


def _staleness(st: Statement, sig: VerifiedSignature, subject: Subject, roles: RoleBook,
               was: StaleCheck | None) -> Problem:
    signed = st.document_digest or ""
    if signed == subject.sha256:
        return None
    head = st.predicate.head_commit
    if head and subject.committed and was is not None and was(head, signed):
        return ("approval.stale", f"the approval covers {subject.document} as of commit {head[:12]} "
                f"(sha256 {signed[:12]}…); a later commit changed it (now {subject.sha256[:12]}…), "
                "so it needs a new approval")
    return ("approval.digest_mismatch", f"the signed sha256 {signed[:12]}… is not the sha256 of "
            f"{subject.document} ({subject.sha256[:12]}…): the document changed after it was approved")


def _signer(st: Statement, sig: VerifiedSignature, subject: Subject, roles: RoleBook,
            was: StaleCheck | None) -> Problem:
    pred = st.predicate
    person = roles.person(pred.signer.id)
    if person is None:
        return ("approval.unknown_signer",
                f"{pred.signer.id} is not a person in roles.yaml at the base revision")
    # A checkpoint workflow (audit.yml, sync.yml) vouches for where main stood, never for a review.
    # Approval verifiers already refuse it; this keeps a verifier built for checkpoints harmless here.
    if sig.identity_kind is IdentityKind.CHECKPOINT_WORKFLOW:
        return ("approval.ci_workflow", f"{sig.identity} may sign audit checkpoints, not approvals "
                "(trust.yaml sigstore.ci.checkpoint_workflows)")
    # Only the keyless verifier marks a signature as the pinned CI workflow, after every Fulcio
    # extension matched trust.yaml; that workflow asserts the reviewer. Anyone else signs as
    # themselves, however their certificate spells its identity (DESIGN §13).
    if not sig.ci_workflow and sig.identity.lower() != person.email.lower():
        return ("approval.identity_mismatch", f"the certificate names {sig.identity}, but {person.id}'s "
                f"e-mail in roles.yaml is {person.email}")
    if problem := _review_problem(pred, person, ci=sig.ci_workflow):
        return problem
    if pred.signer.name != person.name:
        return ("approval.printed_name", f"the printed name {pred.signer.name!r} is not {person.id}'s "
                f"name in roles.yaml ({person.name!r})")
    role = pred.role.value
    if role not in person.roles:
        if roles.granted_in_change(person.id, role):
            return ("approval.role_granted_in_change", f"{person.name} holds {role} only in this change's "
                    "roles.yaml; a change cannot grant its own reviewers a role")
        return ("approval.role_not_held", f"{person.name} does not hold the {role} role in roles.yaml")
    return None


def _review_problem(pred: ApprovalPredicate, person: Person, *, ci: bool) -> Problem:
    """The workflow asserts a reviewer; the review it names must be that person's (roles.yaml at the
    base: login and, where recorded, the numeric id GitHub never reassigns)."""
    review = pred.review
    if review is None:
        return ("approval.ci_without_review", "the approval workflow signed this act but it names no GitHub "
                "review: the workflow only records reviews") if ci else None
    if review.reviewer_login.lower() != person.github.lower() or (
            person.github_id is not None and review.reviewer_id != person.github_id):
        return ("approval.reviewer_mismatch", f"the act was recorded from review {review.review_id} by "
                f"{review.reviewer_login} (id {review.reviewer_id}), who is not {person.id} in roles.yaml "
                f"({person.github}, id {person.github_id or 'not recorded'})")
    return None


def _separation(st: Statement, sig: VerifiedSignature, subject: Subject, roles: RoleBook,
                was: StaleCheck | None) -> Problem:
    if st.predicate.decision is not Decision.APPROVED:
        return None
    if subject.submitter and st.predicate.signer.id == subject.submitter:
        return ("approval.self_approval", f"{st.predicate.signer.name} submitted this version and cannot "
                "approve it (separation of duties)")
    if st.predicate.signer.id in subject.authors:
        return ("approval.author_approval", f"{st.predicate.signer.name} wrote this change (the pull "
                f"request's author, or an author or committer of a commit that changed {subject.document}) "
                "and cannot approve it (separation of duties)")
    return None


def _lineage(verdict: ApprovalVerdict, subject: Subject, in_lineage: LineageCheck) -> Problem:
    """An approval recorded for one pull request and head counts only for that line of commits."""
    assert verdict.statement is not None
    pred = verdict.statement.predicate
    if pred.pull_request and subject.pull_request and pred.pull_request != subject.pull_request:
        return ("approval.other_pull_request", f"the approval was recorded for pull request "
                f"#{pred.pull_request}, not #{subject.pull_request}")
    if pred.head_commit and not in_lineage(pred.head_commit):
        return ("approval.other_lineage", f"the approval was recorded at commit {pred.head_commit[:12]}, "
                "which is not in the history of the head being judged")
    return None


def _apply_revocations(verdicts: list[ApprovalVerdict], roles: RoleBook) -> None:
    """A valid ``revoked`` act by an allowed person voids the act its ``supersedes`` names.

    Revocations only void approvals and rejections, never another revocation, so the outcome
    does not depend on the order the acts are read in. A revocation whose act is not on the
    ledger (yet) waits for it: a copy added later is cancelled on arrival.
    """
    by_act = {v.act_id: v for v in verdicts}
    for act in verdicts:
        if not (act.valid and act.statement and act.statement.predicate.decision is Decision.REVOKED):
            continue
        target = by_act.get(act.statement.predicate.supersedes or "")
        if target is None or target.statement is None:
            continue
        revoker = act.statement.predicate.signer
        if target.statement.predicate.decision is Decision.REVOKED:
            act.fail("approval.revokes_revocation", f"{revoker.name} revokes act {target.act_id}, which is "
                     "itself a revocation: a revocation is final; sign a new approval instead")
            continue
        author = target.statement.predicate.signer
        person = roles.person(revoker.id)
        if revoker.id != author.id and not (person and REVOKING_ROLES & set(person.roles)):
            act.fail("approval.revocation_not_allowed", f"{revoker.name} cannot revoke {author.name}'s "
                     f"act {target.act_id}: only its signer, or a person holding "
                     f"{' or '.join(sorted(REVOKING_ROLES))} in roles.yaml at the base revision, may")
            continue
        if target.valid:
            when = _iso(act.signature.time) if act.signature else "?"
            target.fail("approval.revoked", f"revoked by {revoker.name} at {when}: "
                        f"{act.statement.predicate.reason}")
