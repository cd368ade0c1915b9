"""A PKI signing key must be encrypted at rest (21 CFR 11.200(a)(1), issue 17 item 9): the key file
and its password are two components, so a copied file alone cannot sign. ``approve`` refuses an
unencrypted key unless ``--allow-unencrypted-key`` is given, and appends nothing when it refuses.
"""

from __future__ import annotations

import json

from testing.approvals import SignedRegistry
from testing.local_tsa import local_tsa  # noqa: F401

from clinigate.approvals.ledger import Ledger
from clinigate.approvals.pki_sign import is_encrypted

PASSWORD = b"correct horse battery staple"


def _approve(reg: SignedRegistry, run_cli, key: str, cert: str, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_cli("approve", reg.version_path, "--role", "clinical_reviewer", "--decision", "approved",
                   "--reason", "subgroups reviewed", "--key", key, "--cert", cert, *extra, cwd=reg.repo, env=env)


def _entries(reg: SignedRegistry) -> int:
    return len(Ledger(reg.git).entries())


def test_an_unencrypted_key_is_refused_and_nothing_is_appended(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    issued = reg.pki.certificate(reg.person("jlindqvist"))
    assert not is_encrypted(issued.key_path.read_bytes())
    before = _entries(reg)
    refused = _approve(reg, run_cli, str(issued.key_path), str(issued.cert_path))
    assert refused.code == 2, refused.stdout + refused.stderr
    assert "the private key is not encrypted" in refused.stderr and "--key-password-env" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _entries(reg) == before


def test_the_flag_signs_with_an_unencrypted_key(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    issued = reg.pki.certificate(reg.person("jlindqvist"))
    signed = _approve(reg, run_cli, str(issued.key_path), str(issued.cert_path), "--allow-unencrypted-key")
    assert signed.code == 0, signed.stderr


def test_an_encrypted_key_signs_with_its_password_from_the_environment(signed_registry: SignedRegistry,
                                                                       run_cli) -> None:
    reg = signed_registry
    person = reg.person("jlindqvist")
    issued = reg.pki.ca.issue_person(f"{person.id}-enc", person.email, person.name, password=PASSWORD)
    assert is_encrypted(issued.key_path.read_bytes())
    args = (str(issued.key_path), str(issued.cert_path), "--key-password-env", "REVIEWER_KEY_PASSWORD")

    wrong = _approve(reg, run_cli, *args, env={"REVIEWER_KEY_PASSWORD": "not it"})
    assert wrong.code == 2 and "the private key cannot be read" in wrong.stderr, wrong.stderr

    signed = _approve(reg, run_cli, *args, env={"REVIEWER_KEY_PASSWORD": PASSWORD.decode()})
    assert signed.code == 0, signed.stderr
    shown = json.loads(run_cli("verify", reg.version_path, "--format", "json", cwd=reg.repo).stdout)
    (row,) = [a for a in shown["documents"][0]["approvals"] if a["role"] == "clinical_reviewer"]
    assert row["valid"] is True and row["signer"] == person.id
