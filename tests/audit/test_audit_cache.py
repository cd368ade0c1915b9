"""The audit cache: a warm answer is the cold answer, and nothing it keeps outlives what it depends on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from testing.fixtures import copy_example_registry, git
from testing.local_tsa import LocalTSA, local_tsa  # noqa: F401

from clinigate import layout
from clinigate.approvals.approve import ActRequest, sign_act
from clinigate.approvals.pki import PkiSigner
from clinigate.audit.cache import DEPLOYMENT_ACTS, LEDGER_REFS, AuditCache, code_digest
from clinigate.demo.approvals import DemoPki, roles
from clinigate.gitrepo import Git

PRODUCTION = "models/sepsis-ews/versions/1.2.0.yaml"  # what the example runs in production


@pytest.fixture
def registry(tmp_path: Path, local_tsa: LocalTSA) -> tuple[Path, DemoPki, LocalTSA]:  # noqa: F811
    """The example registry, its CA and a TSA trusted, one commit; no approvals yet."""
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    (repo / ".gitignore").write_text(".demo-pki/\n")
    pki = DemoPki.create(repo, timestamps=False)  # claimed times allowed: some tests sign without one
    shutil.copy(local_tsa.root_path, repo / "policies/trust/tsa-root.pem")
    trust = repo / layout.TRUST_PATH
    trust.write_text(trust.read_text().replace("  tsa_roots: []\n", "  tsa_roots: [tsa-root.pem]\n", 1))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "registry")
    return repo, pki, local_tsa


def _sign(repo: Path, pki: DemoPki, person_id: str, role: str, *, tsa: LocalTSA | None,
          decision: str = "approved", revokes: str | None = None, document: str = PRODUCTION) -> str:
    person = roles(repo).person(person_id)
    assert person is not None
    issued = pki.certificate(person)
    signer = PkiSigner(issued.key_path.read_bytes(), issued.cert_path.read_bytes(), tsa.url if tsa else None)
    request = ActRequest(document, role, decision, "reviewed", signer_id=person.id, signer_email=person.email,
                         revokes=revokes)
    return sign_act(Git(repo), request, signer, check_rules=False).act_id


def _ask(run_cli, repo: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = run_cli("audit", *args, "--repo", str(repo))
    assert result.code in (0, 1), result.stdout + result.stderr
    return result.stdout


QUESTIONS = [("timeline", "sepsis-ews", "--format", "json"),
             ("at", "sepsis-ews", "2099-01-01T00:00:00Z", "--format", "json"),
             ("export", "--pccp", "sepsis-ews", "--format", "json"),
             ("verify", "--format", "json")]


def _approvers(timeline_json: str) -> list[tuple[str, str, bool]]:
    """(printed name, role, valid) of each approval of the production version."""
    rows = json.loads(timeline_json)["deployments"]
    return sorted((a["printed_name"], a["role"], a["valid"] and a["decision"] == "approved") for row in rows if row["environment"] == "production"
                  for a in row["evidence"]["approvals"])


def _cache_dir(repo: Path) -> Path:
    return repo / ".git" / "clinigate" / "audit" / code_digest()


def test_a_warm_answer_is_the_cold_answer(registry: tuple[Path, DemoPki, LocalTSA], run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, pki, tsa = registry
    _sign(repo, pki, "smarquez", "ml_reviewer", tsa=tsa)  # the technical review comes first
    _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=tsa)
    cold = [_ask(run_cli, repo, *q, "--no-cache") for q in QUESTIONS]
    assert not (repo / ".git" / "clinigate").exists()  # --no-cache writes nothing
    first = [_ask(run_cli, repo, *q) for q in QUESTIONS]
    warm = [_ask(run_cli, repo, *q) for q in QUESTIONS]
    assert first == cold and warm == cold
    kept = sorted(p.relative_to(_cache_dir(repo)).parts[0] for p in _cache_dir(repo).rglob("*.json"))
    assert {"events", "evidence", "loadable.json"} <= set(kept)
    assert ("Johanna Lindqvist, MD", "clinical_reviewer", True) in _approvers(cold[0])


def test_the_warm_answer_comes_from_the_cache(registry: tuple[Path, DemoPki, LocalTSA], run_cli) -> None:  # type: ignore[no-untyped-def]
    # What the cache holds is answered: it is this clone's, trusted as much as the clone; --no-cache
    # asks Git and the ledger again.
    repo, pki, tsa = registry
    _sign(repo, pki, "smarquez", "ml_reviewer", tsa=tsa)
    _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=tsa)
    _ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json")
    [kept] = (_cache_dir(repo) / "evidence").glob("*.json")
    kept.write_text(kept.read_text().replace("Johanna Lindqvist, MD", "Someone Else"))
    assert ("Someone Else", "clinical_reviewer", True) in _approvers(
        _ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json"))
    assert ("Johanna Lindqvist, MD", "clinical_reviewer", True) in _approvers(
        _ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json", "--no-cache"))


def test_a_new_approval_or_a_revocation_is_seen_at_once(registry: tuple[Path, DemoPki, LocalTSA], run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, pki, tsa = registry
    _sign(repo, pki, "smarquez", "ml_reviewer", tsa=tsa)
    act = _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=tsa)
    before = _approvers(_ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json"))
    _sign(repo, pki, "dwhitfield", "quality", tsa=tsa)  # the ledger moves: its evidence is judged again
    after = _approvers(_ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json"))
    assert ("Johanna Lindqvist, MD", "clinical_reviewer", True) in before
    assert len(after) == len(before) + 1 and any(a[1] == "quality" and a[2] for a in after)
    _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=tsa, decision="revoked", revokes=act)
    revoked = _approvers(_ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json"))
    assert ("Johanna Lindqvist, MD", "clinical_reviewer", True) not in revoked
    assert revoked == _approvers(_ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json", "--no-cache"))


def test_evidence_checked_against_the_clock_is_never_kept(registry: tuple[Path, DemoPki, LocalTSA],  # type: ignore[no-untyped-def]
                                                          run_cli) -> None:
    # Without a TSA the signature's time is the signer's claim, and its certificate is checked
    # against "now": tomorrow's answer may differ, so it is judged afresh every time.
    repo, pki, _ = registry
    _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=None)
    _ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json")
    kept = {k for f in (_cache_dir(repo) / "evidence").glob("*.json") for k in json.loads(f.read_text())}
    assert kept and not any(k.endswith(" 1.2.0") for k in kept), kept  # staging/shadow kept, not production


def test_a_torn_or_foreign_cache_is_ignored_and_rewritten(registry: tuple[Path, DemoPki, LocalTSA], run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, pki, tsa = registry
    _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=tsa)
    truth = [_ask(run_cli, repo, *q, "--no-cache") for q in QUESTIONS]
    [_ask(run_cli, repo, *q) for q in QUESTIONS]
    for path in _cache_dir(repo).rglob("*.json"):
        path.write_text('{"torn": ' if "events" in path.parts else '[{"x": 1}]')
    assert [_ask(run_cli, repo, *q) for q in QUESTIONS] == truth
    assert [_ask(run_cli, repo, *q) for q in QUESTIONS] == truth  # and what was rewritten reads back
    old = repo / ".git" / "clinigate" / "audit" / "another-version-of-clinigate"
    old.mkdir()
    (old / "loadable.json").write_text("{}")
    AuditCache.open(Git(repo))
    assert not old.exists()  # another version's answers are not this one's: removed


def test_a_clone_that_cannot_keep_answers_still_gets_them(registry: tuple[Path, DemoPki, LocalTSA],  # type: ignore[no-untyped-def]
                                                          run_cli) -> None:
    repo, _, _ = registry
    truth = [_ask(run_cli, repo, *q, "--no-cache") for q in QUESTIONS]
    (repo / ".git" / "clinigate").write_text("not a folder")  # every write fails
    assert [_ask(run_cli, repo, *q) for q in QUESTIONS] == truth


def test_verify_rerun_after_new_commits_judges_what_is_new(registry: tuple[Path, DemoPki, LocalTSA],  # type: ignore[no-untyped-def]
                                                           run_cli) -> None:
    repo, _, _ = registry
    first = _rules(_ask(run_cli, repo, "verify", "--format", "json"))
    manifest = repo / PRODUCTION
    manifest.write_text(manifest.read_text().replace("dataset:", "dataset:  ", 1) + "# edited\n")
    (repo / "models/sepsis-ews/pccp.yaml").write_text("kind: [unclosed\n")
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "edit a merged manifest")
    again = _rules(_ask(run_cli, repo, "verify", "--format", "json"))
    assert again == _rules(_ask(run_cli, repo, "verify", "--format", "json", "--no-cache"))
    assert "history.version_edited" not in first and "history.version_edited" in again
    assert "history.unloadable" not in first and "history.unloadable" in again


def _rules(out: str) -> list[str]:
    return sorted(f["rule"] for m in json.loads(out)["manifests"] for f in m["findings"])


def test_the_ledger_refs_the_cache_watches_are_the_ledgers() -> None:
    from clinigate.approvals import ledger

    assert set(LEDGER_REFS) >= {ledger.LEDGER_REF, ledger.SEEN_PREFIX, ledger.WRITTEN_REF, ledger.HEAD_TAGS}
    assert ledger.ledger_key(layout.deployment_path("m")) == ("m", DEPLOYMENT_ACTS)
    assert ledger.ledger_key(layout.version_path("m", "1.2.0")) == ("m", "1.2.0")


def test_an_approval_of_another_version_leaves_this_ones_evidence_standing(  # type: ignore[no-untyped-def]
        registry: tuple[Path, DemoPki, LocalTSA], run_cli) -> None:
    repo, pki, tsa = registry
    _sign(repo, pki, "jlindqvist", "clinical_reviewer", tsa=tsa)
    _ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json")
    kept = _cache_dir(repo) / "evidence" / "sepsis-ews.json"
    kept.write_text(kept.read_text().replace("Johanna Lindqvist, MD", "Kept Answer"))
    _sign(repo, pki, "dwhitfield", "quality", tsa=tsa, document="models/sepsis-ews/versions/1.3.0.yaml")
    rows = json.loads(_ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json"))["deployments"]
    by_env = {r["environment"]: [a["printed_name"] for a in r["evidence"]["approvals"]] for r in rows}
    assert by_env["production"] == ["Kept Answer"]  # 1.2.0's acts did not move: its answer was kept
    assert by_env["shadow"] == ["Diane Whitfield, RAC"]  # 1.3.0's did: judged again


def _deploy(repo: Path, production: str, message: str) -> str:
    path = repo / layout.deployment_path("sepsis-ews")
    text = path.read_text()
    current = text.split("production:\n    version: ", 1)[1].split("\n", 1)[0]
    path.write_text(text.replace(f"production:\n    version: {current}", f"production:\n    version: {production}"))
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _same(a: object, b: object) -> None:
    from clinigate.audit.events import EventLog

    assert isinstance(a, EventLog) and isinstance(b, EventLog)
    assert (a.rev, a.events, a.problems, a.documents) == (b.rev, b.events, b.problems, b.documents)


def test_a_kept_history_extended_by_new_commits_is_the_whole_fold(registry: tuple[Path, DemoPki, LocalTSA]) -> None:
    from clinigate.audit.events import extend_events, read_events

    repo, _, _ = registry
    g = Git(repo)
    older = read_events(g, g.resolve("HEAD"))
    _deploy(repo, "1.1.0", "roll back (#4)")
    (repo / "models/sepsis-ews/deployment.yaml").write_text("kind: [unclosed\n")  # a problem, kept too
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-am", "broken desired state")
    git(repo, "checkout", "-q", "HEAD~1", "--", "models/sepsis-ews/deployment.yaml")
    tip = _deploy(repo, "1.2.0", "promote again (#6)")
    extended = extend_events(g, older, tip)
    _same(extended, read_events(g, tip))
    assert [e.after for e in extended.events  # type: ignore[union-attr]
            if e.model == "sepsis-ews" and e.env == "production"] == ["1.2.0", "1.1.0", "1.2.0"]
    assert extended.problems  # type: ignore[union-attr]


def test_a_kept_history_main_no_longer_contains_is_not_extended(registry: tuple[Path, DemoPki, LocalTSA],  # type: ignore[no-untyped-def]
                                                               run_cli) -> None:
    from clinigate.audit.events import extend_events, read_events

    repo, _, _ = registry
    g = Git(repo)
    _deploy(repo, "1.1.0", "roll back (#4)")
    gone = read_events(g, g.resolve("HEAD"))
    _ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json")  # kept: the history up to the rollback
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # the rollback's commit is rewritten away
    tip = _deploy(repo, "1.3.0", "promote 1.3.0 (#5)")
    assert extend_events(g, gone, tip) is None
    rows = json.loads(_ask(run_cli, repo, "timeline", "sepsis-ews", "--format", "json"))["deployments"]
    assert [r["after"] for r in rows if r["environment"] == "production"] == ["1.2.0", "1.3.0"]
