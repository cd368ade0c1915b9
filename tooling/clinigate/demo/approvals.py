"""Signed approvals for the demo: a CA trusted only in the demo's folder, and reviewers' keys.

The demo's copy of ``policies/trust/trust.yaml`` lists the demo CA, so signatures made here
verify here and nowhere else. Private keys stay in ``<workdir>/.demo-pki/`` (git-ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import layout
from ..approvals.approve import ActRequest, SignedAct, sign_act
from ..approvals.local_ca import IssuedCertificate, LocalCA
from ..gitrepo import Git
from ..manifest.loader import load_file
from ..manifest.roles import Person, Roles

PKI_DIR = ".demo-pki"
TRUSTED_ROOT = "demo-ca.pem"
ROLES_FILE = layout.ROLES_PATH


@dataclass
class DemoPki:
    """The demo CA and one certificate per reviewer, issued on first use."""

    workdir: Path
    ca: LocalCA
    issued: dict[str, IssuedCertificate] = field(default_factory=dict)

    @classmethod
    def create(cls, workdir: Path) -> DemoPki:
        """Create the CA and trust it in the demo registry's trust.yaml (before the first commit)."""
        ca = LocalCA.create(workdir / PKI_DIR, "clinigate demo CA (trusted only in this folder)")
        (workdir / layout.TRUST_DIR / TRUSTED_ROOT).write_bytes(ca.cert_path.read_bytes())
        trust = workdir / layout.TRUST_PATH
        text = trust.read_text(encoding="utf-8")
        trust.write_text(text.replace("  roots: []", f"  roots: [{TRUSTED_ROOT}]", 1), encoding="utf-8")
        return cls(workdir, ca)

    def certificate(self, person: Person) -> IssuedCertificate:
        if person.id not in self.issued:
            self.issued[person.id] = self.ca.issue_person(person.id, person.email, person.name)
        return self.issued[person.id]

    def sign(self, git: Git, person: Person, document: str, role: str, reason: str) -> SignedAct:
        from ..approvals.pki import PkiSigner

        issued = self.certificate(person)
        signer = PkiSigner(issued.key_path.read_bytes(), issued.cert_path.read_bytes())
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
            for role in sorted(required):
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
