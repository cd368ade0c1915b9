"""Approvals recorded before PKI bundles carried the leaf alone still count in ``clinigate verify``.

Until this release a PKI bundle listed the reviewer's certificate and the CAs above it under
``verificationMaterial.x509CertificateChain`` (data/legacy_pki/ holds bundles the previous
release wrote). A registry upgraded in place keeps those on its ledger: they must verify, and
count for the gate, beside bundles in the new form.
"""

from __future__ import annotations

import json

from testing.approvals import SignedRegistry

from clinigate.approvals.approve import ActRequest, build_act

REQUIRED = (("smarquez", "ml_reviewer"), ("jlindqvist", "clinical_reviewer"), ("dwhitfield", "quality"))


def as_previous_release(bundle: str) -> str:
    """The same signature as the previous release wrote it: the certificate in the chain form."""
    data = json.loads(bundle)
    material = data["verificationMaterial"]
    material["x509CertificateChain"] = {"certificates": [material.pop("certificate")]}
    return json.dumps(data)


def test_old_form_approvals_verify_and_pass_the_gate(signed_registry: SignedRegistry, run_cli) -> None:
    reg = signed_registry
    for person_id, role in REQUIRED:
        statement, digest, _ = build_act(reg.git, ActRequest(reg.version_path, role, "approved", "reviewed",
                                                             signer_id=person_id))
        reg.append_raw(reg.version_path, digest, as_previous_release(reg.pki.signer(reg.person(person_id))
                                                                     .sign(statement)))
    shown = run_cli("verify", reg.version_path, "--rev", reg.branch, "--format", "json", cwd=reg.repo)
    assert shown.code == 0, shown.stdout + shown.stderr
    rows = json.loads(shown.stdout)["documents"][0]["approvals"]
    assert [(r["valid"], r["backend"], r["time_source"]) for r in rows] == [(True, "pki", "rfc3161")] * 3
    gate = run_cli("check", "--base", "main", "--head", reg.branch, cwd=reg.repo)
    assert gate.code == 0, gate.stdout + gate.stderr
