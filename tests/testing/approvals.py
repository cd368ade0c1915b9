"""A registry whose approvals are signed with a test CA, on a real Git repository."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinigate.approvals.act import act_id
from clinigate.approvals.approve import ActRequest, SignedAct, build_act, sign_act
from clinigate.approvals.attestation import ApprovalPredicate, build_statement
from clinigate.approvals.ledger import Ledger
from clinigate.demo.approvals import DemoPki, roles
from clinigate.demo.manifests import write_data_update
from clinigate.gitrepo import Git
from clinigate.manifest.roles import Person
from testing.fixtures import copy_example_registry, git, init_repo
from testing.local_tsa import LocalTSA, local_tsa  # noqa: F401 - the fixture signed_registry uses


@dataclass
class SignedRegistry:
    repo: Path
    pki: DemoPki
    branch: str
    version_path: str  # the version the branch adds

    @property
    def git(self) -> Git:
        return Git(self.repo)

    def person(self, person_id: str) -> Person:
        person = roles(self.repo).person(person_id)
        assert person is not None
        return person

    def person_by_github(self, login: str) -> Person:
        person = roles(self.repo).by_github(login)
        assert person is not None
        return person

    def sign(self, person_id: str, role: str, document: str | None = None, *, decision: str = "approved",
             check_rules: bool = True, revokes: str | None = None, reason: str = "reviewed",
             meaning: str | None = None) -> SignedAct:
        """Sign on the current checkout (the branch by default) with ``person_id``'s certificate."""
        person = self.person(person_id)
        signer = self.pki.signer(person)
        request = ActRequest(document or self.version_path, role, decision, reason, meaning=meaning,
                             signer_id=person.id, signer_email=person.email, revokes=revokes)
        return sign_act(self.git, request, signer, check_rules=check_rules)

    def sign_at(self, person_id: str, role: str, signed_at: str, *, meaning: str | None = None) -> str:
        """An approval whose statement claims ``signed_at`` (the signer's own clock), signed and put on
        the ledger; without a TSA (``untimed_registry``) that claimed time is the one it is ordered by.
        Returns the act id (what a revocation names)."""
        return sign_claimed(self.git, self.pki, self.version_path, self.person(person_id), role, signed_at,
                            meaning=meaning)

    def approve_in_order(self, roles: tuple[str, ...] = ("ml_reviewer", "clinical_reviewer", "quality"),
                         document: str | None = None) -> list[SignedAct]:
        """Each role signs, in the order given (the review order's by default), by its first holder
        who is not the version's submitter (pnair)."""
        people = {"ml_reviewer": "smarquez", "clinical_reviewer": "jlindqvist", "quality": "kosei",
                  "regulatory": "dwhitfield", "security_reviewer": "tchen"}
        return [self.sign(people[role], role, document) for role in roles]

    def commit(self, message: str) -> None:
        git(self.repo, "add", "-A")
        git(self.repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)

    def append_raw(self, document: str, digest: str, bundle: str) -> None:
        Ledger(self.git).append([(document, digest, bundle)], "test: raw entry")


def sign_claimed(git: Git, pki: DemoPki, document: str, person: Person, role: str, signed_at: str, *,
                 meaning: str | None = None) -> str:
    """``person`` approves ``document`` at HEAD as ``role``, the statement claiming ``signed_at``; the
    bundle (a real signature, without a timestamp) goes on the ledger. Returns the act id."""
    statement, digest, _ = build_act(git, ActRequest(document, role, "approved", "reviewed", meaning=meaning,
                                                     signer_id=person.id))
    data = json.loads(statement)
    data["predicate"]["signed_at"] = signed_at
    payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    Ledger(git).append([(document, digest, pki.signer(person).sign(payload))], "test: an approval at a set time")
    return act_id(payload)


def tamper_payload(bundle: str) -> str:
    """Flip one character inside the signed statement (still valid base64 and JSON)."""
    import base64

    data = json.loads(bundle)
    payload = base64.b64decode(data["dsseEnvelope"]["payload"])
    payload = payload.replace(b'"decision":"rejected"', b'"decision":"approved"', 1) \
        if b'"decision":"rejected"' in payload else payload.replace(b'"reason":"', b'"reason":"X', 1)
    data["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    return json.dumps(data)


@pytest.fixture
def signed_registry(tmp_path: Path, local_tsa: LocalTSA) -> SignedRegistry:  # noqa: F811
    """The example registry trusting a test CA and TSA (its pki.tsa_url); branch ``review`` adds
    sepsis-ews 1.4.0."""
    return _signed_registry(tmp_path, tsa=local_tsa)


@pytest.fixture
def untimed_registry(tmp_path: Path) -> SignedRegistry:
    """The same without a TSA: trust.yaml says ``pki.require_timestamp: false``, times are claimed."""
    return _signed_registry(tmp_path, tsa=None)


def _signed_registry(tmp_path: Path, *, tsa: LocalTSA | None) -> SignedRegistry:
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    (repo / ".gitignore").write_text(".demo-pki/\n", encoding="utf-8")
    pki = DemoPki.create(repo, timestamps=tsa is not None, tsa=tsa.authority if tsa else None,
                         tsa_url=tsa.url if tsa else None)
    init_repo(repo)
    git(repo, "switch", "-q", "-c", "review")
    path = write_data_update(repo)
    reg = SignedRegistry(repo, pki, "review", path)
    reg.commit("add a data update")
    return reg


@pytest.fixture(scope="session")
def statement() -> bytes:
    """One approval statement to sign and verify (the keyless tests; test_pki has its own)."""
    predicate = ApprovalPredicate.model_validate({
        "model": "sepsis-ews", "version": "1.2.0", "document": "models/sepsis-ews/versions/1.2.0.yaml",
        "role": "clinical_reviewer", "decision": "approved", "meaning": "approval",
        "signer": {"id": "dr.lee", "name": "Dr. Ada Lee"}, "reason": "validated on the 2025 cohort",
        "signed_at": "2026-01-05T09:00:00Z",
    })
    return build_statement(predicate, document_sha256="ab" * 32, artifact_sha256="cd" * 32)


@pytest.fixture
def demo_registry(tmp_path: Path) -> Path:
    """The bundled registry with the demo's approvals on main: every deployed version signed for each
    role its PCCP requires, with the demo CA and an RFC 3161 timestamp from the demo TSA."""
    return build_demo_registry(tmp_path / "demo-registry")


def build_demo_registry(repo: Path) -> Path:
    """:func:`demo_registry` outside pytest (the benchmarks): built in ``repo``, a new folder."""
    from clinigate.demo.approvals import sign_deployed_versions

    repo.mkdir()
    copy_example_registry(repo)
    (repo / ".gitignore").write_text(".demo-pki/\n", encoding="utf-8")
    pki = DemoPki.create(repo)
    init_repo(repo)
    if not sign_deployed_versions(Git(repo), pki):
        raise RuntimeError("the demo signed no deployed version")
    return repo
