"""Signed approvals for the demo: a CA and a TSA trusted only in the demo's folder, and reviewers' keys.

The demo's copy of ``policies/trust/trust.yaml`` lists the demo CA and TSA, so signatures made
here (each with an RFC 3161 timestamp, as trust.yaml requires by default) verify here and
nowhere else. Private keys stay in ``<workdir>/.demo-pki/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import layout
from ..approvals.approve import ActRequest, SignedAct, sign_act
from ..approvals.local_ca import IssuedCertificate, LocalCA
from ..approvals.local_tsa import OpensslTsa
from ..gitrepo import Git
from ..manifest.loader import load_file
from ..manifest.roles import Person, Roles

PKI_DIR = ".demo-pki"
TRUSTED_ROOT = "demo-ca.pem"
TRUSTED_TSA_ROOT = "demo-tsa-root.pem"
ROLES_FILE = layout.ROLES_PATH

if TYPE_CHECKING:
    from ..approvals.pki import PkiSigner


@dataclass
class DemoPki:
    """The demo CA, its TSA, and one certificate per reviewer, issued on first use."""

    workdir: Path
    ca: LocalCA
    tsa: OpensslTsa | None = None  # None: signatures carry no timestamp (trust.yaml allows it)
    issued: dict[str, IssuedCertificate] = field(default_factory=dict)

    @classmethod
    def create(cls, workdir: Path, *, timestamps: bool = True, tsa: OpensslTsa | None = None,
               tsa_url: str | None = None) -> DemoPki:
        """Create the CA (and a TSA, unless ``tsa`` is given) and trust them in the demo registry's
        trust.yaml, before the first commit; ``tsa_url`` becomes its ``pki.tsa_url`` (where
        ``clinigate approve`` asks by default). ``timestamps=False``: no TSA, and trust.yaml says
        ``pki.require_timestamp: false`` (for tests of claimed times, or that bring their own TSA)."""
        ca = LocalCA.create(workdir / PKI_DIR, "clinigate demo CA (trusted only in this folder)")
        trust_dir = workdir / layout.TRUST_DIR
        (trust_dir / TRUSTED_ROOT).write_bytes(ca.cert_path.read_bytes())
        trust = workdir / layout.TRUST_PATH
        text = trust.read_text(encoding="utf-8").replace("  roots: []", f"  roots: [{TRUSTED_ROOT}]", 1)
        if timestamps:
            tsa = tsa or OpensslTsa.create(workdir / PKI_DIR / "tsa",
                                           "clinigate demo TSA (trusted only in this folder)")
            (trust_dir / TRUSTED_TSA_ROOT).write_bytes(tsa.root_path.read_bytes())
            url = f"\n  tsa_url: {tsa_url}" if tsa_url else ""
            text = text.replace("  tsa_roots: []", f"  tsa_roots: [{TRUSTED_TSA_ROOT}]{url}", 1)
        else:
            tsa = None
            text = text.replace("  tsa_roots: []", "  tsa_roots: []\n  require_timestamp: false", 1)
        trust.write_text(text, encoding="utf-8")
        return cls(workdir, ca, tsa)

    def certificate(self, person: Person) -> IssuedCertificate:
        if person.id not in self.issued:
            self.issued[person.id] = self.ca.issue_person(person.id, person.email, person.name)
        return self.issued[person.id]

    def signer(self, person: Person) -> PkiSigner:
        """``person``'s signer: their certificate, and the TSA's timestamp on each signature."""
        return self.signer_of(self.certificate(person))

    def signer_of(self, issued: IssuedCertificate) -> PkiSigner:
        from ..approvals.pki import PkiSigner

        return PkiSigner(issued.key_path.read_bytes(), issued.cert_path.read_bytes(),
                         timestamper=self.tsa.reply if self.tsa else None)

    def sign(self, git: Git, person: Person, document: str, role: str, reason: str) -> SignedAct:
        signer = self.signer(person)
        request = ActRequest(document, role, "approved", reason, signer_id=person.id,
                             signer_email=person.email)
        return sign_act(git, request, signer)


def roles(workdir: Path) -> Roles:
    doc = load_file(workdir, ROLES_FILE).document
    assert isinstance(doc, Roles), "the bundled roles.yaml is valid"
    return doc


def reviewer(people: Roles, role: str, *, not_id: str | None) -> Person:
    """The first person holding ``role`` who is not ``not_id`` (separation of duties)."""
    return next(p for p in people.people if role in p.roles and p.id != not_id)


def review_order_of(pccp: object, change_class: str | None, policy_data: dict[str, Any]) -> list[list[str]]:
    """The review stages' roles for a version of ``change_class``: the class's order, else the plan's,
    else the policy data's (as policies/authority.rego picks them); for signing in that order."""
    from ..manifest.pccp import PCCP

    if isinstance(pccp, PCCP):
        plan = next((p for c, p in pccp.change_classes.items() if c.value == change_class), None)
        for stages in (plan.review_order if plan else None, pccp.review_order):
            if stages:
                return [[r.value for r in stage.roles] for stage in stages]
    default = policy_data.get("clinigate", {}).get("approval_authority", {}).get("review_order") or []
    return [list(stage.get("roles") or []) for stage in default if isinstance(stage, dict)]


def in_review_order(roles: Iterable[str], stages: list[list[str]]) -> list[str]:
    """``roles`` stage by stage (an approval counts only after the earlier stages'), unstaged ones last."""
    rank = {role: index for index, stage in enumerate(stages) for role in stage}
    return sorted(roles, key=lambda role: (rank.get(role, len(stages)), role))


def sign_deployed_versions(git: Git, pki: DemoPki) -> list[SignedAct]:
    """Sign, for every version a deployment.yaml names on main, each role the policies require."""
    from ..manifest.revision import Snapshot
    from ..manifest.version import ModelVersion
    from ..registry.approval import ApprovalGate
    from ..registry.desired import deployed_versions

    commit = git.resolve("HEAD")
    docs = Snapshot.with_roles(git, commit)
    people = roles(git.root)
    gate = ApprovalGate.open(git, commit, docs)
    assert gate is not None, "the demo trust.yaml requires signed approvals"
    acts: list[SignedAct] = []
    try:
        for path in deployed_versions(git, commit):
            version = docs.doc(path)
            assert isinstance(version, ModelVersion)
            required, change_class = gate.decider.requirement(docs, path, [])
            stages = review_order_of(docs.doc(layout.pccp_path(version.model)), change_class,
                                     gate.decider.bundle.data)
            for role in in_review_order(required, stages):
                person = reviewer(people, role, not_id=version.submitted_by)
                reason = f"Reviewed {version.model} {version.version} ({change_class}) for release"
                acts.append(pki.sign(git, person, path, role, reason))
    finally:
        gate.close()
    return acts


def version_submitter(git: Git, rev: str, path: str) -> str | None:
    from ..manifest.revision import Snapshot
    from ..manifest.version import ModelVersion

    doc = Snapshot(git, rev).doc(path)
    return doc.submitted_by if isinstance(doc, ModelVersion) else None
