"""Turn GitHub reviews into signed approval acts, judged only by what the default branch says.

    >>> run = record_reviews(git, api, 42, rules_rev="origin/main", signer=lambda: signer)  # doctest: +SKIP
    >>> [(o.reviewer, o.role, o.status) for o in run.outcomes]                             # doctest: +SKIP
    [('jlindqvist-md', 'clinical_reviewer', 'signed')]

Runs in the approval workflow (``record-approval.yml``), from the default branch, never on code
the pull request brought (DESIGN §6, §13). For each review of the pull request:

* the review must carry a ``clinigate:`` line (review_line.py) and the matching GitHub state
  (Approve for ``approve as``, Request changes for ``reject as``), on the pull request's
  *current* head: a review of an older head signs nothing;
* the reviewer's login **and numeric id** must name a person in the *rules revision's*
  roles.yaml (the default branch), who holds the role; the pull request's own roles.yaml is
  never read, so a PR that repoints a login signs nothing for it;
* the reviewer may be neither the pull request's author nor an author or committer of a
  commit that changed the document (authorship.py);
* the documents signed are those the rules revision's policies require that role for, read
  as blobs at the head (``git cat-file``: no checkout, nothing of the PR executed);
* each act records the review (login, numeric id, review id), the PR number and the head, and
  is signed with the signer the caller gives (the workflow's keyless identity).

Every review read has an outcome with a rule, so the run log says why a review did not count.
Re-running is safe: an act already on the ledger for the same review and bytes is not signed
again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..approvals.act import ActBundle, BundleUnreadable
from ..approvals.attestation import AttestationInvalid, GitHubReview, parse_statement
from ..approvals.authorship import ChangeAuthors, PullRequestEvent
from ..errors import EnvironmentProblem, GitError, UsageError
from ..gitrepo import Git
from ..gitrepo.auth import RemoteAuth
from ..manifest.revision import Snapshot
from ..manifest.roles import Person, Roles
from .api import GitHubApi, PullFacts, ReviewFacts
from .review_line import REVIEW_STATE, Intent, LineProblem, intents

if TYPE_CHECKING:
    from ..approvals.backend import Signer
    from ..policy.decision import DocumentDecision, GateDecision

SIGNED, RECORDED, REFUSED, SKIPPED = "signed", "already recorded", "refused", "skipped"


@dataclass(frozen=True)
class ReviewOutcome:
    """What became of one ``clinigate:`` line of one review (for one document, once it got that far)."""

    review_id: int
    reviewer: str
    status: str  # signed | already recorded | refused | skipped
    rule: str
    message: str
    role: str | None = None
    decision: str | None = None
    document: str | None = None
    act_id: str | None = None


@dataclass
class RecordRun:
    pull: PullFacts
    rules_rev: str
    outcomes: list[ReviewOutcome] = field(default_factory=list)

    @property
    def signed(self) -> list[ReviewOutcome]:
        return [o for o in self.outcomes if o.status == SIGNED]


@dataclass(frozen=True)
class _Change:
    """The pull request as the rules revision sees it."""

    head: str
    decision: GateDecision
    authors: ChangeAuthors
    roles: Roles
    recorded: frozenset[tuple[int, str, str, str]]  # (review id, role, document, document sha256)
    blobs: Mapping[str, bytes | None]  # each document at the head, read once (None: absent there)


def record_reviews(git: Git, api: GitHubApi, number: int, *, rules_rev: str,
                   signer: Callable[[], Signer], remote: str = "origin",
                   auth: RemoteAuth | None = None) -> RecordRun:
    """Sign an act for each countable review of pull request ``number`` (see the module doc)."""
    pull = api.pull(number)
    run = RecordRun(pull, git.resolve(rules_rev))
    if pull.state != "open":
        return run
    ensure_commit(git, remote, pull.head_sha, number, auth)
    change = _read_change(git, pull, run.rules_rev)
    made: list[Signer] = []

    def signer_once() -> Signer:  # an OIDC token is only fetched when something is signed
        if not made:
            made.append(signer())
        return made[0]

    for review in api.reviews(number):
        for intent in intents(review.body):
            run.outcomes.extend(_record(git, change, pull, review, intent, signer_once))
    return run


def decide_pull(git: Git, pull: PullFacts, rules_rev: str, *, remote: str = "origin",
                auth: RemoteAuth | None = None) -> GateDecision:
    """The gate's decision on the pull request's current head, by ``rules_rev``'s rules."""
    from ..gate.decider import Decider

    ensure_commit(git, remote, pull.head_sha, pull.number, auth)
    with Decider.open(git, rules_rev=rules_rev) as decider:
        return decider.decide_change(base=rules_rev, head=pull.head_sha, event=_event(pull), preview=False)


def ensure_commit(git: Git, remote: str, sha: str, number: int, auth: RemoteAuth | None = None) -> None:
    """Bring the pull request's head commit's objects in (a fetch: no checkout, nothing run).

    ``auth``: the token a private repository needs (the workflow checks out without credentials).
    """
    if git.rev_parse(f"{sha}^{{commit}}"):
        return
    with ExitStack() as stack:
        fetcher, target = git, remote
        url = git.remote_url(remote)
        if auth is not None and url.startswith(("https://", "http://")):  # a path or ssh remote needs none
            access = stack.enter_context(auth.access(url))
            fetcher, target = git.with_remote_env(access.env), access.url
        for source in (sha, f"refs/pull/{number}/head"):
            try:
                fetcher.run(["fetch", "-q", "--no-tags", "--no-write-fetch-head", target, source])
            except GitError:
                continue
            if git.rev_parse(f"{sha}^{{commit}}"):
                return
    raise EnvironmentProblem(f"cannot fetch {sha[:12]}, the head of pull request #{number}, from {remote}",
                             hint="the workflow's checkout needs the remote (fetch-depth: 0)")


def _event(pull: PullFacts) -> PullRequestEvent:
    return PullRequestEvent(number=pull.number, author_login=pull.author.login, head_sha=pull.head_sha)


def _read_change(git: Git, pull: PullFacts, rules_rev: str) -> _Change:
    roles = Snapshot(git, rules_rev).roles()
    if roles is None:
        raise UsageError(f"roles.yaml is missing or invalid at {rules_rev[:12]}, the rules revision")
    decision = decide_pull(git, pull, rules_rev)
    authors = ChangeAuthors.read(git, decision.merge_base, pull.head_sha, roles, _event(pull))
    documents = [m.path for m in decision.manifests]
    return _Change(pull.head_sha, decision, authors, roles, _recorded(git, documents),
                   git.read_blobs(pull.head_sha, documents))


def _recorded(git: Git, documents: list[str]) -> frozenset[tuple[int, str, str, str]]:
    from ..approvals.ledger import Ledger

    ledger, seen = Ledger(git), set()
    for document in documents:
        for entry in ledger.entries(document_path=document):
            try:
                statement = parse_statement(ActBundle.from_bytes(entry.text.encode()).payload)
            except (BundleUnreadable, AttestationInvalid):
                continue  # verification reports it; it records no review
            review = statement.predicate.review
            if review is not None:
                seen.add((review.review_id, statement.predicate.role.value, document, entry.document_sha256))
    return frozenset(seen)


def _record(git: Git, change: _Change, pull: PullFacts, review: ReviewFacts, intent: Intent | LineProblem,
            signer: Callable[[], Signer]) -> list[ReviewOutcome]:
    login = review.reviewer.login if review.reviewer else "(deleted account)"
    if isinstance(intent, LineProblem):
        return [ReviewOutcome(review.id, login, REFUSED, intent.rule, intent.message)]
    said = {"role": intent.role, "decision": intent.decision}
    refusal = _review_refusal(review, intent, pull)
    if refusal:
        status, rule, message = refusal
        return [ReviewOutcome(review.id, login, status, rule, message, **said)]
    person = _person(change.roles, review)
    if isinstance(person, tuple):
        return [ReviewOutcome(review.id, login, REFUSED, person[0], person[1], **said)]
    if intent.role not in person.roles:
        return [ReviewOutcome(review.id, login, REFUSED, "review.role_not_held",
                              f"{person.name} does not hold the {intent.role} role in roles.yaml on the "
                              "default branch", **said)]
    targets = [m for m in change.decision.manifests if intent.role in m.required_roles
               and change.blobs.get(m.path) is not None]
    if not targets:
        return [ReviewOutcome(review.id, login, SKIPPED, "review.role_not_required",
                              f"no document of this pull request needs the {intent.role} role", **said)]
    return [_sign(git, change, pull, review, intent, person, target, signer) for target in targets]


def _review_refusal(review: ReviewFacts, intent: Intent, pull: PullFacts) -> tuple[str, str, str] | None:
    if review.state == "DISMISSED":
        return SKIPPED, "review.dismissed", "the review was dismissed"
    if review.state != REVIEW_STATE[intent.decision]:
        verb = "approve" if intent.decision == "approved" else "reject"
        wanted = REVIEW_STATE[intent.decision].replace("_", " ").lower()
        return REFUSED, "review.state_mismatch", (f"the line says '{verb} as', but the review's state is "
                                                  f"{review.state}; submit it as {wanted}")
    if review.commit_id != pull.head_sha:
        seen = (review.commit_id or "?")[:12]
        return SKIPPED, "review.stale_head", (f"the review is of commit {seen}; the pull request's head "
                                              f"is now {pull.head_sha[:12]}: review the current head")
    if review.reviewer is None:
        return REFUSED, "review.unknown_reviewer", "the reviewer's GitHub account no longer exists"
    return None


def _person(roles: Roles, review: ReviewFacts) -> Person | tuple[str, str]:
    """The reviewer in the default branch's roles.yaml, by login *and* numeric id."""
    assert review.reviewer is not None
    account = review.reviewer
    person = roles.by_github(account.login)
    if person is None:
        return "review.unknown_reviewer", (f"{account.login} is not a person in roles.yaml on the default "
                                           "branch")
    if person.github_id is None:
        return "review.github_id_missing", (f"{person.id} has no github_id in roles.yaml on the default "
                                            f"branch: a login alone can be renamed and re-registered (add "
                                            f"github_id: {account.id} after checking it is theirs)")
    if person.github_id != account.id:
        return "review.github_id_mismatch", (f"the account {account.login} has id {account.id}, but "
                                             f"roles.yaml gives {person.id} the id {person.github_id}: "
                                             "another account now holds the login")
    return person


def _sign(git: Git, change: _Change, pull: PullFacts, review: ReviewFacts, intent: Intent, person: Person,
          target: DocumentDecision, signer: Callable[[], Signer]) -> ReviewOutcome:
    from ..approvals.approve import ActRequest, sign_act
    from ..approvals.attestation import sha256_hex

    assert review.reviewer is not None
    said = {"role": intent.role, "decision": intent.decision, "document": target.path}
    login = review.reviewer.login
    if intent.decision == "approved" and person.id in change.authors.of(target.path):
        rule, who = (("review.pr_author", "opened this pull request") if person.id == change.authors.pr_author
                     else ("review.commit_author", f"wrote or committed a commit that changed {target.path}"))
        return ReviewOutcome(review.id, login, REFUSED, rule, f"{person.name} {who} and cannot approve it "
                             "(separation of duties)", **said)
    raw = change.blobs[target.path]
    assert raw is not None
    if (review.id, intent.role, target.path, sha256_hex(raw)) in change.recorded:
        return ReviewOutcome(review.id, login, RECORDED, "review.recorded",
                             "this review is already on the ledger for these bytes", **said)
    request = ActRequest(target.path, intent.role, intent.decision, intent.reason, signer_id=person.id,
                         pull_request=pull.number, change_class=target.change_class,
                         review=GitHubReview(reviewer_login=login, reviewer_id=review.reviewer.id,
                                             review_id=review.id))
    try:
        act = sign_act(git, request, signer(), at=change.head, roles=change.roles)
    except UsageError as exc:  # what `approve` would refuse (the reason's length, self-approval, …)
        return ReviewOutcome(review.id, login, REFUSED, getattr(exc, "rule", "review.refused"), exc.message,
                             **said)
    return ReviewOutcome(review.id, login, SIGNED, "review.signed", f"signed as {person.name} ({person.id})",
                         act_id=act.act_id, **said)
