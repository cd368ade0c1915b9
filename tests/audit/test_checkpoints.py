"""Checkpoints: a force-pushed main or a rewound ledger is caught, even in a fresh clone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.fixtures import copy_example_registry, git, init_repo
from testing.git_http import serve_git_http
from testing.local_tsa import LocalTSA, local_tsa  # noqa: F401
from testing.ssh_stub import DEPLOY_KEY, KEY_LINE, KEY_VAR

from clinigate.demo.approvals import DemoPki, roles
from clinigate.gitrepo import Git

DOC = "models/sepsis-ews/versions/1.2.0.yaml"


@pytest.fixture
def signed(tmp_path: Path, local_tsa: LocalTSA) -> tuple[Path, DemoPki]:  # noqa: F811
    """The example registry trusting the demo CA and a TSA served on loopback (its pki.tsa_url)."""
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    (repo / ".gitignore").write_text(".demo-pki/\n")
    pki = DemoPki.create(repo, tsa=local_tsa.authority, tsa_url=local_tsa.url)
    init_repo(repo)
    return repo, pki


def _checkpoint(run_cli, repo: Path, pki: DemoPki, person: str = "dwhitfield") -> str:  # type: ignore[no-untyped-def]
    issued = pki.certificate(roles(repo).person(person))  # type: ignore[arg-type]
    result = run_cli("audit", "checkpoint", "--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path),
                     "--note", "test", "--repo", str(repo))
    assert result.code == 0, result.stdout + result.stderr
    return result.stdout


def _rules(run_cli, repo: Path) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    result = run_cli("audit", "verify", "--format", "json", "--repo", str(repo))
    found = [f["rule"] for m in json.loads(result.stdout)["manifests"] for f in m["findings"]]
    return result.code, found


def _commit(repo: Path, name: str) -> str:
    (repo / "docs").mkdir(exist_ok=True)
    (repo / "docs" / name).write_text(name)
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", name)
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_checkpoint_of_the_current_history_verifies(signed: tuple[Path, DemoPki], run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, pki = signed
    out = _checkpoint(run_cli, repo, pki)
    assert "main at" in out and git(repo, "rev-parse", "refs/heads/clinigate/checkpoints")
    _commit(repo, "later.md")  # main moved on: still contains the checkpoint
    code, rules = _rules(run_cli, repo)
    assert "history.rewritten" not in rules and "checkpoint.invalid" not in rules, rules


def test_a_force_pushed_main_is_caught_even_in_a_fresh_clone(signed: tuple[Path, DemoPki], run_cli,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    repo, pki = signed
    _commit(repo, "a.md")
    _checkpoint(run_cli, repo, pki)
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # the rewrite: a.md's commit is gone from main
    _commit(repo, "b.md")
    code, rules = _rules(run_cli, repo)
    assert code == 1 and "history.rewritten" in rules, rules
    clone = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(repo), str(clone))  # brings origin/clinigate/checkpoints along
    code, rules = _rules(run_cli, clone)
    assert code == 1 and "history.rewritten" in rules, rules


def test_a_rewound_ledger_is_caught_by_the_checkpoint(signed: tuple[Path, DemoPki], run_cli,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    repo, pki = signed
    people = roles(repo)
    pki.sign(Git(repo), people.person("jlindqvist"), DOC, "clinical_reviewer", "reviewed")  # type: ignore[arg-type]
    first = git(repo, "rev-parse", "refs/heads/clinigate/ledger").strip()
    pki.sign(Git(repo), people.person("dwhitfield"), DOC, "quality", "released")  # type: ignore[arg-type]
    _checkpoint(run_cli, repo, pki)
    clone = tmp_path / "fresh"  # a clone with no local record of the ledger's heads of its own
    git(tmp_path, "clone", "-q", "--mirror", str(repo), str(tmp_path / "origin.git"))
    git(tmp_path / "origin.git", "update-ref", "refs/heads/clinigate/ledger", first)
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(clone))
    git(clone, "fetch", "-q", "origin", "refs/heads/clinigate/ledger:refs/heads/clinigate/ledger")
    code, rules = _rules(run_cli, clone)
    assert code == 1 and rules.count("history.rewritten") == 1, rules


def test_a_tampered_checkpoint_does_not_count(signed: tuple[Path, DemoPki], run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, pki = signed
    _checkpoint(run_cli, repo, pki)
    tip = git(repo, "rev-parse", "refs/heads/clinigate/checkpoints").strip()
    name = git(repo, "ls-tree", "--name-only", tip).strip()
    bundle = json.loads(git(repo, "show", f"{tip}:{name}"))
    bundle["dsseEnvelope"]["payload"] = bundle["dsseEnvelope"]["payload"][:-4] + "AAA="
    g = Git(repo)
    blob = g.write_blob(json.dumps(bundle).encode())
    commit = g.commit_tree(g.write_tree(None, {name: blob}), [], "forged", name="x", email="x@y.z",
                           date="2026-01-01T00:00:00+00:00")
    g.set_ref("refs/heads/clinigate/checkpoints", commit)
    code, rules = _rules(run_cli, repo)
    assert "checkpoint.invalid" in rules and "history.rewritten" not in rules, rules


# --- publishing: --push with the ledger's credentials ---------------------------------------------

TOKEN = "ghs_T0kenForTheCheckpointsServer0123456"
TOKEN_VAR = "CLINIGATE_TEST_TOKEN"
CHECKPOINTS = "refs/heads/clinigate/checkpoints"


def _signing(repo: Path, pki: DemoPki) -> list[str]:
    issued = pki.certificate(roles(repo).person("dwhitfield"))  # type: ignore[arg-type]
    return ["--key", str(issued.key_path), "--allow-unencrypted-key", "--cert", str(issued.cert_path)]


def test_push_with_a_token_lands_on_top_of_the_remote_branch(signed: tuple[Path, DemoPki], run_cli,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The second clone is a CI checkout: the branch only as refs/remotes/origin/…, no local one."""
    repo, pki = signed
    (tmp_path / "srv").mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(tmp_path / "srv" / "reg.git"))
    monkeypatch.setenv(TOKEN_VAR, TOKEN)
    with serve_git_http(tmp_path / "srv", token=TOKEN) as server:
        for name in ("a", "b"):
            clone = tmp_path / name
            git(tmp_path, "clone", "-q", str(tmp_path / "srv" / "reg.git"), name)
            git(clone, "remote", "set-url", "origin", server.url("reg.git"))
            result = run_cli("audit", "checkpoint", *_signing(repo, pki), "--push", "origin",
                             "--token-env", TOKEN_VAR, "--repo", str(clone))
            assert result.code == 0, result.stdout + result.stderr
            assert f"pushed {CHECKPOINTS} to origin" in result.stdout and TOKEN not in result.stdout + result.stderr
    served = git(tmp_path / "srv" / "reg.git", "rev-parse", CHECKPOINTS).strip()
    assert served == git(tmp_path / "b", "rev-parse", CHECKPOINTS).strip()
    assert len(git(tmp_path / "srv" / "reg.git", "ls-tree", "--name-only", served).split()) == 2
    first = git(tmp_path / "a", "rev-parse", CHECKPOINTS).strip()
    git(tmp_path / "srv" / "reg.git", "merge-base", "--is-ancestor", first, served)  # a fast-forward
    code, rules = _rules(run_cli, tmp_path / "b")
    assert "checkpoint.invalid" not in rules and "history.rewritten" not in rules, rules


def test_push_with_the_deploy_key_goes_over_ssh_and_never_shows_it(signed: tuple[Path, DemoPki], run_cli,  # type: ignore[no-untyped-def]
                                                                   ssh_stub: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo, pki = signed
    git(repo, "remote", "add", "origin", "https://github.example.test/acme/reg.git")
    monkeypatch.setenv(KEY_VAR, DEPLOY_KEY)
    result = run_cli("audit", "checkpoint", *_signing(repo, pki), "--push", "origin", "--ssh-key-env", KEY_VAR,
                     "--repo", str(repo))
    assert result.code == 3, result.stdout + result.stderr
    assert "cannot reach the remote 'origin'" in result.stderr and "deploy key" in result.stderr
    assert "Traceback" not in result.stderr and KEY_LINE not in result.stdout + result.stderr
    calls = [json.loads(line) for line in ssh_stub.read_text().splitlines()]
    assert calls and all("git@github.example.test" in c["argv"] and c["key"] == DEPLOY_KEY for c in calls)
    assert Git(repo).rev_parse(CHECKPOINTS) is None  # it fetched first: nothing was written


@pytest.mark.parametrize("option", [["--token-env", TOKEN_VAR], ["--ssh-key-env", KEY_VAR]])
def test_credentials_without_push_are_a_usage_error(signed: tuple[Path, DemoPki], run_cli,  # type: ignore[no-untyped-def]
                                                    option: list[str]) -> None:
    repo, pki = signed
    result = run_cli("audit", "checkpoint", *_signing(repo, pki), *option, "--repo", str(repo))
    assert result.code == 2 and "give --push REMOTE too" in result.stderr, result.stderr


def test_two_checkpoints_of_one_head_in_one_second_are_both_kept(signed: tuple[Path, DemoPki],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from clinigate.audit import checkpoint

    repo, pki = signed
    monkeypatch.setattr(checkpoint, "now_utc", lambda: datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC))
    signer = pki.signer(roles(repo).person("dwhitfield"))  # type: ignore[arg-type]
    names = [checkpoint.write_checkpoint(Git(repo), signer, branch="main", main="main", note=n).path
             for n in ("first", "second")]
    kept = git(repo, "ls-tree", "--name-only", CHECKPOINTS).split()
    assert names[0] != names[1] and sorted(kept) == sorted(names)  # appended, nothing replaced
