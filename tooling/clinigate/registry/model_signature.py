"""OpenSSF model signatures (PyPI ``model-signing``) on MLflow artifacts, checked before production moves.

    >>> from clinigate.registry.model_signature import find_signature, trusted_keys, verify_signature
    >>> keys = trusted_keys(git, "main")                                     # doctest: +SKIP
    >>> sig = find_signature(artifact_folder)                                # doctest: +SKIP
    >>> verify_signature(artifact_folder, sig, keys).problem                 # doctest: +SKIP

What counts as signed: a file named ``model.sig`` at the top of the version's artifact folder
(``model_signing sign key <dir> --signature <dir>/model.sig``; ``model.sig`` is also the CLI's
default name). Nothing else is guessed: a signature elsewhere is not looked for, and an artifact
without ``model.sig`` gets only the clinigate digest check.

Trust (the simplest configuration that is honest about what it proves): elliptic-curve public
keys in PEM, one per file, at ``policies/trust/model-keys/*.pub`` in the Git registry, read at
the same revision as the desired state, so adding a signing key goes through the same review as
the trust policy beside it. A signature verifies when one of those keys verifies it. Certificate
chains and Sigstore identities are not configured: ``model_signing``'s certificate verifier
checks no identity and its Sigstore verifier goes online by default (shared/notes/signing.md §3).
The signature proves the model directory is what a key holder signed; who may approve a
release stays the job of the signed approvals.

The two digests: the clinigate ``artifact.sha256`` (:mod:`clinigate.registry.digest`) covers
every file MLflow stores, ``model.sig`` included, because it is computed from MLflow's copy
after signing (by ``clinigate propose``) and the signature is part of the released package. The
signed content cannot include its own signature, so ``model.sig`` is moved out of the downloaded
folder before ``model_signing`` hashes it.

``model_signing`` is imported only when a signature is found.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import layout

if TYPE_CHECKING:
    from ..gitrepo import Git

SIGNATURE_NAME = "model.sig"
KEYS_FOLDER = layout.MODEL_KEYS_DIR


@dataclass(frozen=True)
class TrustedKey:
    path: str  # where it lives in the registry, for messages
    pem: bytes


@dataclass(frozen=True)
class SignatureVerdict:
    signature: str  # the signature's path relative to the artifact folder
    key: str | None = None  # the trusted key that verified it
    problem: str | None = None  # why it does not verify; None: verified

    @property
    def verified(self) -> bool:
        return self.problem is None


def trusted_keys(git: Git, rev: str) -> tuple[TrustedKey, ...]:
    """The ``*.pub`` files under ``policies/trust/model-keys/`` at ``rev``, in path order."""
    paths = sorted(p for p in git.list_files(rev, KEYS_FOLDER) if p.endswith(".pub"))
    blobs = git.read_blobs(rev, paths)
    return tuple(TrustedKey(p, blob) for p, blob in blobs.items() if blob)


def find_signature(folder: Path) -> Path | None:
    candidate = folder / SIGNATURE_NAME
    return candidate if candidate.is_file() else None


def verify_signature(folder: Path, signature: Path, keys: tuple[TrustedKey, ...]) -> SignatureVerdict:
    """Verify ``folder`` against ``signature`` with each trusted key until one verifies it.

    ``signature`` is moved out of ``folder`` first (the signed content never includes it): call
    this on a scratch copy, as sync does on its download.
    """
    name = signature.relative_to(folder).as_posix()
    if not keys:
        return SignatureVerdict(name, problem=(
            f"it carries an OpenSSF model signature ({name}) but no model-signing key is trusted: "
            f"add the signer's EC public key (PEM) as {KEYS_FOLDER}/<signer>.pub in the registry"))
    with tempfile.TemporaryDirectory(prefix="clinigate-model-sig-") as tmp:
        moved = Path(tmp) / SIGNATURE_NAME
        signature.replace(moved)
        failures = []
        for key in keys:
            problem = _verify_with(folder, moved, key, Path(tmp))
            if problem is None:
                return SignatureVerdict(name, key=key.path)
            failures.append(f"{key.path}: {problem}")
    return SignatureVerdict(name, problem=(
        f"its OpenSSF model signature ({name}) does not verify with any trusted key: "
        + "; ".join(failures)))


def _verify_with(folder: Path, signature: Path, key: TrustedKey, scratch: Path) -> str | None:
    from .._internal.extras import require

    require("model_signing", "verifying OpenSSF model signatures")
    import model_signing  # lazily: it pulls in sigstore and (undeclared) pyopenssl

    key_file = scratch / "key.pub"
    key_file.write_bytes(key.pem)
    try:
        # model_signing prints format warnings to stdout, which would corrupt `--format json`.
        with contextlib.redirect_stdout(io.StringIO()):
            config: Any = model_signing.verifying.Config  # untyped constructor
            verifier = config().use_elliptic_key_verifier(public_key=key_file)
            verifier.verify(folder, signature)
    except Exception as exc:  # a bad key file, a wrong key, a forged bundle, changed files: all refuse
        text = str(exc).strip() or type(exc).__name__
        return text if len(text) <= 600 else text[:600] + " ..."
    return None
