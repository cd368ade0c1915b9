"""Whether a PKI certificate is a trusted reviewer's at a given time: chain, usage, identity, revocation.

    root = validate_chain(leaf, chain, roots=roots, intermediates=intermediates, at=time, source=source)
    require_code_signing(leaf)
    email = reviewer_identity(leaf)
    check_revoked(revoked, leaf, fingerprint(leaf))

The leaf must be within its validity at the trusted time (the TSA's, else the verifier's
clock), chain to a root of trust.yaml's ``pki.roots`` (through ``pki.intermediates`` or the
chain a bundle carries), allow codeSigning, and name one person by e-mail; a PKI certificate
never signs as a workflow. Each refusal is a :class:`~.backend.SignatureInvalid` with its own rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .. import layout
from ..manifest.trust import RevokedCertificate
from .backend import SignatureInvalid, person_email


def subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_leaf_validity(leaf: x509.Certificate, at: datetime, source: str) -> None:
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if start <= at <= end:
        return
    who = f"certificate {subject(leaf)}"
    if source == "rfc3161":
        message = (f"the TSA time {utc(at)} is outside the validity of {who} "
                   f"({utc(start)} to {utc(end)})")
    elif at > end:
        message = f"{who} expired on {utc(end)} and there is no trusted timestamp of an earlier signature"
    else:
        message = f"{who} is not valid before {utc(start)} and there is no trusted timestamp"
    raise SignatureInvalid(
        "approval.expired", message,
        hint="sign again with a valid certificate; a TSA (pki.tsa_url) proves the signing time")


def require_code_signing(leaf: x509.Certificate) -> None:
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = x509.ExtendedKeyUsage([])
    if ExtendedKeyUsageOID.CODE_SIGNING not in usages:
        raise SignatureInvalid(
            "approval.eku", f"certificate {subject(leaf)} lacks the extended key usage codeSigning "
            f"({ExtendedKeyUsageOID.CODE_SIGNING.dotted_string}) that approval signatures require",
            hint="ask the CA for a code-signing certificate")


def reviewer_identity(leaf: x509.Certificate) -> str:
    """The reviewer's e-mail: a PKI certificate is always a person, never the CI workflow (DESIGN §13)."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if uris:
        # Only a Sigstore certificate whose GitHub extensions match trust.yaml's pin signs as a
        # workflow; a URI in a CA-issued certificate is somebody dressing up as one.
        raise SignatureInvalid(
            "approval.pki_uri_san", f"certificate {subject(leaf)} names the URI {uris[0]!r} in its subject "
            "alternative name; a PKI certificate identifies a person by e-mail only, and only the pinned "
            "Sigstore CI workflow (trust.yaml sigstore.ci) signs as a workflow",
            hint="ask the CA for a certificate with the reviewer's e-mail as its only SAN")
    emails = san.get_values_for_type(x509.RFC822Name)
    if len(emails) != 1:
        raise SignatureInvalid(
            "approval.identity", f"certificate {subject(leaf)} names {len(emails)} e-mail addresses in its "
            "subject alternative name; exactly one identifies the reviewer")
    return person_email(emails[0], f"certificate {subject(leaf)}")


def validate_chain(leaf: x509.Certificate, chain: Sequence[x509.Certificate], *,
                   roots: Sequence[x509.Certificate], intermediates: Sequence[x509.Certificate],
                   at: datetime, source: str) -> x509.Certificate:
    """The root ``leaf`` chains to at ``at`` (``source``: where that time comes from)."""
    if not roots:
        raise SignatureInvalid(
            "trust.no_pki_root", f"certificate {subject(leaf)} cannot be checked: trust.yaml "
            "lists no usable PKI root (pki.roots is empty, or none of its files is a CA certificate)",
            hint=f"list the issuing CA's PEM certificate under pki.roots in {layout.TRUST_PATH}")
    _check_leaf_validity(leaf, at, source)
    # Client verifiers insist on EKU clientAuth; approvals need codeSigning instead, which
    # require_code_signing checks, so the EKU is only allowed here (as sigstore does).
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None)
    verifier = (PolicyBuilder().store(Store(list(roots))).time(at)
                .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy).build_client_verifier())
    try:
        return verifier.verify(leaf, [*intermediates, *chain]).chain[-1]
    except VerificationError as exc:
        # The leaf's window was checked above; this catches an expired intermediate or root.
        expired = "not valid at validation time" in str(exc)
        rule = "approval.expired" if expired else "approval.untrusted_root"
        raise SignatureInvalid(
            rule, f"certificate {subject(leaf)} does not chain to a trusted root CA "
            f"(pki.roots) at {utc(at)}: {exc}",
            hint=f"the signer's CA must be listed under pki.roots in {layout.TRUST_PATH}") from None


def check_revoked(revoked: Mapping[str, RevokedCertificate], leaf: x509.Certificate,
                  leaf_sha256: str) -> None:
    """Refuse a certificate trust.yaml lists as revoked."""
    entry = revoked.get(leaf_sha256)
    if entry is not None:
        raise SignatureInvalid(
            "approval.revoked_key", f"certificate {subject(leaf)} (sha256 {leaf_sha256}) was revoked on "
            f"{entry.revoked_on.isoformat()}: {entry.reason}")
