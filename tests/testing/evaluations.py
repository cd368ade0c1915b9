"""Signed evaluation records for the failure-record tests (gate/evaluation.py).

A record is signed by a certificate the test CA issues to the gate's recorder, whose e-mail the
registry's trust.yaml lists under ``pki.evaluation_recorders`` (:func:`trust_the_recorder`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from clinigate.approvals.attestation import now_utc
from clinigate.approvals.pki import PkiSigner
from clinigate.demo.approvals import DemoPki
from clinigate.gate.evaluation import (
    EvaluationPredicate,
    RecordedEvaluation,
    RecordedFinding,
    sign_and_append,
)
from clinigate.gitrepo import Git

RECORDER = "gate-recorder@mercy-general.example"
TRUST = "policies/trust/trust.yaml"


def trust_the_recorder(repo: Path, email: str = RECORDER) -> None:
    """List ``email`` under trust.yaml's pki.evaluation_recorders (commit it on the base)."""
    file = repo / TRUST
    text = file.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text.startswith("# yaml-language-server") else None
    data = yaml.safe_load(text)
    data["pki"]["evaluation_recorders"] = [email]
    body = yaml.safe_dump(data, sort_keys=False)
    file.write_text(f"{first}\n{body}" if first else body, encoding="utf-8")


def recorder_signer(pki: DemoPki, email: str = RECORDER) -> PkiSigner:
    """The signer of the gate's recorder (or of anyone else, by ``email``)."""
    key = email.split("@")[0]
    if key not in pki.issued:
        pki.issued[key] = pki.ca.issue_person(key, email, "clinigate gate recorder")
    return pki.signer_of(pki.issued[key])


def record_failure(git: Git, signer: PkiSigner, *, model: str, version: str, modification_id: str | None,
                   rules: tuple[str, ...] = ("gates.auc_floor",)) -> RecordedEvaluation:
    """A failed evaluation of ``model`` ``version`` (a pull request since closed), signed and kept."""
    head = git.resolve("HEAD")
    predicate = EvaluationPredicate(
        model=model, version=version, document=f"models/{model}/versions/{version}.yaml",
        document_sha256=hashlib.sha256(f"{model} {version}".encode()).hexdigest(),
        modification_id=modification_id, change_class="data_update", pccp_status="deviation", decision="fail",
        findings=[RecordedFinding(rule=r, severity="error") for r in rules], findings_total=len(rules),
        inputs_sha256=hashlib.sha256(b"{}").hexdigest(), base=head, head=head, evaluated_at=now_utc())
    (record,) = sign_and_append(git, signer, [predicate], "test: a failed evaluation")
    return record
