"""A Sigstore trusted root that holds the hospital's PKI, so stock Sigstore verifiers check PKI approvals.

A PKI approval bundle (v0.3) carries the reviewer's leaf certificate alone
(``verificationMaterial.certificate``), no transparency-log entry and one RFC 3161 token over the
DSSE signature. An auditor verifies it with sigstore-js (``@sigstore/verify``; clinigate ships
``audit/export_files/sigstore_js_verify.mjs``) against the trusted root this module writes::

    root = pki_trusted_root(roots=[ca], intermediates=[issuing_ca], tsa_roots=[tsa_root],
                            tsa_certificates=[tsa_cert], base=json.loads(sigstore_root_text))
    config = client_trust_config(root, None)  # for sigstore-python's ClientTrustConfig / --trust-config

The shape rules, measured with @sigstore/verify 3.1.1 (tests/approvals/test_sigstore_js.py):

- ``certificateAuthorities``: sigstore-js builds the signer's path from the leaf and the certificates
  of one entry only (by authority/subject key identifier, then by name), never from the bundle, and
  the path must end at a self-signed certificate in that entry. So each entry holds the whole chain,
  the root included. We write one entry ``[root]`` per root (for certificates it issues itself) and
  one ``[intermediate, its parents ..., root]`` per intermediate. The order inside an entry does not
  matter to sigstore-js; we write the issuing CA first and the root last, as Sigstore does. An
  intermediate in an entry of its own, or an entry that lacks the intermediate, fails ("no valid
  certificate path found"): the bundle carries the leaf alone.
- ``timestampAuthorities``: ``certChain[0]`` must be the TSA's own signing certificate (sigstore-js
  picks the entry whose first certificate has the token's signer serial and issuer, takes the
  signing key from it, and chains it to the rest); then its CAs up to the root. The root alone,
  ``[root, TSA]`` or ``[TSA]`` alone all fail ("timestamp could not be verified"). So a TSA is listed
  by its signing certificate: a TSA root without one is refused here.
- ``validFor``: an entry counts only for signatures whose verified time is inside it; ``start`` is
  the latest not-before of the entry's certificates (the first moment its whole chain is valid), no
  ``end``. sigstore-js checks every certificate of the path at every verified time, never at "now":
  a bundle with no verified time (no token, no inclusion promise) does not verify.
- sigstore-js checks neither key usage nor extended key usage; clinigate's own verifier does.

Merging into ``base`` (the trusted root of the public-good or a private Sigstore instance) keeps
every entry of it (tlogs, ctlogs, its Fulcio CAs and TSAs, and any field this module does not know)
and appends the hospital's entries, skipping one whose chain is already there.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
_TRUSTED_ROOT_MEDIA_TYPES = (TRUSTED_ROOT_MEDIA_TYPE, "application/vnd.dev.sigstore.trustedroot.v0.2+json")
CLIENT_TRUST_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
# The one signing-config version sigstore-python 4 accepts; every service list may be empty.
SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
MAX_CHAIN_DEPTH = 8


class TrustedRootError(ValueError):
    """The certificates given cannot form the trusted root (a chain that ends nowhere, a bad base)."""


def _name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def _attribute(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _is_self_signed(certificate: x509.Certificate) -> bool:
    return _issued_by(certificate, certificate)


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _chain(certificate: x509.Certificate, intermediates: Sequence[x509.Certificate],
           roots: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """``certificate`` and its issuers up to one of ``roots``, nearest first (the root last)."""
    chain = [certificate]
    while not any(chain[-1] == root for root in roots):
        if len(chain) > MAX_CHAIN_DEPTH:
            break
        current = chain[-1]
        candidates = (c for c in (*roots, *intermediates) if c not in chain and _issued_by(current, c))
        issuer = next(candidates, None)
        if issuer is None:
            break
        chain.append(issuer)
    if not any(chain[-1] == root for root in roots):
        raise TrustedRootError(f"certificate {_name(certificate)} does not chain to any of the roots given "
                               f"({', '.join(_name(r) for r in roots) or 'none'})")
    return chain


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _authority(chain: Sequence[x509.Certificate]) -> dict[str, Any]:
    """A trusted-root ``CertificateAuthority`` for ``chain`` (its first certificate names it)."""
    first = chain[0]
    der = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain]
    return {
        # sigstore-python requires both fields of the DistinguishedName.
        "subject": {"organization": _attribute(first, NameOID.ORGANIZATION_NAME),
                    "commonName": _attribute(first, NameOID.COMMON_NAME) or _name(first)},
        "certChain": {"certificates": [{"rawBytes": raw} for raw in der]},
        "validFor": {"start": _time(max(c.not_valid_before_utc for c in chain))},
    }


def _ca_chains(roots: Sequence[x509.Certificate],
               intermediates: Sequence[x509.Certificate]) -> list[list[x509.Certificate]]:
    # A root on its own too: it may issue reviewers' certificates itself, from before its intermediates.
    return [[root] for root in roots] + [_chain(c, intermediates, roots) for c in intermediates]


def _check(certificates: Iterable[x509.Certificate], what: str, *, ca: bool) -> None:
    for certificate in certificates:
        if _is_ca(certificate) != ca:
            kind = "is not a CA certificate" if ca else "is a CA certificate"
            raise TrustedRootError(f"the {what} {_name(certificate)} {kind}")
    if what.endswith("root"):
        for certificate in certificates:
            if not _is_self_signed(certificate):
                raise TrustedRootError(f"the {what} {_name(certificate)} is not self-signed")


def _base(base: dict[str, Any] | None) -> dict[str, Any]:
    if base is None:
        return {"mediaType": TRUSTED_ROOT_MEDIA_TYPE, "tlogs": [], "certificateAuthorities": [], "ctlogs": [],
                "timestampAuthorities": []}
    if base.get("mediaType") not in _TRUSTED_ROOT_MEDIA_TYPES:
        raise TrustedRootError(
            f"the base is not a Sigstore trusted root (mediaType {base.get('mediaType')!r})")
    merged = copy.deepcopy(base)
    for field in ("tlogs", "certificateAuthorities", "ctlogs", "timestampAuthorities"):
        if not isinstance(merged.setdefault(field, []), list):
            raise TrustedRootError(f"the base trusted root's {field} is not a list")
    return merged


def _append(entries: list[dict[str, Any]], new: dict[str, Any]) -> None:
    if all(entry.get("certChain") != new["certChain"] for entry in entries):
        entries.append(new)


def pki_trusted_root(*, roots: Sequence[x509.Certificate], intermediates: Sequence[x509.Certificate] = (),
                     tsa_roots: Sequence[x509.Certificate] = (),
                     tsa_certificates: Sequence[x509.Certificate] = (),
                     base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The trusted root (JSON as a dict) of ``base`` plus the hospital CA(s) and TSA(s).

    ``roots`` and ``intermediates`` are the CAs of reviewers' certificates (trust.yaml ``pki.roots``
    and ``pki.intermediates``); ``tsa_certificates`` are the TSAs' own signing certificates and
    ``tsa_roots`` their roots (``pki.tsa_roots``); a TSA's intermediate CAs go in ``intermediates``
    too. Raises TrustedRootError for a certificate that chains to no root given, a TSA root that no
    TSA certificate chains to, or a base that is not a trusted root. The module docstring says why
    each entry looks as it does.
    """
    _check(roots, "root", ca=True)
    _check(intermediates, "intermediate", ca=True)
    _check(tsa_roots, "TSA root", ca=True)
    _check(tsa_certificates, "TSA certificate", ca=False)
    ours = [c for c in intermediates if chains_to(c, intermediates, roots)]
    stray = [c for c in intermediates if c not in ours and not chains_to(c, intermediates, tsa_roots)]
    if stray:
        raise TrustedRootError(
            f"the intermediate {_name(stray[0])} chains to none of the roots or TSA roots given")
    merged = _base(base)
    for chain in _ca_chains(roots, ours):
        _append(merged["certificateAuthorities"], _authority(chain))
    for chain in _tsa_chains(tsa_roots, tsa_certificates, intermediates):
        _append(merged["timestampAuthorities"], _authority(chain))
    return merged


def _tsa_chains(tsa_roots: Sequence[x509.Certificate], tsa_certificates: Sequence[x509.Certificate],
                intermediates: Sequence[x509.Certificate]) -> list[list[x509.Certificate]]:
    chains = [_chain(certificate, intermediates, tsa_roots) for certificate in tsa_certificates]
    for root in tsa_roots:
        if not any(chain[-1] == root for chain in chains):
            raise TrustedRootError(
                f"no TSA certificate given for the TSA root {_name(root)}: sigstore-js takes the TSA's "
                "signing certificate from the trusted root, so list it (tsa_certificates)")
    return chains


def chains_to(certificate: x509.Certificate, intermediates: Sequence[x509.Certificate],
              roots: Sequence[x509.Certificate]) -> bool:
    """Whether ``certificate`` chains through ``intermediates`` to one of ``roots``."""
    try:
        _chain(certificate, intermediates, roots)
    except TrustedRootError:
        return False
    return True


def client_trust_config(trusted_root: dict[str, Any],
                        signing_config: dict[str, Any] | None) -> dict[str, Any]:
    """A ``clienttrustconfig.v0.1`` for sigstore-python (``ClientTrustConfig.from_json``, ``--trust-config``).

    Without a signing config (an air-gapped site verifies, it does not sign keylessly) the minimal
    one is written: ``{"mediaType": <signingconfig.v0.2>}``, all service lists empty. sigstore-python
    parses and verifies with it; it refuses only to sign ("No valid Rekor transparency log found in
    signing config"), and its Verifier needs at least one tlog in the trusted root (so give a base).
    """
    if trusted_root.get("mediaType") not in _TRUSTED_ROOT_MEDIA_TYPES:
        raise TrustedRootError(f"not a Sigstore trusted root (mediaType {trusted_root.get('mediaType')!r})")
    signing = signing_config if signing_config is not None else {"mediaType": SIGNING_CONFIG_MEDIA_TYPE}
    return {"mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE, "trustedRoot": trusted_root,
            "signingConfig": signing}
