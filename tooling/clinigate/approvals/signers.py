"""The signer a command signs with: keyless (Sigstore, trust.yaml's instance) or PKI (a key and its
certificate), made from what the command line named.

    signer = keyless_signer(git, trust_config=None, identity_token=None)   # trust.yaml's instance
    signer, email = pki_signer(key_pem, cert_pem, tsa_url="http://tsa.hospital/", password=None)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..gitrepo import Git
    from .backend import Signer


def pki_signer(key_pem: bytes, cert_pem: bytes, *, tsa_url: str | None, password: bytes | None,
               allow_unencrypted: bool = False) -> tuple[Signer, str | None]:
    """A PKI signer, and the e-mail its certificate names (who signs, for roles.yaml).

    The key must be encrypted at rest unless ``allow_unencrypted``: the password is the second
    factor beside the key file (21 CFR 11.200(a)(1): two distinct identification components),
    so a copied key file alone cannot sign.
    """
    from .approve import certificate_email
    from .pki import PkiSigner
    from .pki_sign import SigningKeyInvalid, is_encrypted

    if not allow_unencrypted and not is_encrypted(key_pem):
        raise SigningKeyInvalid(
            "the private key is not encrypted: anyone holding a copy of the file could sign as you",
            hint="encrypt it (openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key.enc.pem) and pass "
                 "--key-password-env VAR; --allow-unencrypted-key signs with it anyway")
    return PkiSigner(key_pem, cert_pem, tsa_url, password), certificate_email(cert_pem)


def keyless_signer(git: Git, trust_config: Path | None, identity_token: str | None) -> Signer:
    """A Sigstore signer; without ``trust_config``, the signing config trust.yaml names (at HEAD)."""
    from .keyless import SigstoreSigner
    from .review import load_trust

    if trust_config is None and load_trust(git, "HEAD").sigstore.signing_config:
        trust_config = signing_config(git)
    return SigstoreSigner(trust_config.read_text(encoding="utf-8") if trust_config else None, identity_token)


def signing_config(git: Git) -> Path:
    """trust.yaml's sigstore.signing_config, or its finding (trust.signing_config) when it is missing."""
    from ..manifest.trust import trust_file
    from .review import TrustInvalid, read_trust

    config = read_trust(git, "HEAD")
    path = trust_file(git.root, str(config.trust.sigstore.signing_config))
    if not path.is_file():
        from .trust_files import directory_reader, read_trust_files

        faults = [f for f in read_trust_files(config.trust, directory_reader(git.root), locate=config.locate,
                                              sigstore=True).findings if f.rule == "trust.signing_config"]
        raise TrustInvalid("trust.yaml names a Sigstore signing config that is not there", findings=faults,
                           hint="add it, or pass --trust-config")
    return path
