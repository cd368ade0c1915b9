"""Sign one approval act over a committed document and append it to the ledger.

    >>> act = sign_act(Git(root), ActRequest("models/sepsis-ews/versions/1.3.0.yaml",
    ...                role="clinical_reviewer", decision="approved", reason="…"), signer)  # doctest: +SKIP

The act binds the document's *committed* bytes at HEAD: a reviewer approves what is in Git,
never an unsaved edit. Before signing, the rules a verifier would apply later are checked
here too (known signer, role held, not the submitter), so nobody signs something void.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from .. import layout
from .._internal.validation import first_problem
from ..errors import UsageError
from ..gitrepo import Git
from ..manifest.documents import expected_kind
from ..manifest.loader import load_bytes
from ..manifest.revision import Snapshot
from ..manifest.roles import Person, Roles
from ..manifest.values import Role
from ..manifest.version import ModelVersion
from ..manifest.waiver import Waiver
from .attestation import (
    APPROVABLE_KINDS,
    ApprovalPredicate,
    Decision,
    GitHubReview,
    Meaning,
    SignerName,
    build_statement,
    now_utc,
    sha256_hex,
)
from .backend import Signer

DEFAULT_MEANING = {Decision.APPROVED: Meaning.APPROVAL, Decision.REJECTED: Meaning.REVIEW,
                   Decision.REVOKED: Meaning.RESPONSIBILITY}


@dataclass(frozen=True)
class ActRequest:
    document: str  # repository-relative path
    role: str
    decision: str
    reason: str
    meaning: str | None = None
    signer_id: str | None = None  # default: the person whose e-mail the signing identity carries
    signer_email: str | None = None
    pull_request: int | None = None
    revokes: str | None = None  # act id (sha256 of its DSSE payload), for decision=revoked
    change_class: str | None = None
    review: GitHubReview | None = None  # the GitHub review a CI-recorded act comes from


class ArgumentInvalid(UsageError):
    """A value given to ``approve`` that the approval predicate would refuse (exit 2)."""

    def __init__(self, option: str, rule: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{option}: {message} (rule {rule})", hint=hint)
        self.option, self.rule = option, rule


# Predicate field -> the `clinigate approve` option that gives it, and the rule a refusal names.
_OPTIONS = {"reason": ("--reason", "approve.reason"), "pull_request": ("--pr", "approve.pr"),
            "supersedes": ("--revokes", "approve.revokes"),
            "change_class": ("--change-class", "approve.change_class"), "role": ("--role", "approve.role"),
            "decision": ("--decision", "approve.decision"), "meaning": ("--meaning", "approve.meaning"),
            "document": ("PATH", "approve.path"), "model": ("PATH", "approve.path")}
_HINTS = {"supersedes": "give the act id (64 hex characters) that `clinigate verify --format json` or "
                        "`clinigate ledger list` shows for the act",
          "pull_request": "give the pull request's number (1 or more), or leave --pr out",
          "document": "approve a document under models/<model>/ whose path uses only lower-case letters, "
                      "digits and -._/",
          "model": "approve a document under models/<model>/ whose path uses only lower-case letters, "
                   "digits and -._/"}


@cache
def _field(name: str) -> TypeAdapter[Any]:
    # The predicate's own field type and constraints: the one place the limits are written down.
    info = ApprovalPredicate.model_fields[name]
    form: Any = Annotated[info.annotation, info]  # built at run time, so a type checker cannot follow it
    return TypeAdapter(form)


def _shown(name: str, value: object) -> str:
    if name == "reason":  # free text, maybe long: its length is what matters, not the words
        return f"a reason of {len(str(value)):,} characters"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def check_request(request: ActRequest) -> None:
    """Refuse what the approval predicate would refuse, naming the option, before anything is signed."""
    if not request.reason.strip():
        raise ArgumentInvalid("--reason", "approve.reason", "must say why (it is empty or only whitespace)",
                              hint="the reason is shown with your printed name wherever the act is verified")
    values = {"reason": request.reason, "pull_request": request.pull_request, "supersedes": request.revokes,
              "change_class": request.change_class, "role": request.role, "decision": request.decision,
              "meaning": request.meaning, "document": request.document,
              # A governance file has no model (DESIGN §13); a registry document's folder must be one.
              "model": PurePosixPath(request.document).parts[1] if layout.is_under_models(request.document)
              and request.document.count("/") >= 2 else None}
    for name, value in values.items():
        if value is None:
            continue
        try:
            _field(name).validate_python(value)
        except ValidationError as exc:
            option, rule = _OPTIONS[name]
            problem = first_problem(exc).message
            raise ArgumentInvalid(option, rule, f"{_shown(name, value)} is refused: {problem}",
                                  hint=_HINTS.get(name)) from None


@dataclass(frozen=True)
class SignedAct:
    document: str
    document_sha256: str
    bundle: str
    bundle_sha256: str  # of the bundle's bytes; the act is named by act_id, not by this
    act_id: str  # sha256 of the signed statement: the ledger file's name, what --revokes takes
    commit: str | None  # the ledger commit that recorded it (None: already there)
    predicate: ApprovalPredicate


def normalise_document(root: Path, path: str) -> str:
    """A repository-relative POSIX path to an approvable document, or a usage error."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else (Path.cwd() / candidate)
    try:
        relative = absolute.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(path)
    rel = PurePosixPath(relative.as_posix())
    if rel.is_absolute() or ".." in rel.parts:
        raise UsageError(f"{path}: not inside the registry {root}")
    if expected_kind(rel) in APPROVABLE_KINDS or is_governance_file(Git(root), str(rel)):
        return str(rel)
    raise UsageError(f"{rel}: only version manifests, model.yaml, pccp.yaml, deployment.yaml, "
                     f"risk.yaml, waivers/<id>.yaml (models/<model>/...) and governance files "
                     f"({layout.CHANGE_CONTROL_PATH}) are approved")


def is_governance_file(git: Git, path: str) -> bool:
    """Whether the change-control table committed at HEAD makes ``path`` a governance file."""
    from ..policy.bundle import bundle_at
    from ..policy.engine import PolicyBundleError
    from ..policy.governance import DEFAULT_GOVERNANCE, ChangeControl
    from .ledger import is_repository_file

    if not is_repository_file(path):
        return False
    try:
        table = ChangeControl.from_policy_data(bundle_at(git, git.resolve("HEAD")).data.get("clinigate", {}))
    except PolicyBundleError:
        table = DEFAULT_GOVERNANCE  # the gate falls back to it too when the policies do not load
    return table.rule_for(path) is not None


def certificate_email(certificate_pem: bytes) -> str | None:
    """The e-mail in a signing certificate's SAN: who the signer is, for roles.yaml."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(certificate_pem)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return None
    emails = san.get_values_for_type(x509.RFC822Name)
    return emails[0] if len(emails) == 1 else None


def _committed_bytes(git: Git, document: str, rev: str) -> bytes:
    raw = git.read_blobs(rev, [document]).get(document)
    if raw is None:
        raise UsageError(f"{document} is not committed at {rev}",
                         hint="commit it: approvals bind committed bytes")
    on_disk = git.root / document
    if rev == "HEAD" and on_disk.exists() and on_disk.read_bytes() != raw:
        raise UsageError(f"{document} has uncommitted changes",
                         hint="commit or discard them: an approval binds exactly the committed bytes")
    return raw


def _person(roles: Roles, request: ActRequest) -> Person:
    if request.signer_id and request.signer_id.startswith("github:"):
        login = request.signer_id.removeprefix("github:").lower()
        person = next((p for p in roles.people if p.github.lower() == login), None)
        if person is None:
            raise UsageError(f"no person in {layout.ROLES_PATH} has the GitHub login {login}")
    elif request.signer_id:
        person = roles.person(request.signer_id)
        if person is None:
            raise UsageError(f"{request.signer_id} is not a person in {layout.ROLES_PATH}")
    else:
        email = (request.signer_email or "").lower()
        person = next((p for p in roles.people if p.email.lower() == email), None)
        if person is None:
            raise UsageError(f"no person in {layout.ROLES_PATH} has the e-mail "
                             f"{request.signer_email or '(none)'}", hint="pass --as <person id>")
    if request.signer_email and request.signer_email.lower() != person.email.lower():
        raise UsageError(f"the signing certificate names {request.signer_email}, "
                         f"but {person.id}'s e-mail is {person.email}")
    return person


def _preflight(person: Person, request: ActRequest, submitter: str | None) -> None:
    if request.role not in person.roles:
        raise UsageError(f"{person.name} ({person.id}) does not hold the {request.role} role in "
                         f"{layout.ROLES_PATH}")
    if request.decision == Decision.APPROVED.value and submitter == person.id:
        raise UsageError(f"{person.name} submitted this version and cannot approve it (separation of duties)")
    if (request.decision == Decision.REVOKED.value) != bool(request.revokes):
        raise UsageError("--revokes ACT_ID goes with --decision revoked, and only with it")


def _check_target(git: Git, request: ActRequest) -> None:
    """A revocation must name an act on the ledger for this document.

    Verifiers let a revocation wait for its act (a copy may arrive later), so a mistyped id
    would revoke nothing, silently: refuse it here instead, while the signer is watching.
    """
    from .ledger import Ledger

    entries = Ledger(git).entries(document_path=request.document)
    if any(e.act_id == request.revokes for e in entries):
        return
    by_bytes = next((e for e in entries if sha256_hex(e.text.encode()) == request.revokes), None)
    hint = (f"{request.revokes} is the sha256 of that bundle's bytes; its act id is {by_bytes.act_id}"
            if by_bytes else f"list the acts with `clinigate verify {request.document} --format json` "
                             "(their act_id) or `clinigate ledger list`")
    raise UsageError(f"no act {request.revokes} on the ledger for {request.document}", hint=hint)


def build_act(git: Git, request: ActRequest, *, check_rules: bool = True, at: str = "HEAD",
              roles: Roles | None = None) -> tuple[bytes, str, str | None]:
    """The statement bytes to sign, the document digest and the artifact digest.

    ``at``: the commit whose bytes are signed (default HEAD, checked against the work tree);
    ``roles``: the roles.yaml that names the signer (default: HEAD's). The approval workflow
    passes a pull request's head and the default branch's roles, never the PR's own.
    """
    check_request(request)
    raw = _committed_bytes(git, request.document, at)
    registry_document = layout.is_under_models(request.document)
    # A governance file (Rego, a workflow, the tool's code) is approved as bytes; documents must load.
    loaded = load_bytes(request.document, raw) if registry_document or expected_kind(
        PurePosixPath(request.document)) else None
    if loaded is not None and loaded.document is None:
        raise UsageError(f"{request.document} is not valid; run `clinigate validate` and fix it first")
    roles_doc = roles or Snapshot(git, "HEAD").roles()  # committed, like the document
    if roles_doc is None:
        raise UsageError(f"{layout.ROLES_PATH} is missing or invalid at HEAD; run `clinigate validate`")
    doc = loaded.document if loaded else None
    version = doc if isinstance(doc, ModelVersion) else None
    person = _person(roles_doc, request)
    if check_rules:
        _preflight(person, request, _submitter(doc))
        if request.revokes:
            _check_target(git, request)
    decision = Decision(request.decision)
    predicate = ApprovalPredicate(
        model=PurePosixPath(request.document).parts[1] if registry_document else None,
        version=version.version if version else None,
        document=request.document, change_class=request.change_class, role=Role(request.role),
        decision=decision, meaning=Meaning(request.meaning) if request.meaning else DEFAULT_MEANING[decision],
        signer=SignerName(id=person.id, name=person.name), reason=request.reason,
        pull_request=request.pull_request, head_commit=git.resolve(at), signed_at=now_utc(),
        supersedes=request.revokes, review=request.review)
    artifact = version.artifact.sha256 if version else None
    digest = sha256_hex(raw)
    return build_statement(predicate, document_sha256=digest, artifact_sha256=artifact), digest, artifact


def _submitter(doc: object) -> str | None:
    """Who submitted a version or a waiver: they never approve it (separation of duties)."""
    return doc.submitted_by if isinstance(doc, ModelVersion | Waiver) else None


def sign_act(git: Git, request: ActRequest, signer: Signer, *, check_rules: bool = True, at: str = "HEAD",
             roles: Roles | None = None) -> SignedAct:
    from .act import act_id
    from .attestation import parse_statement
    from .ledger import Ledger

    statement, digest, _ = build_act(git, request, check_rules=check_rules, at=at, roles=roles)
    bundle = signer.sign(statement)
    predicate = parse_statement(statement).predicate
    message = f"{predicate.decision.value}: {request.document} as {request.role} by {predicate.signer.id}"
    commit = Ledger(git).append([(request.document, digest, bundle)], message)
    return SignedAct(request.document, digest, bundle, sha256_hex(bundle.encode()), act_id(statement),
                     commit, predicate)
