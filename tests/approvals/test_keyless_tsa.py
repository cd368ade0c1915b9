"""Keyless approvals timed by an RFC 3161 TSA instead of Rekor's signed entry timestamp.

The unmodified sigstore Signer asks every TSA in the signing config for a token; the unmodified
Verifier checks it against ``trustedRoot.timestampAuthorities``. Deleting ``inclusionPromise`` and
``integratedTime`` from the Rekor entry leaves the TSA as the only source of verified time, which
is what ``_signed_time`` in clinigate.approvals.keyless must then report.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rfc3161_client import decode_timestamp_response
from testing.local_sigstore import CI, EMAIL_ISSUER, LocalSigstore, refused
from testing.local_tsa import LocalTSA, foreign_tsa, local_tsa  # noqa: F401 - fixtures

from clinigate.approvals.keyless import SigstoreSigner, SigstoreVerifier


@pytest.fixture(scope="module")
def tsa_sigstore(local_tsa: LocalTSA) -> Iterator[LocalSigstore]:  # noqa: F811
    """A private instance whose signing config and trusted root list the trusted local TSA.

    Separate from the session ``local_sigstore`` (which has no TSA), so other modules are unaffected.
    """
    instance = LocalSigstore("tsa-sigstore", tsas=[local_tsa])
    with instance.serve():
        yield instance


@pytest.fixture(scope="module")
def two_tsa_sigstore(local_tsa: LocalTSA, foreign_tsa: LocalTSA) -> Iterator[LocalSigstore]:  # noqa: F811
    """Signs with two TSAs, the trusted one and one under a CA the verifier does not know."""
    instance = LocalSigstore("two-tsa-sigstore", tsas=[local_tsa, foreign_tsa])
    with instance.serve():
        yield instance


def sign(instance: LocalSigstore, statement: bytes) -> str:
    return SigstoreSigner(instance.client_trust_config_json(), instance.mint_github_token()).sign(statement)


def verifier(trusted_root_json: str) -> SigstoreVerifier:
    return SigstoreVerifier(trusted_root_json, person_issuers=[EMAIL_ISSUER], ci=CI)


def tokens(bundle: dict[str, Any]) -> list[dict[str, str]]:
    data: list[dict[str, str]] = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
    return data


def without_rekor_time(bundle_json: str) -> dict[str, Any]:
    """The bundle with Rekor's SET and integrated time removed: the TSA must supply the time."""
    raw: dict[str, Any] = json.loads(bundle_json)
    entry = raw["verificationMaterial"]["tlogEntries"][0]
    del entry["inclusionPromise"], entry["integratedTime"]
    return raw


def gen_time(token: dict[str, str]) -> datetime:
    return decode_timestamp_response(base64.b64decode(token["signedTimestamp"])).tst_info.gen_time


@pytest.fixture(scope="module")
def tsa_bundle(tsa_sigstore: LocalSigstore, statement: bytes) -> str:
    return sign(tsa_sigstore, statement)


# --- the TSA as the source of time -------------------------------------------------------------


def test_signer_attaches_one_token_from_the_configured_tsa(tsa_sigstore: LocalSigstore,
                                                           tsa_bundle: str) -> None:
    raw = json.loads(tsa_bundle)
    assert len(tokens(raw)) == 1
    # With the SET still present, Rekor's integrated time wins.
    verified = verifier(tsa_sigstore.trusted_root_json()).verify(tsa_bundle)
    assert verified.time_source == "rekor"


def test_tsa_alone_provides_the_time(tsa_sigstore: LocalSigstore, statement: bytes, tsa_bundle: str) -> None:
    raw = without_rekor_time(tsa_bundle)
    verified = verifier(tsa_sigstore.trusted_root_json()).verify(json.dumps(raw))
    assert verified.payload == statement and verified.identity == CI.san
    assert verified.time_source == "rfc3161" and verified.time_trusted
    assert abs(datetime.now(UTC) - verified.time) < timedelta(minutes=1)
    assert verified.time == gen_time(tokens(raw)[0])


def test_tsa_not_in_the_trusted_root_is_refused(tsa_sigstore: LocalSigstore, tsa_bundle: str) -> None:
    # The verifier trusts no TSA at all: sigstore refuses any bundle that carries a token.
    error = refused(verifier(tsa_sigstore.trusted_root_json(tsas=[])),
                    json.dumps(without_rekor_time(tsa_bundle)))
    assert error.rule == "approval.untrusted_root"
    assert "no Timestamp Authorities have been provided" in error.message


def test_tsa_other_than_the_trusted_one_is_refused(tsa_sigstore: LocalSigstore, foreign_tsa: LocalTSA,  # noqa: F811
                                                   tsa_bundle: str) -> None:
    # The verifier trusts a TSA, just not the one that stamped: the token is skipped, no time is left.
    error = refused(verifier(tsa_sigstore.trusted_root_json(tsas=[foreign_tsa])),
                    json.dumps(without_rekor_time(tsa_bundle)))
    assert error.rule == "approval.time"
    assert "not enough sources of verified time" in error.message


def test_duplicated_token_is_refused_by_sigstore(tsa_sigstore: LocalSigstore, tsa_bundle: str) -> None:
    raw = without_rekor_time(tsa_bundle)
    tokens(raw).append(dict(tokens(raw)[0]))
    error = refused(verifier(tsa_sigstore.trusted_root_json()), json.dumps(raw))
    assert error.rule == "approval.bundle" and "duplicate timestamp found" in error.message


def test_two_tokens_without_rekor_time_give_no_single_time(two_tsa_sigstore: LocalSigstore,
                                                            local_tsa: LocalTSA,  # noqa: F811
                                                            statement: bytes) -> None:
    bundle = sign(two_tsa_sigstore, statement)
    raw = without_rekor_time(bundle)
    assert len(tokens(raw)) == 2
    # sigstore accepts: one of the two tokens verifies against the trusted TSA ...
    check = verifier(two_tsa_sigstore.trusted_root_json(tsas=[local_tsa]))
    assert check.verify(bundle).time_source == "rekor"
    # ... but which token that was is not reported, so clinigate refuses to pick a time.
    error = refused(check, json.dumps(raw))
    assert error.rule == "approval.time" and "2 TSA tokens" in error.message


def test_token_over_another_signature_gives_no_time(tsa_sigstore: LocalSigstore, statement: bytes,
                                                    tsa_bundle: str) -> None:
    # A genuine token from the trusted TSA, but over a different bundle's signature.
    other = without_rekor_time(sign(tsa_sigstore, statement))
    raw = without_rekor_time(tsa_bundle)
    tokens(raw)[0] = tokens(other)[0]
    error = refused(verifier(tsa_sigstore.trusted_root_json()), json.dumps(raw))
    assert error.rule == "approval.time"
    assert "not enough sources of verified time" in error.message
