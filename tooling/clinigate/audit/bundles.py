"""``audit export --bundle DIR``: every approval in a form stock Sigstore tooling verifies, without
clinigate and without GitHub (Part 11: a record outlives the tool that made it).

    DIR/VERIFY.md                   the recipe: exact commands per approval, and what they leave out
    DIR/index.json                  document → approvals → identity policy, machine-readable
    DIR/approvals/NNN-<act>.sigstore.json    each bundle, byte for byte as on the ledger
    DIR/documents/<sha256>/<path>   the exact bytes each approval covers (and, in the index, a
                                    commit where ``git show <commit>:<path>`` gives them)
    DIR/trusted_root.json           the hospital CA and TSA (PKI approvals; sigstore-js)
    DIR/client_trust_config.json    the Sigstore instance (keyless approvals; sigstore-python)
    DIR/sigstore_js_verify.mjs      a sigstore-js verifier (signature, chain, time, identity)
    DIR/check_subject.py            the subject check stock verifiers skip (standard library only)

The two roots of trust stay apart on purpose (DESIGN §13): were the hospital CA a certificate
authority of the keyless trust config, a certificate it issued with forged Fulcio extensions
would verify as the CI workflow in sigstore-python; and the Sigstore instance's CAs have no place
where a PKI approval is judged. Trust, roles and revocations are those of ``rev``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import layout
from ..approvals.backend import IdentityKind
from ..approvals.listing import ListedAct, list_ledger
from ..approvals.review import read_trust
from ..errors import ClinigateError, UsageError
from ..gitrepo import Git
from ..manifest.trust import Trust

INDEX_VERSION = 1
SIGSTORE_PYTHON = "sigstore==4.5.1"  # the releases VERIFY.md names (the versions tested here)
SIGSTORE_JS = ("@sigstore/verify@3.1.1", "@sigstore/bundle@4.0.0", "@sigstore/protobuf-specs@0.5.2")
_FILES = resources.files("clinigate.audit") / "export_files"


if TYPE_CHECKING:
    from ..approvals.trust_files import TrustFiles


class ExportProblem(ClinigateError):
    """The registry's trust cannot be exported as roots stock verifiers read."""

    exit_code = 1


@dataclass(frozen=True)
class ExportedApproval:
    """One act in the export: where its files are, who signed, and how a stock verifier checks it."""

    number: int
    act_id: str
    document: str  # the registry path the act covers
    document_sha256: str
    bundle_file: str  # relative to the export folder
    document_file: str | None  # None: the bytes are not in rev's history (signed on another branch)
    document_commit: str | None  # a commit on rev whose tree holds exactly these bytes at ``document``
    backend: str | None  # sigstore | pki; None when clinigate could not verify the signature
    identity: str | None  # the certificate's SAN: e-mail, or the CI workflow's URI
    issuer: str | None  # OIDC issuer (keyless) or the root CA's subject (PKI)
    ci_workflow: bool
    clinigate_valid: bool
    clinigate_rule: str | None
    decision: str | None
    role: str | None
    printed_name: str | None
    timestamped: bool  # carries an RFC 3161 token

    @property
    def stock_verifiable(self) -> bool:
        """Whether VERIFY.md has commands for it: its signature verified, the bytes it covers found,
        and for PKI a timestamp (sigstore-js has no other time it trusts)."""
        if self.backend is None or self.document_file is None:
            return False
        return self.backend == "sigstore" or self.timestamped


@dataclass
class BundleExport:
    folder: Path
    rev: str  # as the user named it
    commit: str
    approvals: list[ExportedApproval] = field(default_factory=list)

    @property
    def skipped(self) -> list[ExportedApproval]:
        return [a for a in self.approvals if not a.stock_verifiable]


def export_bundles(git: Git, *, rev: str, commit: str, out: Path, model: str | None = None,
                   version: str | None = None) -> BundleExport:
    """Write the export of every act on the ledger (``model``/``version`` narrow it), judged at
    ``commit`` (``rev`` names it), into ``out``, which must not exist or be empty."""
    _require_empty(out)
    listing = list_ledger(git, rev=commit, model=model)
    acts = [a for a in listing.acts if version is None or a.entry.key == version]
    trust_at = read_trust(git, commit, check_files=True)
    # The roots of trust first: a registry whose trust cannot form them gets an error, not a folder.
    material = _trust_material(git, commit, trust_at.trust, trust_at.files, [a.entry.text for a in acts])
    export = BundleExport(out, rev, commit)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in material.items():
        _write(out / name, data)
    found: dict[tuple[str, str], tuple[str, bytes] | None] = {}
    for number, act in enumerate(acts, start=1):
        key = (act.entry.document_path, act.entry.document_sha256)
        if key not in found:
            found[key] = signed_bytes(git, commit, *key)
        export.approvals.append(_write_act(out, number, act, found[key]))
    _write_index(export, trust_at.trust)
    _copy_tools(out)
    from .verify_recipe import render_recipe

    (out / "VERIFY.md").write_text(render_recipe(export), encoding="utf-8")
    return export


def _require_empty(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder; an export never overwrites",
                         hint="name a new folder")


def signed_bytes(git: Git, rev: str, path: str, sha256: str) -> tuple[str, bytes] | None:
    """A commit on ``rev``'s history whose ``path`` holds bytes with this digest (``rev`` itself when
    it does, else the newest that did), and the bytes; None when no commit on it ever held them."""
    at_rev = git.read_blobs(rev, [path]).get(path)
    if at_rev is not None and hashlib.sha256(at_rev).hexdigest() == sha256:
        return git.resolve(rev), at_rev
    for commit in git.run(["log", "--format=%H", rev, "--", path]).split():
        data = git.read_blobs(commit, [path]).get(path)
        if data is not None and hashlib.sha256(data).hexdigest() == sha256:
            return commit, data
    return None


def _write_act(out: Path, number: int, act: ListedAct, signed: tuple[str, bytes] | None) -> ExportedApproval:
    entry, verdict = act.entry, act.verdict
    bundle_file = f"approvals/{number:03d}-{entry.act_id[:12]}.sigstore.json"
    _write(out / bundle_file, entry.text.encode())
    document_file = commit = None
    if signed is not None:
        commit, data = signed
        document_file = f"documents/{entry.document_sha256[:16]}/{entry.document_path}"
        target = (out / document_file).resolve()
        if out.resolve() not in target.parents:  # a ledger path is read, so never trusted
            raise ValueError(f"{entry.document_path!r} leaves the export folder")
        _write(target, data)
    signature = verdict.signature if verdict is not None else None
    statement = verdict.statement if verdict is not None else None
    return ExportedApproval(
        number=number, act_id=entry.act_id, document=entry.document_path,
        document_sha256=entry.document_sha256, bundle_file=bundle_file, document_file=document_file,
        document_commit=commit, backend=signature.backend if signature else None,
        identity=signature.identity if signature else None, issuer=signature.issuer if signature else None,
        ci_workflow=bool(signature and signature.identity_kind is IdentityKind.CI_WORKFLOW),
        clinigate_valid=bool(verdict and verdict.valid), clinigate_rule=verdict.rule if verdict else act.note,
        decision=statement.predicate.decision.value if statement else None,
        role=statement.predicate.role.value if statement else None,
        printed_name=statement.predicate.signer.name if statement else None,
        timestamped=bool(_timestamps(entry.text)))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _trust_material(git: Git, commit: str, trust: Trust, files: TrustFiles | None,
                    bundles: Sequence[str]) -> dict[str, bytes]:
    """trusted_root.json (the hospital CA and TSA) and client_trust_config.json (the Sigstore instance)."""
    from ..approvals.trust_files import TrustFiles, git_reader
    from ..approvals.trusted_root import TrustedRootError, chains_to, client_trust_config, pki_trusted_root

    files = files or TrustFiles((), (), (), ())
    # Only TSAs the registry trusts, and each by the signing certificate its tokens carry (the
    # trusted root names a TSA by it); a token from any other TSA then fails, as it should.
    stamps = [c for c in _tsa_certificates(bundles) if chains_to(c, files.intermediates, files.tsa_roots)]
    roots = [r for r in files.tsa_roots if any(chains_to(c, files.intermediates, [r]) for c in stamps)]
    read = git_reader(git, commit, trust)
    try:
        pki = pki_trusted_root(roots=files.roots, intermediates=files.intermediates, tsa_roots=roots,
                               tsa_certificates=stamps)
        signing = read(trust.sigstore.signing_config) if trust.sigstore.signing_config else None
        signing_config = json.loads(signing).get("signingConfig") if signing else None
        config = client_trust_config(_sigstore_root(trust, read), signing_config)
    except (TrustedRootError, ValueError, AttributeError) as exc:
        raise ExportProblem(f"the roots of trust in {layout.TRUST_PATH} at {commit[:12]} cannot be "
                            f"exported: {exc}", hint="`clinigate verify` names what is wrong with them"
                            ) from None
    return {"trusted_root.json": json.dumps(pki, indent=2).encode(),
            "client_trust_config.json": json.dumps(config, indent=2).encode()}


def _sigstore_root(trust: Trust, read: Any) -> dict[str, Any]:
    if trust.sigstore.trusted_root == "public-good":
        shipped = (resources.files("sigstore") / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
                   / "trusted_root.json")
        return dict(json.loads(shipped.read_text(encoding="utf-8")))
    raw = read(trust.sigstore.trusted_root)
    if raw is None:
        raise ValueError(f"the Sigstore trusted root {trust.sigstore.trusted_root} is not in policies/trust/")
    return dict(json.loads(raw))


def _tsa_certificates(bundles: Sequence[str]) -> list[Any]:
    """The TSA signing certificates the bundles' RFC 3161 tokens carry (stock verifiers want them
    in the trusted root, beside the TSA's root)."""
    from cryptography import x509
    from rfc3161_client import decode_timestamp_response

    seen: dict[bytes, Any] = {}
    for text in bundles:
        for stamp in _timestamps(text):
            try:
                response = decode_timestamp_response(base64.b64decode(stamp["signedTimestamp"]))
                for der in response.signed_data.certificates:
                    seen.setdefault(der, x509.load_der_x509_certificate(der))
            except (KeyError, TypeError, ValueError):
                continue
    return list(seen.values())


def _timestamps(bundle_text: str) -> list[Any]:
    try:
        stamps = json.loads(bundle_text)["verificationMaterial"]["timestampVerificationData"]
        found = stamps["rfc3161Timestamps"]
    except (KeyError, TypeError, ValueError):
        return []
    return found if isinstance(found, list) else []


def _write_index(export: BundleExport, trust: Trust) -> None:
    revoked = sorted(trust.revoked())
    index = {
        "clinigate_export": INDEX_VERSION, "rev": export.rev, "commit": export.commit,
        "trusted_root": "trusted_root.json", "client_trust_config": "client_trust_config.json",
        "revoked_certificate_sha256": revoked,
        "documents": _by_document(export.approvals),
    }
    _write(export.folder / "index.json", (json.dumps(index, indent=2) + "\n").encode())


def _by_document(approvals: Sequence[ExportedApproval]) -> dict[str, Any]:
    documents: dict[str, Any] = {}
    for a in approvals:
        doc = documents.setdefault(a.document, {"versions": {}})
        version = doc["versions"].setdefault(
            a.document_sha256, {"file": a.document_file, "commit": a.document_commit, "approvals": []})
        version["approvals"].append({
            "bundle": a.bundle_file, "act_id": a.act_id, "backend": a.backend, "decision": a.decision,
            "role": a.role, "printed_name": a.printed_name,
            "identity": {"san": a.identity, "issuer": a.issuer if a.backend == "sigstore" else None,
                         "ca": a.issuer if a.backend == "pki" else None, "ci_workflow": a.ci_workflow},
            "clinigate": {"valid": a.clinigate_valid, "rule": a.clinigate_rule},
        })
    return documents


def _copy_tools(out: Path) -> None:
    for name in ("sigstore_js_verify.mjs", "check_subject.py"):
        with resources.as_file(_FILES / name) as source:
            shutil.copyfile(source, out / name)
