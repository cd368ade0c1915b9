"""An approval act is its signed content: its id is the sha256 of the DSSE payload it signs.

    act = ActBundle.from_bytes(raw)   # one validated reading of the Sigstore bundle
    act.act_id                        # names its ledger file; a revocation's ``supersedes``

The payload is the in-toto statement the signer vouched for. Two bundles that carry the same
payload are the same act, however their JSON is spelled (whitespace, key order, base64
padding) and whatever signature they carry, so a revocation cancels every copy (DESIGN §13).
The id must not cover the signature: ECDSA signatures are malleable (``(r, s)`` and
``(r, n - s)`` both verify) and a signer can simply sign the same statement again, so a
signature-inclusive id would let a re-signed copy of a revoked act escape its revocation
under a fresh id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pydantic import ValidationError

from .._internal.validation import first_problem
from ..errors import ClinigateError

# A PKI bundle with a chain and a timestamp is ~10 KiB, a keyless one ~15 KiB. Anything far
# larger is not an approval, and is refused before it is read into memory (see Ledger.read).
MAX_BUNDLE_BYTES = 1024 * 1024


class BundleUnreadable(ClinigateError):
    """Bytes that are not one act's Sigstore bundle. ``rule`` says how (``ledger.entry_*``)."""

    exit_code = 1

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message, hint="an approval is the Sigstore bundle `clinigate approve` writes")
        self.rule = rule


def act_id(payload: bytes) -> str:
    """The id of the act whose DSSE payload is ``payload``."""
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class ActBundle:
    """A Sigstore bundle holding a DSSE envelope: the one reading every caller shares."""

    text: str
    payload: bytes  # the DSSE payload, base64-decoded: exactly the statement bytes signed
    payload_type: str

    @property
    def act_id(self) -> str:
        return act_id(self.payload)

    @classmethod
    def from_bytes(cls, raw: bytes) -> ActBundle:
        if len(raw) > MAX_BUNDLE_BYTES:
            raise BundleUnreadable("ledger.entry_size", f"{len(raw)} bytes, more than an approval bundle "
                                   f"may hold ({MAX_BUNDLE_BYTES} bytes)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleUnreadable("ledger.entry_json", f"not UTF-8 text ({exc.reason} at byte "
                                   f"{exc.start}), so not a Sigstore bundle") from None
        return cls.from_json(text)

    @classmethod
    def from_json(cls, text: str) -> ActBundle:
        # sigstore-models is the typed layer both backends read bundles with (pki.py directly,
        # sigstore.models.Bundle around it), so the ledger names the payload they verify.
        # Imported here: it costs ~0.2 s, and `clinigate --help` must stay fast.
        from sigstore_models.bundle.v1 import Bundle

        try:
            bundle = Bundle.from_json(text)
        except ValidationError as exc:
            problem = first_problem(exc)
            if problem.not_json:
                raise BundleUnreadable("ledger.entry_json", f"not JSON ({problem.message})") from None
            raise BundleUnreadable("ledger.entry_bundle",
                                   f"not a Sigstore bundle: {problem.where}: {problem.message}") from None
        envelope = bundle.dsse_envelope
        if envelope is None:
            raise BundleUnreadable("ledger.entry_bundle", "a Sigstore bundle without a DSSE envelope: "
                                   "it signs no approval statement")
        return cls(text, envelope.payload, envelope.payload_type)
