"""The files trust.yaml names, read and judged: every fault is a finding, never a crash.

    >>> files = read_trust_files(trust, git_reader(git, rev, trust), locate=loaded.locate)  # doctest: +SKIP
    >>> files.roots, files.findings                                                      # doctest: +SKIP

``validate`` reads them from the work tree; ``verify``, ``check`` and ``sync`` from the Git
objects of the revision whose trust decides (DESIGN §13). Both get the same findings: each
names ``policies/trust/trust.yaml``, the line of the entry and the fix. A file that does not
load trusts nothing; an expired root is kept, so that signatures timestamped while it was
valid still verify, but it is reported.

A registry without trust.yaml trusts nothing: no root, no Sigstore identity, and
``require_signed_approvals`` stays true, so the gate stays pending and sync deploys nothing
that needs a signature. That is not an error while the ledger is empty; an approval on the
ledger with nothing to verify it is the finding ``trust.missing``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..findings import Finding
from ..layout import TRUST_DIR, TRUST_PATH
from ..manifest.crossref import Locate
from ..manifest.messages import field_path
from ..manifest.trust import Trust, trust_file
from .backend import SignatureInvalid

if TYPE_CHECKING:
    from cryptography import x509

    from ..gitrepo import Git

Reader = Callable[[str], bytes | None]  # a path relative to policies/trust/ -> its bytes (None: no such file)

ROOT_MISSING = "trust.root_missing"
ROOT_NOT_PEM = "trust.root_not_pem"
ROOT_EXPIRED = "trust.root_expired"
ROOT_NOT_CA = "trust.root_not_ca"
NO_PKI_ROOT = "trust.no_pki_root"
SIGSTORE_ROOT = "trust.sigstore_root"
SIGNING_CONFIG = "trust.signing_config"
MISSING = "trust.missing"

# What each certificate list is for, to say what a fault there breaks.
_LISTS = {"roots": "the CA that issues reviewers' signing certificates",
          "intermediates": "an intermediate CA between those roots and reviewers' certificates",
          "tsa_roots": "the root of a trusted RFC 3161 timestamp authority"}


@dataclass(frozen=True)
class TrustFiles:
    """The certificates that loaded, and one finding per fault of the rest."""

    roots: tuple[x509.Certificate, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()
    tsa_roots: tuple[x509.Certificate, ...] = ()
    findings: tuple[Finding, ...] = ()


def read_trust_files(trust: Trust, read: Reader, *, locate: Locate | None = None, now: datetime | None = None,
                     sigstore: bool = True, deep: bool = True) -> TrustFiles:
    """Load every file ``trust`` names through ``read``; ``sigstore=False`` skips the Sigstore files.

    ``deep=False`` only parses a private Sigstore root (the gate, on every run) instead of building
    sigstore's verifier from it (``validate``): that costs ~0.5 s, and a root that parses but
    fails deeper is still refused, as ``trust.sigstore_root``, on each keyless approval.
    """
    findings = _Findings(locate)
    moment = now or datetime.now(UTC)
    loaded = {name: tuple(_certificates(name, getattr(trust.pki, name), read, findings, moment))
              for name in _LISTS}
    if sigstore:
        _check_sigstore(trust, read, findings, deep)
    return TrustFiles(loaded["roots"], loaded["intermediates"], loaded["tsa_roots"], tuple(findings.items))


def unverifiable_findings(trust: Trust, *, present: bool, rev: str, pki_approvals: int, approvals: int,
                          locate: Locate | None = None) -> list[Finding]:
    """Faults that exist only because the ledger holds approvals this trust cannot verify."""
    findings = _Findings(locate)
    if not present and approvals:
        held = f"{approvals} approvals" if approvals != 1 else "1 approval"
        them = "them" if approvals != 1 else "it"
        findings.add(MISSING, (), f"there is no {TRUST_PATH} at {rev[:12]}, but the ledger holds {held}: "
                     f"nothing is trusted to verify {them}; fix: add "
                     f"{TRUST_PATH} naming the PKI root (pki.roots) or the Sigstore root and identities "
                     "that signed them")
    elif present and pki_approvals and not trust.pki.roots:
        are = "approvals are" if pki_approvals != 1 else "approval is"
        findings.add(NO_PKI_ROOT, ("pki", "roots"), f"{pki_approvals} {are} signed with certificates, "
                     "but no PKI root is configured (pki.roots is empty); fix: "
                     f"put the issuing CA's PEM certificate under {TRUST_DIR}/ and list it in pki.roots")
    return findings.items


def git_reader(git: Git, rev: str, trust: Trust) -> Reader:
    """The files ``trust`` names as committed at ``rev``, read in one batch."""
    names = [*trust.pki.roots, *trust.pki.intermediates, *trust.pki.tsa_roots]
    for name in (trust.sigstore.signing_config, trust.sigstore.trusted_root):
        if name is not None:
            names.append(name)
    blobs = git.read_blobs(rev, [f"{TRUST_DIR}/{n}" for n in names]) if names else {}
    return lambda name: blobs.get(f"{TRUST_DIR}/{name}")


def worktree_findings(repo_root: Path, trust: Trust, locate: Locate | None) -> list[Finding]:
    """What ``validate`` says of the files ``trust`` names in a work tree, as the gate will load them."""
    return list(read_trust_files(trust, directory_reader(repo_root), locate=locate).findings)


def directory_reader(repo_root: Path) -> Reader:
    """The files under ``repo_root/policies/trust/``; one reached through a link out of it is absent."""
    def read(name: str) -> bytes | None:
        try:
            path = trust_file(repo_root, name)
        except ValueError:
            return None
        return path.read_bytes() if path.is_file() else None
    return read


class _Findings:
    def __init__(self, locate: Locate | None) -> None:
        self.locate = locate
        self.items: list[Finding] = []

    def add(self, rule: str, loc: tuple[str | int, ...], message: str) -> None:
        line, column = self.locate(loc) if self.locate and loc else (None, None)
        self.items.append(Finding(TRUST_PATH, line, column, rule, message, field_path(loc) or None))


def _certificates(name: str, paths: Sequence[str], read: Reader, findings: _Findings,
                  now: datetime) -> list[x509.Certificate]:
    from cryptography import x509  # only when trust.yaml names certificates

    kept: list[x509.Certificate] = []
    for index, path in enumerate(paths):
        loc = ("pki", name, index)
        raw = read(path)
        if raw is None:
            findings.add(ROOT_MISSING, loc, f"{path} is not a file in {TRUST_DIR}/; fix: add the PEM "
                         f"certificate of {_LISTS[name]} there, or remove the entry")
            continue
        try:
            certificates = x509.load_pem_x509_certificates(raw)
        except ValueError:
            findings.add(ROOT_NOT_PEM, loc, f"{TRUST_DIR}/{path} is not a PEM X.509 certificate; fix: "
                         f"replace it with the certificate of {_LISTS[name]} in PEM form "
                         "(-----BEGIN CERTIFICATE-----)")
            continue
        kept.extend(c for c in certificates if _usable(c, f"{TRUST_DIR}/{path}", loc, findings, now))
    return kept


def _usable(cert: x509.Certificate, where: str, loc: tuple[str | int, ...], findings: _Findings,
            now: datetime) -> bool:
    from cryptography import x509

    subject = cert.subject.rfc4514_string() or "(no subject)"
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        # A reviewer's own certificate pinned as a root would let its key vouch for anyone it signs.
        findings.add(ROOT_NOT_CA, loc, f"{where} ({subject}) is not a CA certificate (basicConstraints "
                     "CA:TRUE is missing); fix: list the certificate of the issuing CA, not an "
                     "end-entity one")
        return False
    if cert.not_valid_after_utc < now:
        findings.add(ROOT_EXPIRED, loc, f"{where} ({subject}) expired on "
                     f"{cert.not_valid_after_utc:%Y-%m-%d}; new signatures cannot chain to it (those "
                     "timestamped while it was valid still verify); fix: add the CA's renewed certificate")
    return True


def _check_sigstore(trust: Trust, read: Reader, findings: _Findings, deep: bool) -> None:
    config = trust.sigstore
    if config.trusted_root != "public-good":
        loc = ("sigstore", "trusted_root")
        raw = read(config.trusted_root)
        if raw is None:
            findings.add(SIGSTORE_ROOT, loc, f"{config.trusted_root} is not a file in {TRUST_DIR}/; fix: add "
                         "the trusted_root.json of your Sigstore instance there, or use public-good")
        else:
            from .keyless import parse_trusted_root, private_verifier

            try:
                private_verifier(raw) if deep else parse_trusted_root(raw)
            except SignatureInvalid as exc:
                findings.add(SIGSTORE_ROOT, loc, f"{TRUST_DIR}/{config.trusted_root}: {exc.message}; fix: "
                             "replace it with the trusted_root.json your Sigstore instance publishes")
    if config.signing_config is not None and read(config.signing_config) is None:
        findings.add(SIGNING_CONFIG, ("sigstore", "signing_config"), f"{config.signing_config} is not a "
                     f"file in {TRUST_DIR}/; fix: add the ClientTrustConfig JSON `clinigate approve "
                     "--sigstore` signs with, or remove the entry")
