"""Sigstore keyless backend: Fulcio certificates bound to an OIDC identity, logged in Rekor.

    signer = SigstoreSigner(trust_config_json=None, identity_token=None)  # GitHub ambient OIDC
    bundle_json = signer.sign(build_statement(predicate, document_sha256=digest))
    verified = SigstoreVerifier.from_trust(trust, repo_root).verify(bundle_json)

Two identities may sign: a person (certificate SAN is an e-mail, issuer listed in
``person_issuers``) or the one pinned CI workflow (issuer, repository and owner ids, workflow,
ref, trigger and runner are all pinned through Fulcio's GitHub extensions,
shared/notes/signing.md §5). Only this verifier can mark a signature as the CI workflow's, and
only once every pin matched; the judge never reads that from the spelling of the SAN. A verifier
built with ``checkpoints=True`` (audit checkpoints only) also accepts the workflows listed in
``sigstore.ci.checkpoint_workflows``, with the same pins except the trigger.
sigstore is imported inside methods: it costs ~0.5 s and the CLI only needs it when a bundle
is signed or verified.

This module verifies (the bundle, its trusted time, the trusted root it is checked against);
its parts live beside it, and their public names are importable from here too:
:mod:`.keyless_sign` (:class:`SigstoreSigner`) and :mod:`.keyless_identity` (reading the
certificate, and the identity policy it must satisfy).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._internal.validation import first_problem
from ..manifest.trust import CiIdentity, RevokedCertificate, Trust, trust_file
from .attestation import PAYLOAD_TYPE
from .backend import Backend, IdentityKind, SignatureInvalid, VerifiedSignature
from .keyless_identity import IdentityPlan, RecordingPolicy, certificate_sha256, ci_details, identity_plan
from .keyless_sign import KeylessSigningFailed, SigstoreSigner

if TYPE_CHECKING:
    from sigstore.models import Bundle
    from sigstore.verify import Verifier
    from sigstore_models.trustroot.v1 import TrustedRoot as TrustedRootModel

__all__ = ["PUBLIC_GOOD", "KeylessSigningFailed", "SigstoreSigner", "SigstoreVerifier", "parse_trusted_root",
           "private_verifier"]

PUBLIC_GOOD = "public-good"


# --- verification -----------------------------------------------------------------------------


class SigstoreVerifier:
    """Verify keyless bundles against one trusted root and the identities trust.yaml accepts."""

    backend: Backend = "sigstore"

    def __init__(self, trusted_root: str | Path, person_issuers: Sequence[str] = (),
                 ci: CiIdentity | None = None,
                 revoked: Mapping[str, RevokedCertificate] | None = None, *,
                 checkpoints: bool = False) -> None:
        """``trusted_root``: a trusted_root.json path, its JSON text, or ``"public-good"``.

        ``checkpoints``: also accept ``ci.checkpoint_workflows`` (as IdentityKind.CHECKPOINT_WORKFLOW).
        Only audit checkpoints are verified so; an approval verifier refuses those workflows outright,
        so a checkpoint workflow's signature can never reach the approval judge.
        """
        self._trusted_root = trusted_root
        self._person_issuers = list(person_issuers)
        self._ci = ci
        self._revoked = {k.lower(): v for k, v in (revoked or {}).items()}
        self._checkpoints = checkpoints
        self._verifier: Verifier | None = None

    @classmethod
    def from_trust(cls, trust: Trust, repo_root: Path, *, checkpoints: bool = False) -> SigstoreVerifier:
        config = trust.sigstore
        root: str | Path = config.trusted_root
        if root != PUBLIC_GOOD:
            root = trust_file(repo_root, config.trusted_root)
        return cls(root, config.person_issuers, config.ci, trust.revoked(), checkpoints=checkpoints)

    def handles(self, bundle: dict[str, object]) -> bool:
        material = bundle.get("verificationMaterial")
        entries = material.get("tlogEntries") if isinstance(material, dict) else None
        return isinstance(entries, list) and len(entries) > 0

    def verify(self, bundle_json: str) -> VerifiedSignature:
        bundle, raw = _parse(bundle_json)
        cert = bundle.signing_certificate
        fingerprint = certificate_sha256(cert)
        if (revoked := self._revoked.get(fingerprint)) is not None:
            raise SignatureInvalid("approval.revoked_key", f"signing certificate {fingerprint} was revoked "
                                   f"on {revoked.revoked_on}: {revoked.reason}")
        plan = identity_plan(cert, self._person_issuers, self._ci, checkpoints=self._checkpoints)
        payload = self._verify_dsse(bundle, plan)
        time, source = _signed_time(raw)
        # Reached only when sigstore's policy and every pin passed: plan.kind is now a verified fact.
        ci = plan.kind is not IdentityKind.PERSON
        return VerifiedSignature(payload=payload, backend="sigstore", identity=plan.identity,
                                 issuer=plan.issuer, time=time, time_source=source,
                                 certificate_sha256=fingerprint, details=ci_details(cert) if ci else {},
                                 identity_kind=plan.kind)

    def _verify_dsse(self, bundle: Bundle, plan: IdentityPlan) -> bytes:
        from sigstore.errors import VerificationError

        recording = RecordingPolicy(plan.policy)
        try:
            payload_type, payload = self._sigstore_verifier().verify_dsse(bundle, recording)
        except VerificationError as exc:
            if recording.refused:
                raise plan.mismatch or SignatureInvalid("approval.identity",
                                                        f"identity policy: {exc}") from None
            raise _classify(exc) from None
        if plan.mismatch is not None:  # a pin sigstore's policy has no class for (e.g. person issuers)
            raise plan.mismatch
        if payload_type != PAYLOAD_TYPE:
            raise SignatureInvalid("approval.bundle",
                                   f"DSSE payload type is {payload_type!r}, not {PAYLOAD_TYPE}")
        return payload

    def _sigstore_verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = _load_verifier(self._trusted_root)
        return self._verifier


def _load_verifier(trusted_root: str | Path) -> Verifier:
    from sigstore.verify import Verifier

    if trusted_root == PUBLIC_GOOD:
        # offline: the roots shipped in the sigstore wheel (or the isolated TUF cache), never the network.
        return Verifier.production(offline=True)
    if isinstance(trusted_root, Path):
        try:
            text = trusted_root.read_bytes()
        except OSError as exc:
            raise SignatureInvalid("trust.sigstore_root", f"the Sigstore trusted root {trusted_root.name} "
                                   f"named by trust.yaml cannot be read: {exc.strerror}") from None
        return private_verifier(text)
    return private_verifier(trusted_root.encode())


def private_verifier(trusted_root_json: bytes) -> Verifier:
    """A verifier for a private instance's trusted_root.json, or the refusal naming what is wrong.

    Built exactly as verification builds it (parse, media type, Fulcio chain, a transparency log),
    so ``validate`` calls a root broken only when verification would fail on it.
    """
    from sigstore.errors import Error
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    model = parse_trusted_root(trusted_root_json)
    try:
        return Verifier(trusted_root=TrustedRoot(model))
    except (Error, ValueError) as exc:  # media type, certificates, no transparency log
        raise _unusable_root(str(exc)) from None


def parse_trusted_root(trusted_root_json: bytes) -> TrustedRootModel:
    """The trusted_root.json parsed (schema and media type), without sigstore's ~0.5 s import.

    What the gate checks on every run; :func:`private_verifier` goes on to the certificates.
    """
    from pydantic import ValidationError
    from sigstore_models.trustroot.v1 import TrustedRoot as TrustedRootModel

    try:
        return TrustedRootModel.from_json(trusted_root_json)
    except ValidationError as exc:
        problem = first_problem(exc)
        raise _unusable_root(f"at {problem.where}: {problem.message}") from None


def _unusable_root(problem: str) -> SignatureInvalid:
    return SignatureInvalid("trust.sigstore_root", f"the Sigstore trusted root named by trust.yaml "
                            f"(sigstore.trusted_root) is not a usable trusted_root.json: {problem}",
                            hint="replace it with the trusted_root.json your Sigstore instance publishes")


def _parse(bundle_json: str) -> tuple[Bundle, dict[str, Any]]:
    from sigstore.errors import Error
    from sigstore.models import Bundle

    try:
        raw = json.loads(bundle_json)
        bundle = Bundle.from_json(bundle_json)
    except (ValueError, Error) as exc:
        raise SignatureInvalid("approval.bundle", f"not a valid Sigstore bundle: {exc}") from None
    if not isinstance(raw, dict) or "dsseEnvelope" not in raw:
        raise SignatureInvalid("approval.bundle", "the bundle holds no DSSE envelope")
    return bundle, raw


_SIGSTORE_FAILURES = [
    # Time sources: the signature may be sound while no time can be trusted.
    ("no Timestamp Authorities have been provided", "approval.untrusted_root",
     "the bundle carries an RFC 3161 timestamp, but the configured trusted root lists no "
     "timestamp authority"),
    ("not enough sources of verified time", "approval.time",
     "no trusted time: neither a Rekor time nor a timestamp from a trusted TSA over this signature"),
    ("duplicate timestamp found", "approval.bundle", "the bundle repeats a timestamp token"),
    ("too many signed timestamp", "approval.bundle", "the bundle carries too many timestamp tokens"),
    ("failed to build timestamp certificate chain", "approval.untrusted_root",
     "the signing certificate does not chain to the configured Sigstore root (a foreign Sigstore instance?)"),
    ("failed to verify SCT", "approval.untrusted_root",
     "the certificate's SCT is not signed by a CT log of the configured Sigstore root"),
    ("invalid log entry", "approval.untrusted_root",
     "the Rekor entry does not verify against the configured transparency log"),
    ("DSSE:", "approval.signature", "the DSSE signature does not verify"),
    ("log entry", "approval.signature", "the Rekor entry does not match the signed envelope"),
]


def _classify(exc: Exception) -> SignatureInvalid:
    """sigstore raises one exception type; the message says which step failed."""
    text = str(exc)
    for needle, rule, summary in _SIGSTORE_FAILURES:
        if needle in text:
            return SignatureInvalid(rule, f"{summary}: {text}")
    return SignatureInvalid("approval.signature", f"Sigstore verification failed: {text}")


def _signed_time(raw: dict[str, Any]) -> tuple[datetime, Literal["rekor", "rfc3161"]]:
    """The time sigstore verified: Rekor's integratedTime when its SET is present, else the TSA's.

    This mirrors sigstore 4.5's ``Verifier._establish_time`` (integratedTime counts only with an
    inclusion promise; one verified time source suffices), which is why a single token is the
    only TSA time taken: with several, sigstore does not say which one verified.
    """
    material = raw.get("verificationMaterial") or {}
    entry = (material.get("tlogEntries") or [{}])[0]
    if entry.get("integratedTime") and entry.get("inclusionPromise"):
        return datetime.fromtimestamp(int(entry["integratedTime"]), tz=UTC), "rekor"
    tokens = (material.get("timestampVerificationData") or {}).get("rfc3161Timestamps") or []
    if len(tokens) != 1:
        # With several tokens sigstore needs only one to verify; a time read from an unverified one
        # could be back-dated, so refuse rather than guess.
        raise SignatureInvalid("approval.time",
                               f"no Rekor time and {len(tokens)} TSA tokens: no single trusted time")
    from rfc3161_client import decode_timestamp_response

    try:
        response = decode_timestamp_response(base64.b64decode(tokens[0]["signedTimestamp"]))
    except (KeyError, ValueError, binascii.Error) as exc:
        raise SignatureInvalid("approval.time", f"unreadable RFC 3161 token: {exc}") from None
    return response.tst_info.gen_time.astimezone(UTC), "rfc3161"
