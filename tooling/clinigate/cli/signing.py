"""How a command signs: keyless (Sigstore) or PKI (a key and its certificate), chosen on the command line.

    @click.command()
    @signing_options
    def approve(..., signing: SigningMethod) -> None:
        signer, email = signing.signer(git)

``approve`` and ``audit checkpoint`` take :func:`signing_options` (``--sigstore`` or ``--key``
with ``--cert``); ``github record-reviews`` signs only keylessly and takes
:func:`keyless_options`. One spelling of the options and one check that exactly one method was
chosen: three copies had started to differ in help. approvals/signers.py makes the signer itself.
Nothing heavy is imported here, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ..approvals.backend import Signer
    from ..gitrepo import Git

FC = TypeVar("FC", bound=Callable[..., Any])

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

_KEYLESS = [
    click.option("--trust-config", type=_FILE, default=None,
                 help="ClientTrustConfig JSON of a private Sigstore instance (default: trust.yaml's "
                      "sigstore.signing_config, else public-good)."),
    click.option("--identity-token", envvar="SIGSTORE_ID_TOKEN", show_envvar=True, default=None,
                 help="An OIDC token for keyless signing (default: detected from the environment; in "
                      "GitHub Actions, the workflow's own identity)."),
]
_CHOICE = [
    click.option("--sigstore", "use_sigstore", is_flag=True,
                 help="Sign keylessly with Sigstore (an OIDC identity: ambient in GitHub Actions, "
                      "or --identity-token)."),
    *_KEYLESS,
    click.option("--key", type=_FILE, default=None,
                 help="A PEM private key, ECDSA P-256 or Ed25519 (the types stock Sigstore verifiers "
                      "check), for offline PKI signing."),
    click.option("--cert", type=_FILE, default=None,
                 help="Its PEM certificate, issued by a CA listed in policies/trust/trust.yaml."),
    click.option("--chain", type=_FILE, default=None, hidden=True,
                 help="No longer used: intermediate CAs are listed under pki.intermediates in trust.yaml."),
    click.option("--tsa", "tsa_url", default=None, metavar="URL",
                 help="An RFC 3161 timestamp authority, so the time is trusted, not claimed (approve "
                      "defaults to trust.yaml's pki.tsa_url)."),
    click.option("--key-password-env", default=None, metavar="VAR",
                 help="Environment variable holding the key's password (never a command-line argument)."),
    click.option("--allow-unencrypted-key", "allow_unencrypted_key", is_flag=True,
                 help="Sign with a key that is not encrypted at rest (refused by default: the password "
                      "is the second signing factor, 21 CFR 11.200)."),
]


@dataclass(frozen=True)
class SigningMethod:
    """The signing options as given; exactly one method chosen (checked when the command starts)."""

    use_sigstore: bool
    trust_config: Path | None
    identity_token: str | None
    key: Path | None
    cert: Path | None
    chain: Path | None
    tsa_url: str | None
    key_password_env: str | None
    allow_unencrypted_key: bool

    def signer(self, git: Git, *, default_tsa: str | None = None,
               require_timestamp: bool = True) -> tuple[Signer, str | None]:
        """The signer, and the e-mail its PKI certificate names (None for keyless: the token says).

        ``default_tsa``: the TSA used when --tsa is not given (trust.yaml's pki.tsa_url);
        ``require_timestamp``: trust.yaml's pki.require_timestamp, so a PKI signature the
        registry would refuse is not made at all.
        """
        from ..approvals.signers import keyless_signer, pki_signer

        if self.use_sigstore:
            return keyless_signer(git, self.trust_config, self.identity_token), None
        if not (self.key and self.cert):
            raise click.UsageError("--key and --cert go together")
        if self.chain is not None:
            raise click.UsageError(
                "--chain is no longer used: approval bundles carry the reviewer's certificate alone, "
                "as stock Sigstore verifiers read them; list the intermediate CAs under pki.intermediates "
                "in policies/trust/trust.yaml instead")
        tsa = self.tsa_url or default_tsa
        if tsa is None and require_timestamp:
            raise click.UsageError(
                "trust.yaml requires a trusted signing time for PKI approvals (pki.require_timestamp), "
                "and no timestamp authority is set: give --tsa URL or set pki.tsa_url")
        password = os.environ.get(self.key_password_env, "").encode() if self.key_password_env else None
        cert_pem = self.cert.read_bytes()
        return pki_signer(self.key.read_bytes(), cert_pem, tsa_url=tsa, password=password,
                          allow_unencrypted=self.allow_unencrypted_key)


_FIELDS = [f.name for f in fields(SigningMethod)]


def signing_options(command: FC) -> FC:
    """``--sigstore`` (with ``--trust-config``, ``--identity-token``) or ``--key``/``--cert`` (with
    ``--tsa``, ``--key-password-env``), passed to the command as ``signing``."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        method = SigningMethod(**{name: kwargs.pop(name) for name in _FIELDS})
        if method.use_sigstore == bool(method.key or method.cert):
            raise click.UsageError("choose one signing method: --sigstore, or --key with --cert")
        return command(*args, signing=method, **kwargs)

    for option in reversed(_CHOICE):
        run = option(run)
    return run  # type: ignore[return-value]


def optional_signing_options(command: FC) -> FC:
    """The same options, none required: ``signing`` is None when no method was chosen (``check``
    signs only with ``--record``)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        method = SigningMethod(**{name: kwargs.pop(name) for name in _FIELDS})
        if method.use_sigstore and (method.key or method.cert):
            raise click.UsageError("choose one signing method: --sigstore, or --key with --cert")
        chosen = method.use_sigstore or bool(method.key or method.cert)
        return command(*args, signing=method if chosen else None, **kwargs)

    for option in reversed(_CHOICE):
        run = option(run)
    return run  # type: ignore[return-value]


def keyless_options(command: FC) -> FC:
    """``--trust-config`` and ``--identity-token``, passed as ``trust_config`` and ``identity_token``."""
    for option in reversed(_KEYLESS):
        command = option(command)
    return command
