"""Who a Sigstore certificate says signed, and the policy that must hold before that is believed.

    plan = identity_plan(cert, person_issuers, ci, checkpoints=False)
    # plan.policy: what sigstore checks during verification; plan.mismatch: the specific refusal

Two identities may sign: a person (certificate SAN is an e-mail, issuer listed in
``person_issuers``) or the one pinned CI workflow (issuer, repository and owner ids, workflow,
ref, trigger and runner are all pinned through Fulcio's GitHub extensions,
shared/notes/signing.md §5). ``checkpoints=True`` (audit checkpoints only) also plans for the
workflows listed in ``sigstore.ci.checkpoint_workflows``, with the same pins except the trigger.
The certificate is read here (SAN, Fulcio extensions, fingerprint); nothing here verifies a
signature: :class:`~.keyless.SigstoreVerifier` runs the plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..manifest.trust import CiIdentity
from .backend import IdentityKind, SignatureInvalid, person_email

if TYPE_CHECKING:
    from cryptography.x509 import Certificate
    from sigstore.verify.policy import VerificationPolicy

_FULCIO = "1.3.6.1.4.1.57264.1."
# Fulcio extension numbers (after 1.3.6.1.4.1.57264.1.) that clinigate pins or records.
_ISSUER_RAW, _ISSUER, _BUILD_SIGNER_URI, _RUNNER, _REPOSITORY_URI, _COMMIT = 1, 8, 9, 11, 12, 13
_REF, _REPOSITORY_ID, _OWNER_ID, _TRIGGER, _RUN_URL = 14, 15, 17, 20, 21


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


def certificate_sha256(cert: Certificate) -> str:
    """The certificate's SHA-256 (over its DER), as trust.yaml lists revoked certificates."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def ci_details(cert: Certificate) -> dict[str, str]:
    """What a CI certificate records of its run (run URL, commit, ref, trigger, repository, runner)."""
    wanted = {"run_url": _RUN_URL, "source_commit": _COMMIT, "ref": _REF, "trigger": _TRIGGER,
              "repository": _REPOSITORY_URI, "runner": _RUNNER}
    values = {name: _extension(cert, number) for name, number in wanted.items()}
    return {name: value for name, value in values.items() if value is not None}


# --- identity policy --------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityPlan:
    """The sigstore policy to run and, if the pins already disagree, the specific refusal to report."""

    identity: str
    issuer: str
    kind: IdentityKind
    policy: VerificationPolicy
    mismatch: SignatureInvalid | None


def identity_plan(cert: Certificate, person_issuers: Sequence[str], ci: CiIdentity | None, *,
                  checkpoints: bool) -> IdentityPlan:
    """The plan for ``cert``'s identity, or the refusal when it can be neither a person nor the CI."""
    from sigstore.verify import policy

    san, issuer = _san(cert), _cert_issuer(cert)
    if san is None or issuer is None:
        raise SignatureInvalid("approval.identity",
                               "the signing certificate has no single e-mail/URI SAN or no OIDC issuer")
    kind, identity = san
    if kind == "email":
        person_email(identity, "the Sigstore certificate")
        mismatch = None if issuer in person_issuers else SignatureInvalid(
            "approval.identity", f"{identity} signed through OIDC issuer {issuer}, which trust.yaml "
            f"does not accept for people (person_issuers: {person_issuers})")
        person = policy.Identity(identity=identity, issuer=issuer)
        return IdentityPlan(identity, issuer, IdentityKind.PERSON, person, mismatch)
    if ci is None:
        raise SignatureInvalid("approval.identity", f"{identity} is a workflow identity, and "
                               "trust.yaml pins no CI identity (sigstore.ci)")
    if issuer != ci.issuer:
        raise SignatureInvalid("approval.identity",
                               f"CI certificate issuer is {issuer}, trust.yaml pins {ci.issuer}")
    signer = _extension(cert, _BUILD_SIGNER_URI)
    if checkpoints and signer in ci.checkpoint_sans:
        return IdentityPlan(identity, issuer, IdentityKind.CHECKPOINT_WORKFLOW,
                            _ci_policy(ci, checkpoint_san=signer),
                            _ci_mismatch(cert, ci, checkpoint=True))
    return IdentityPlan(identity, issuer, IdentityKind.CI_WORKFLOW, _ci_policy(ci),
                        _ci_mismatch(cert, ci, checkpoint=checkpoints))


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


class RecordingPolicy:
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
