"""Sigstore keyless signing: a short-lived Fulcio certificate for an OIDC identity, logged in Rekor.

    signer = SigstoreSigner(trust_config_json=None, identity_token=None)  # GitHub ambient OIDC
    bundle_json = signer.sign(build_statement(predicate, document_sha256=digest))

sigstore is imported inside methods: it costs ~0.5 s and the CLI only needs it when a bundle is
signed. Verification is :class:`~.keyless.SigstoreVerifier`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import EnvironmentProblem
from .backend import Backend

if TYPE_CHECKING:
    from sigstore.models import ClientTrustConfig


class KeylessSigningFailed(EnvironmentProblem):
    """No identity token, or Fulcio/Rekor refused or could not be reached."""


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
