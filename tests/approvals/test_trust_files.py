"""trust_files: every file trust.yaml names is loaded or becomes a finding with its line and fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testing.local_sigstore import CI, LocalSigstore, local_sigstore, refused  # noqa: F401

from clinigate.approvals.keyless import SigstoreSigner, SigstoreVerifier
from clinigate.approvals.local_ca import LocalCA
from clinigate.approvals.pki import PkiVerifier
from clinigate.approvals.trust_files import directory_reader, read_trust_files, unverifiable_findings
from clinigate.manifest.loader import load_bytes
from clinigate.manifest.trust import Trust

TRUST_YAML = """apiVersion: clinigate/v1
kind: Trust
pki:
  roots: [root.pem]
  intermediates: [leaf.pem]
  tsa_roots: [tsa.pem]
sigstore:
  signing_config: signing.json
"""


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"), "Unit Test Root CA")


def loaded(text: str = TRUST_YAML) -> tuple[Trust, object]:
    file = load_bytes("policies/trust/trust.yaml", text.encode())
    assert isinstance(file.document, Trust), file.findings
    return file.document, file.locate


def test_each_fault_names_its_entry_line_and_fix(ca: LocalCA) -> None:
    trust, locate = loaded()
    leaf = ca.issue_person("pat", "pat@hospital.example", "Pat Doe").cert_path.read_bytes()
    files = {"root.pem": ca.cert_path.read_bytes(), "leaf.pem": leaf, "tsa.pem": b"not a certificate"}
    result = read_trust_files(trust, files.get, locate=locate)  # type: ignore[arg-type]
    assert result.roots == (ca.certificate,) and result.intermediates == () and result.tsa_roots == ()
    found = {(f.rule, f.line, f.field) for f in result.findings}
    assert found == {("trust.root_not_ca", 5, "pki.intermediates[0]"), ("trust.root_not_pem", 6, "pki.tsa_roots[0]"),
                     ("trust.signing_config", 8, "sigstore.signing_config")}
    assert all(f.path == "policies/trust/trust.yaml" and "fix:" in f.message for f in result.findings)


def test_an_expired_root_is_reported_but_kept_for_signatures_timestamped_in_time(tmp_path: Path) -> None:
    past = datetime.now(UTC) - timedelta(days=100)
    old = LocalCA.create(tmp_path, "Old CA", not_before=past, not_after=past + timedelta(days=10))
    trust, locate = loaded("apiVersion: clinigate/v1\nkind: Trust\npki:\n  roots: [old.pem]\n")
    result = read_trust_files(trust, {"old.pem": old.cert_path.read_bytes()}.get, locate=locate)  # type: ignore[arg-type]
    assert result.roots == (old.certificate,)
    (finding,) = result.findings
    assert (finding.rule, finding.line) == ("trust.root_expired", 4) and "Old CA) expired on" in finding.message
    assert not read_trust_files(trust, {"old.pem": old.cert_path.read_bytes()}.get, now=past).findings


def test_approvals_nothing_can_verify() -> None:
    trust, locate = loaded("apiVersion: clinigate/v1\nkind: Trust\npki:\n  roots: []\n")
    (finding,) = unverifiable_findings(trust, present=True, rev="a" * 40, pki_approvals=3, approvals=4,
                                       locate=locate)  # type: ignore[arg-type]
    assert finding.rule == "trust.no_pki_root" and finding.line == 4
    assert finding.message.startswith("3 approvals are signed with certificates, but no PKI root is configured")
    assert unverifiable_findings(trust, present=True, rev="a" * 40, pki_approvals=0, approvals=4) == []
    (missing,) = unverifiable_findings(trust, present=False, rev="a" * 40, pki_approvals=0, approvals=2)
    assert missing.rule == "trust.missing" and "holds 2 approvals" in missing.message
    assert unverifiable_findings(trust, present=False, rev="a" * 40, pki_approvals=0, approvals=0) == []


def test_the_work_tree_reader_stays_inside_policies_trust(tmp_path: Path, ca: LocalCA) -> None:
    trust_dir = tmp_path / "policies" / "trust"
    trust_dir.mkdir(parents=True)
    (trust_dir / "root.pem").write_bytes(ca.cert_path.read_bytes())
    outside = tmp_path / "elsewhere.pem"
    outside.write_bytes(ca.cert_path.read_bytes())
    (trust_dir / "linked.pem").symlink_to(outside)
    read = directory_reader(tmp_path)
    assert read("root.pem") == ca.cert_path.read_bytes()
    assert read("linked.pem") is None and read("absent.pem") is None


def test_pki_verifier_from_a_broken_trust_does_not_crash(tmp_path: Path) -> None:
    trust, _ = loaded("apiVersion: clinigate/v1\nkind: Trust\npki:\n  roots: [gone.pem]\n")
    verifier = PkiVerifier.from_trust(trust, tmp_path)
    assert verifier.roots == ()


def test_a_sigstore_root_that_parses_but_cannot_verify(local_sigstore: LocalSigstore, statement: bytes) -> None:  # noqa: F811
    """validate builds the verifier (deep); the gate only parses, and each keyless bundle is refused."""
    broken = json.loads(local_sigstore.trusted_root_json())
    broken["tlogs"] = []
    text = json.dumps(broken)
    trust, locate = loaded("apiVersion: clinigate/v1\nkind: Trust\nsigstore:\n  trusted_root: root.json\n")
    read = {"root.json": text.encode()}.get
    (finding,) = read_trust_files(trust, read, locate=locate).findings  # type: ignore[arg-type]
    assert (finding.rule, finding.line) == ("trust.sigstore_root", 4)
    assert "no transparency log instances" in finding.message
    assert read_trust_files(trust, read, deep=False).findings == ()  # type: ignore[arg-type]

    bundle = SigstoreSigner(local_sigstore.client_trust_config_json(), local_sigstore.mint_github_token()
                            ).sign(statement)
    error = refused(SigstoreVerifier(text, ci=CI), bundle)
    assert error.rule == "trust.sigstore_root" and "no transparency log instances" in error.message
