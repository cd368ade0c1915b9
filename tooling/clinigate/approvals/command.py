"""What ``approve``, ``verify`` and ``ledger list`` do, one call each; the CLI parses and renders.

    outcome = approve_document(root=root, path="models/m/versions/1.0.0.yaml", role="quality",
                               decision="approved", reason="QR-114", signing=method)
    outcome.act.act_id      # the ledger file's name, what --revokes takes
    report = verify_paths(root=root, paths=["models/m/versions/1.0.0.yaml"], rev="HEAD")
    listing = list_acts(root=root, rev=None, model="m")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..gitrepo import Git
    from .approve import SignedAct
    from .backend import Signer
    from .listing import LedgerListing
    from .verify import VerifyReport


class SignerSource(Protocol):
    """How the signer is made once the registry's PKI rules are known (the CLI's signing options)."""

    def signer(self, git: Git, *, default_tsa: str | None = None,
               require_timestamp: bool = True) -> tuple[Signer, str | None]: ...


@dataclass(frozen=True)
class ApproveOutcome:
    """A signed act recorded in the local ledger, and what became of ``--push``.

    ``push_failed`` holds the error a push raised: the act is in the local ledger all the same,
    and the user must learn that before the error (``ledger push`` retries it).
    """

    act: SignedAct
    push_remote: str | None = None
    push_failed: Exception | None = None


def approve_document(*, root: Path, path: str, role: str, decision: str, reason: str, signing: SignerSource,
                     meaning: str | None = None, signer_id: str | None = None,
                     pull_request: int | None = None, revokes: str | None = None,
                     change_class: str | None = None, push_remote: str | None = None) -> ApproveOutcome:
    """Sign an approval act over ``path``'s committed bytes and append it to the ledger."""
    from dataclasses import replace

    from ..gitrepo import Git
    from .approve import ActRequest, check_request, normalise_document, sign_act
    from .review import load_trust

    git = Git(root)
    request = ActRequest(normalise_document(root, path), role, decision, reason, meaning, signer_id,
                         None, pull_request, revokes, change_class)
    check_request(request)  # before any key, token or TSA is used
    # Defaults come from the registry's trust.yaml: the private Sigstore instance, the hospital TSA.
    pki = load_trust(git, "HEAD").pki
    signer, email = signing.signer(git, default_tsa=pki.tsa_url, require_timestamp=pki.require_timestamp)
    act = sign_act(git, replace(request, signer_email=email), signer)
    return ApproveOutcome(act, push_remote, _push(git, push_remote) if push_remote else None)


def _push(git: Git, remote: str) -> Exception | None:
    from .ledger import Ledger

    try:
        Ledger(git).push(remote)
    except Exception as exc:  # whatever it is, it is raised again once the recorded act is shown
        return exc
    return None


def verify_paths(*, root: Path, paths: Sequence[str], rev: str) -> VerifyReport:
    """Every signed act on ``paths`` (all documents in the ledger when empty), judged at ``rev``."""
    from ..gitrepo import Git
    from .approve import normalise_document
    from .verify import verify_documents

    documents = [normalise_document(root, p) for p in paths]
    return verify_documents(Git(root), documents, rev=rev)


def list_acts(*, root: Path, rev: str | None, model: str | None) -> LedgerListing:
    """The local ledger's acts, judged with the trust and roles of ``rev`` (default: what counts now)."""
    from ..gitrepo import Git
    from .listing import list_ledger

    git = Git(root)
    return list_ledger(git, rev=rev or default_branch(git), model=model)


def default_branch(git: Git) -> str:
    """What counts now: the remote's default branch when this clone knows it, else main, else HEAD."""
    return next((ref for ref in ("origin/HEAD", "main") if git.rev_parse(ref)), "HEAD")
