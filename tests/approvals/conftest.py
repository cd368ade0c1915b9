"""Fixtures for the approvals tests."""

from __future__ import annotations

import pytest
from testing.approvals import signed_registry  # noqa: F401

from clinigate.approvals.attestation import ApprovalPredicate, build_statement


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
