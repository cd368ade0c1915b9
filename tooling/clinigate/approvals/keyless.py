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

Size exception: 466 lines, signing and verification in one module until it is split along them
(issue 16, pending).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._internal.validation import first_problem
from ..errors import EnvironmentProblem
from ..manifest.trust import CiIdentity, RevokedCertificate, Trust, trust_file
from .attestation import PAYLOAD_TYPE
from .backend import Backend, IdentityKind, SignatureInvalid, VerifiedSignature, person_email

if TYPE_CHECKING:
    from cryptography.x509 import Certificate
    from sigstore.models import Bundle, ClientTrustConfig
    from sigstore.verify import Verifier
    from sigstore.verify.policy import VerificationPolicy
    from sigstore_models.trustroot.v1 import TrustedRoot as TrustedRootModel

PUBLIC_GOOD = "public-good"
_FULCIO = "1.3.6.1.4.1.57264.1."
# Fulcio extension numbers (after 1.3.6.1.4.1.57264.1.) that clinigate pins or records.
_ISSUER_RAW, _ISSUER, _BUILD_SIGNER_URI, _RUNNER, _REPOSITORY_URI, _COMMIT = 1, 8, 9, 11, 12, 13
_REF, _REPOSITORY_ID, _OWNER_ID, _TRIGGER, _RUN_URL = 14, 15, 17, 20, 21


class KeylessSigningFailed(EnvironmentProblem):
    """No identity token, or Fulcio/Rekor refused or could not be reached."""


# --- signing ----------------------------------------------------------------------------------


class SigstoreSigner:
    """Sign statement bytes as a DSSE envelope with a short-lived Fulcio certificate."""

    backend: Backend = "sigstore"

    def __init__(self, trust_config_json: str | None = None, identity_token: str | None = None) -> None:
        self._trust_config_json = trust_config_json
        self._identity_token = identity_token

    def sign(self, statement: bytes) -> str:
        from sigstore.dsse import Statement
        from sigstore.oidc import IdentityToken
        from sigstore.sign import SigningContext

        try:
            context = SigningContext.from_trust_config(self._trust_config())
            token = IdentityToken(self._token())
            # Keep the default cache=True: sigstore 4.5.1 with cache=False signs with a key other than
            # the certificate's (shared/notes/signing.md §0).
            with context.signer(token) as signer:
                bundle = signer.sign_dsse(Statement(statement))
        except KeylessSigningFailed:
            raise
        except Exception as exc:  # sigstore, Fulcio, Rekor and requests errors share no base class
            raise KeylessSigningFailed(f"Sigstore keyless signing failed: {exc}",
                                       hint="check the signing configuration and the identity token") from exc
        return bundle.to_json()

    def _trust_config(self) -> ClientTrustConfig:
        from sigstore.models import ClientTrustConfig

        if self._trust_config_json is None:
            return ClientTrustConfig.production()  # online (TUF): real signing only
        return ClientTrustConfig.from_json(self._trust_config_json)

    def _token(self) -> str:
        if self._identity_token:
            return self._identity_token
        from sigstore.oidc import detect_credential

        token = detect_credential()
        if not token:
            raise KeylessSigningFailed(
                "no OIDC identity token: none given and no ambient credential was detected",
                hint="sign in GitHub Actions with `permissions: id-token: write`, or pass an identity token")
        return token


# --- certificate reading ----------------------------------------------------------------------


def _extension(cert: Certificate, number: int) -> str | None:
    """A Fulcio extension as text; .1.1-.1.6 are raw bytes, .1.8 onwards DER UTF8String."""
    from cryptography import x509
    from cryptography.hazmat import asn1

    try:
        ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(f"{_FULCIO}{number}"))
    except x509.ExtensionNotFound:
        return None
    raw: bytes = getattr(ext.value, "value", b"")
    try:
        return raw.decode() if number < 8 else asn1.decode_der(str, raw)
    except ValueError:
        return None


def _san(cert: Certificate) -> tuple[Literal["email", "uri"], str] | None:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    emails = san.get_values_for_type(x509.RFC822Name)
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if len(emails) + len(uris) != 1:
        return None
    return ("email", emails[0]) if emails else ("uri", uris[0])


def _cert_issuer(cert: Certificate) -> str | None:
    return _extension(cert, _ISSUER) or _extension(cert, _ISSUER_RAW)


def _fingerprint(cert: Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


# --- identity policy --------------------------------------------------------------------------


@dataclass(frozen=True)
class _IdentityPlan:
    """The sigstore policy to run and, if the pins already disagree, the specific refusal to report."""

    identity: str
    issuer: str
    kind: IdentityKind
    policy: VerificationPolicy
    mismatch: SignatureInvalid | None


def _ci_mismatch(cert: Certificate, ci: CiIdentity, *, checkpoint: bool = False) -> SignatureInvalid | None:
    """Which pinned CI value the certificate's Fulcio extensions contradict, most specific first.

    ``checkpoint``: a checkpoint workflow (``ci.checkpoint_workflows``) passes too; its trigger is
    not pinned (a schedule, a push to main), since the ref pin already admits only main's file.
    """
    pins = [
        ("approval.identity", "OIDC issuer", _ISSUER, ci.issuer),
        ("approval.ci_repository", "source repository id", _REPOSITORY_ID, ci.repository_id),
        ("approval.ci_repository", "repository owner id", _OWNER_ID, ci.owner_id),
        ("approval.ci_repository", "source repository", _REPOSITORY_URI, f"{ci.server}/{ci.repository}"),
        ("approval.ci_ref", "source ref", _REF, ci.ref),
        ("approval.ci_runner", "runner environment", _RUNNER, ci.runner),
    ]
    for rule, what, number, expected in pins:
        actual = _extension(cert, number)
        if actual != expected:
            return SignatureInvalid(rule, f"CI certificate {what} is {actual!r}, "
                                          f"trust.yaml pins {expected!r}")
    workflow = _extension(cert, _BUILD_SIGNER_URI)
    if checkpoint and workflow in ci.checkpoint_sans:
        return None
    pinned = ci.san + (f" or, for a checkpoint, {', '.join(ci.checkpoint_sans)}"
                       if checkpoint and ci.checkpoint_sans else "")
    wrong_workflow = None if workflow == ci.san else SignatureInvalid(
        "approval.ci_workflow", f"CI certificate was issued to workflow {workflow}, trust.yaml pins {pinned}")
    if checkpoint and wrong_workflow:  # a workflow none of the pins names: say that, not its trigger
        return wrong_workflow
    trigger = _extension(cert, _TRIGGER)
    if trigger not in ci.triggers:
        return SignatureInvalid("approval.ci_trigger",
                                f"CI certificate trigger is {trigger!r}, trust.yaml allows {ci.triggers}")
    return wrong_workflow


def _ci_policy(ci: CiIdentity, checkpoint_san: str | None = None) -> VerificationPolicy:
    """sigstore's own check of every pin; ``checkpoint_san``: that checkpoint workflow, any trigger."""
    from sigstore.verify import policy

    san = checkpoint_san or ci.san
    triggers: list[VerificationPolicy] = [] if checkpoint_san else [
        policy.AnyOf([policy.OIDCBuildTrigger(t) for t in ci.triggers])]
    return policy.AllOf([
        policy.Identity(identity=san, issuer=ci.issuer),
        policy.OIDCIssuerV2(ci.issuer),
        policy.OIDCBuildSignerURI(san),
        policy.OIDCSourceRepositoryIdentifier(ci.repository_id),
        policy.OIDCSourceRepositoryOwnerIdentifier(ci.owner_id),
        policy.OIDCSourceRepositoryRef(ci.ref),
        *triggers,
        policy.OIDCRunnerEnvironment(ci.runner),
    ])


class _RecordingPolicy:
    """Wraps a policy so a refusal is recognised by where it came from, not by its message."""

    def __init__(self, inner: VerificationPolicy) -> None:
        self.inner = inner
        self.refused = False

    def verify(self, cert: Certificate) -> None:
        try:
            self.inner.verify(cert)
        except Exception:
            self.refused = True
            raise


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
        fingerprint = _fingerprint(cert)
        if (revoked := self._revoked.get(fingerprint)) is not None:
            raise SignatureInvalid("approval.revoked_key", f"signing certificate {fingerprint} was revoked "
                                   f"on {revoked.revoked_on}: {revoked.reason}")
        plan = self._identity_plan(cert)
        payload = self._verify_dsse(bundle, plan)
        time, source = _signed_time(raw)
        # Reached only when sigstore's policy and every pin passed: plan.kind is now a verified fact.
        ci = plan.kind is not IdentityKind.PERSON
        return VerifiedSignature(payload=payload, backend="sigstore", identity=plan.identity,
                                 issuer=plan.issuer, time=time, time_source=source,
                                 certificate_sha256=fingerprint, details=_ci_details(cert) if ci else {},
                                 identity_kind=plan.kind)

    def _identity_plan(self, cert: Certificate) -> _IdentityPlan:
        from sigstore.verify import policy

        san, issuer = _san(cert), _cert_issuer(cert)
        if san is None or issuer is None:
            raise SignatureInvalid("approval.identity",
                                   "the signing certificate has no single e-mail/URI SAN or no OIDC issuer")
        kind, identity = san
        if kind == "email":
            person_email(identity, "the Sigstore certificate")
            mismatch = None if issuer in self._person_issuers else SignatureInvalid(
                "approval.identity", f"{identity} signed through OIDC issuer {issuer}, which trust.yaml "
                f"does not accept for people (person_issuers: {self._person_issuers})")
            person = policy.Identity(identity=identity, issuer=issuer)
            return _IdentityPlan(identity, issuer, IdentityKind.PERSON, person, mismatch)
        if self._ci is None:
            raise SignatureInvalid("approval.identity", f"{identity} is a workflow identity, and "
                                   "trust.yaml pins no CI identity (sigstore.ci)")
        if issuer != self._ci.issuer:
            raise SignatureInvalid("approval.identity",
                                   f"CI certificate issuer is {issuer}, trust.yaml pins {self._ci.issuer}")
        signer = _extension(cert, _BUILD_SIGNER_URI)
        if self._checkpoints and signer in self._ci.checkpoint_sans:
            return _IdentityPlan(identity, issuer, IdentityKind.CHECKPOINT_WORKFLOW,
                                 _ci_policy(self._ci, checkpoint_san=signer),
                                 _ci_mismatch(cert, self._ci, checkpoint=True))
        return _IdentityPlan(identity, issuer, IdentityKind.CI_WORKFLOW, _ci_policy(self._ci),
                             _ci_mismatch(cert, self._ci, checkpoint=self._checkpoints))

    def _verify_dsse(self, bundle: Bundle, plan: _IdentityPlan) -> bytes:
        from sigstore.errors import VerificationError

        recording = _RecordingPolicy(plan.policy)
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


def _ci_details(cert: Certificate) -> dict[str, str]:
    wanted = {"run_url": _RUN_URL, "source_commit": _COMMIT, "ref": _REF, "trigger": _TRIGGER,
              "repository": _REPOSITORY_URI, "runner": _RUNNER}
    values = {name: _extension(cert, number) for name, number in wanted.items()}
    return {name: value for name, value in values.items() if value is not None}
