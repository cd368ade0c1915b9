"""The trusted root that holds the hospital PKI, and the client trust config sigstore-python reads.

What sigstore-js does with it is tests/approvals/test_sigstore_js.py; here: the entries, the merge
into a Sigstore instance's root, the refusals, and sigstore-python (library and CLI) accepting it.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from sigstore.models import ClientTrustConfig
from sigstore.verify import Verifier
from testing.local_sigstore import (
    EMAIL_ISSUER,
    LocalSigstore,
    local_sigstore,  # noqa: F401 - fixture
)

from clinigate.approvals.keyless import SigstoreSigner
from clinigate.approvals.local_ca import LocalCA
from clinigate.approvals.trusted_root import (
    CLIENT_TRUST_CONFIG_MEDIA_TYPE,
    SIGNING_CONFIG_MEDIA_TYPE,
    TRUSTED_ROOT_MEDIA_TYPE,
    TrustedRootError,
    client_trust_config,
    pki_trusted_root,
)


def chain_of(entry: dict[str, Any]) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(base64.b64decode(c["rawBytes"]))
            for c in entry["certChain"]["certificates"]]


def _tsa(ca: LocalCA, name: str = "Hospital TSA") -> x509.Certificate:
    return ca.issue(name.replace(" ", "-").lower(), x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)]),
                    "ecdsa", [(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.TIME_STAMPING]), True)]).certificate


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("trusted-root")
    root = LocalCA.create(folder, "Hospital Root CA")
    issuing = root.issue_intermediate("Hospital Issuing CA")
    tsa_root = LocalCA.create(folder, "Hospital TSA Root", stem="tsa-root")
    return {"root": root, "issuing": issuing, "tsa_root": tsa_root, "tsa": _tsa(tsa_root)}


def build(pki: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"roots": [pki["root"].certificate], "intermediates": [pki["issuing"].certificate],
                                 "tsa_roots": [pki["tsa_root"].certificate], "tsa_certificates": [pki["tsa"]]}
    return pki_trusted_root(**{**arguments, **kwargs})


def test_entries_hold_whole_chains(pki: dict[str, Any]) -> None:
    root, issuing, tsa_root = pki["root"].certificate, pki["issuing"].certificate, pki["tsa_root"].certificate
    trusted = build(pki)
    assert trusted["mediaType"] == TRUSTED_ROOT_MEDIA_TYPE and trusted["tlogs"] == trusted["ctlogs"] == []
    assert [chain_of(e) for e in trusted["certificateAuthorities"]] == [[root], [issuing, root]]
    assert [chain_of(e) for e in trusted["timestampAuthorities"]] == [[pki["tsa"], tsa_root]]
    assert trusted["timestampAuthorities"][0]["subject"] == {"organization": "", "commonName": "Hospital TSA"}


def test_valid_for_starts_when_the_whole_chain_is_valid(pki: dict[str, Any]) -> None:
    for entry in build(pki)["certificateAuthorities"] + build(pki)["timestampAuthorities"]:
        start = max(c.not_valid_before_utc for c in chain_of(entry))
        assert entry["validFor"] == {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_merge_keeps_every_entry_of_the_base(pki: dict[str, Any], local_sigstore: LocalSigstore) -> None:  # noqa: F811
    base = local_sigstore.trusted_root()
    base["somethingNewer"] = {"kept": True}
    before = copy.deepcopy(base)
    merged = build(pki, base=base)
    assert base == before  # not modified in place
    assert merged["tlogs"] == base["tlogs"] and merged["ctlogs"] == base["ctlogs"]
    assert merged["somethingNewer"] == {"kept": True} and merged["mediaType"] == base["mediaType"]
    assert merged["certificateAuthorities"][:1] == base["certificateAuthorities"]
    assert len(merged["certificateAuthorities"]) == 3 and len(merged["timestampAuthorities"]) == 1
    assert build(pki, base=merged) == merged  # merging again adds nothing


@pytest.mark.parametrize(("change", "fragment"), [
    ({"tsa_certificates": []}, "no TSA certificate given for the TSA root"),
    ({"tsa_roots": []}, "does not chain to any of the roots"),
    ({"roots": []}, "chains to none of the roots"),
    ({"base": {"mediaType": "application/json"}}, "not a Sigstore trusted root"),
])
def test_refusals(pki: dict[str, Any], change: dict[str, Any], fragment: str) -> None:
    with pytest.raises(TrustedRootError, match=fragment):
        build(pki, **change)


def test_a_root_must_be_a_self_signed_ca(pki: dict[str, Any]) -> None:
    with pytest.raises(TrustedRootError, match="is not self-signed"):
        build(pki, roots=[pki["root"].certificate, pki["issuing"].certificate], intermediates=[])
    with pytest.raises(TrustedRootError, match="is a CA certificate"):
        build(pki, tsa_certificates=[pki["tsa_root"].certificate])


def test_client_trust_config_without_signing_config(pki: dict[str, Any],
                                                    local_sigstore: LocalSigstore) -> None:  # noqa: F811
    config = client_trust_config(build(pki, base=local_sigstore.trusted_root()), None)
    assert config["mediaType"] == CLIENT_TRUST_CONFIG_MEDIA_TYPE
    assert config["signingConfig"] == {"mediaType": SIGNING_CONFIG_MEDIA_TYPE}
    parsed = ClientTrustConfig.from_json(json.dumps(config))
    Verifier(trusted_root=parsed.trusted_root)  # verifies with it
    with pytest.raises(Exception, match="No valid Rekor transparency log"):
        parsed.signing_config  # noqa: B018 - but cannot sign with it
    # Without a base there is no tlog, which sigstore-python's verifier needs (PKI bundles have none).
    alone = ClientTrustConfig.from_json(json.dumps(client_trust_config(build(pki), None)))
    with pytest.raises(Exception, match="no transparency log instances"):
        Verifier(trusted_root=alone.trusted_root)


def test_client_trust_config_keeps_a_signing_config(local_sigstore: LocalSigstore) -> None:  # noqa: F811
    signing = json.loads(local_sigstore.client_trust_config_json())["signingConfig"]
    config = client_trust_config(local_sigstore.trusted_root(), signing)
    assert config["signingConfig"] == signing
    assert ClientTrustConfig.from_json(json.dumps(config)).signing_config.get_tlogs()
    with pytest.raises(TrustedRootError):
        client_trust_config({"mediaType": "x"}, None)


def test_sigstore_cli_verifies_a_keyless_bundle_with_the_merged_config(
        pki: dict[str, Any], local_sigstore: LocalSigstore, statement: bytes, tmp_path: Path) -> None:  # noqa: F811
    email = "ada.lee@hospital.example"
    bundle = SigstoreSigner(local_sigstore.client_trust_config_json(),
                            local_sigstore.mint_email_token(email)).sign(statement)
    (tmp_path / "approval.sigstore.json").write_text(bundle)
    config = client_trust_config(build(pki, base=local_sigstore.trusted_root()), None)
    (tmp_path / "trust_config.json").write_text(json.dumps(config))
    subject = json.loads(statement)["subject"][0]["digest"]["sha256"]
    command = [sys.executable, "-m", "sigstore", "--trust-config", str(tmp_path / "trust_config.json"), "verify",
               "identity", "--bundle", str(tmp_path / "approval.sigstore.json"), "--cert-identity", email,
               "--cert-oidc-issuer", EMAIL_ISSUER, f"sha256:{subject}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert f"OK: SHA2_256:{subject}" in result.stderr
    other = subprocess.run([*command[:-1], "sha256:" + "0" * 64], capture_output=True, text=True, timeout=120,
                           check=False)
    assert other.returncode != 0
