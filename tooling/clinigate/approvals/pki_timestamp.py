"""The signing time of a PKI approval: the earliest of its RFC 3161 tokens, else the clock, claimed.

    time, source = trusted_time(timestamps, signature, leaf, tsa_roots=roots,
                                require_timestamp=True, now=clock)

A token is over the signature bytes and must verify against one of trust.yaml's
``pki.tsa_roots``; every token a bundle carries must (one forged token makes the bundle
untrustworthy), and at most :data:`MAX_TIMESTAMPS` are read. Without a token the time is the
verifier's clock, labelled ``claimed``, and only when trust.yaml says
``pki.require_timestamp: false``. Tokens are requested and checked in :mod:`.timestamp`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from rfc3161_client import decode_timestamp_response

from .backend import SignatureInvalid
from .pki_chain import subject
from .timestamp import timestamp_failure

MAX_TIMESTAMPS = 4  # more is never needed and each costs a PKCS#7 verification


def trusted_time(timestamps: Sequence[bytes], signature: bytes, leaf: x509.Certificate, *,
                 tsa_roots: Sequence[x509.Certificate], require_timestamp: bool,
                 now: Callable[[], datetime]) -> tuple[datetime, Literal["rfc3161", "claimed"]]:
    """When ``leaf``'s ``signature`` was made, and whether a TSA vouches for it."""
    if not timestamps and require_timestamp:
        raise SignatureInvalid(
            "approval.no_timestamp", f"the approval signed by {subject(leaf)} carries no "
            "RFC 3161 timestamp, and trust.yaml requires a trusted signing time (pki.require_timestamp)",
            hint="sign again with a TSA (pki.tsa_url or --tsa); a registry without one says "
                 "pki.require_timestamp: false, and its approval times are then only claimed")
    if not timestamps:
        return now().astimezone(UTC), "claimed"
    if len(timestamps) > MAX_TIMESTAMPS:
        raise SignatureInvalid("approval.timestamp",
                               f"the bundle carries more than {MAX_TIMESTAMPS} timestamps")
    if not tsa_roots:
        raise SignatureInvalid(
            "approval.timestamp", "the bundle carries an RFC 3161 timestamp but trust.yaml names no "
            "TSA roots (pki.tsa_roots) to check it against",
            hint="add the hospital TSA's root certificate to pki.tsa_roots")
    # Every token must verify: a bundle carrying one forged token is not trustworthy anywhere.
    return min(_verify_timestamp(token, signature, tsa_roots) for token in timestamps), "rfc3161"


def _verify_timestamp(token: bytes, signature: bytes, tsa_roots: Sequence[x509.Certificate]) -> datetime:
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise SignatureInvalid("approval.timestamp",
                               f"the RFC 3161 timestamp cannot be read: {exc}") from None
    failures = [why for root in tsa_roots if (why := timestamp_failure(response, root, signature))]
    if len(failures) == len(tsa_roots):
        raise SignatureInvalid("approval.timestamp", "the RFC 3161 timestamp does not verify against "
                               f"the trusted TSA roots (pki.tsa_roots): {failures[0]}")
    return response.tst_info.gen_time.astimezone(UTC)
