"""RFC 3161 timestamps for PKI approvals: asking a TSA, and checking a token against a TSA root.

A reviewer's clock proves nothing; the TSA's signed time over the signature bytes does (21 CFR
11.10(e): the time of each signing). ``request_timestamp`` asks and checks the answer against
the request (nonce, imprint); ``timestamp_failure`` says why a token does not verify under one
trusted root, with the untouched rfc3161-client doing the cryptography.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerifierBuilder,
    decode_timestamp_response,
)
from rfc3161_client import VerificationError as TimestampVerificationError

from ..errors import EnvironmentProblem

TSA_TIMEOUT_SECONDS = 30

# A DER TimeStampReq in, the DER TimeStampResp out: a hospital TSA over HTTP, or the demo's own.
Timestamper = Callable[[bytes], bytes]


class TimestampUnavailable(EnvironmentProblem):
    """The TSA named by ``pki.tsa_url`` did not return a usable RFC 3161 token."""


def http_timestamper(tsa_url: str) -> Timestamper:
    """Ask the TSA at ``tsa_url`` (RFC 3161 over HTTP)."""

    def ask(query: bytes) -> bytes:
        http_request = urllib.request.Request(tsa_url, data=query, method="POST",
                                              headers={"Content-Type": "application/timestamp-query"})
        with urllib.request.urlopen(http_request, timeout=TSA_TIMEOUT_SECONDS) as reply:
            der: bytes = reply.read()
        return der

    return ask


def request_timestamp(tsa: str | Timestamper, signature: bytes, *, name: str | None = None) -> bytes:
    """An RFC 3161 token (DER TimeStampResponse) over the signature bytes, checked against our request.

    ``tsa``: the TSA's URL, or a function answering DER queries (``name`` names it in errors)."""
    label = tsa if isinstance(tsa, str) else (name or "timestamp authority")
    ask = http_timestamper(tsa) if isinstance(tsa, str) else tsa
    request = (TimestampRequestBuilder().hash_algorithm(HashAlgorithm.SHA256).data(signature)
               .nonce(nonce=True).cert_request(cert_request=True).build())
    try:
        response = decode_timestamp_response(der := ask(request.as_bytes()))
    except (OSError, ValueError) as exc:
        raise TimestampUnavailable(f"the TSA {label} gave no timestamp: {exc}",
                                   hint="check pki.tsa_url (or --tsa) and that the TSA answers") from None
    # A replayed or misdirected token would timestamp someone else's signature.
    if (response.status != PKIStatus.GRANTED or response.tst_info.nonce != request.nonce
            or response.tst_info.message_imprint.message != request.message_imprint.message):
        raise TimestampUnavailable(f"the TSA {label} answered with a token that does not match the request")
    return der


def timestamp_failure(response: TimeStampResponse, root: x509.Certificate, signature: bytes) -> str | None:
    """Why the token does not verify under this TSA root, or None when it does."""
    try:
        VerifierBuilder().add_root_certificate(root).build().verify_message(response, signature)
    except TimestampVerificationError as exc:
        return str(exc)
    return None
