"""Ledger fetch and push with credentials: a token over smart HTTP (a real ``git http-backend`` on
loopback that demands it) and a deploy key over SSH (a recording ``ssh`` stub: github.com cannot
exist here, so the stub is the only fake)."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testing.fixtures import CliResult, git, init_repo
from testing.git_http import GitHttpServer, serve_git_http
from testing.ledger_origin import DIGEST_A, V130, bundle, open_ledger
from testing.ssh_stub import DEPLOY_KEY, KEY_LINE, KEY_VAR

from clinigate.approvals.ledger import HEAD_TAGS, LEDGER_REF, Ledger
from clinigate.errors import EnvironmentProblem, UsageError
from clinigate.gitrepo import Git
from clinigate.gitrepo.auth import RemoteAuth, ssh_url

Run = Callable[..., CliResult]
TOKEN = "ghs_T0kenForTheLoopbackServer0123456789"
TOKEN_VAR = "CLINIGATE_TEST_TOKEN"


def secrets_of(token: str) -> list[str]:
    """The token as it could leak: itself, and inside the Basic credentials git sends."""
    return [token, base64.b64encode(f"x-access-token:{token}".encode()).decode()]


def assert_not_shown(result: CliResult, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[GitHttpServer]:
    """A private repository at <server>/reg.git that only TOKEN opens."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("registry\n")
    init_repo(seed)
    (tmp_path / "srv").mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(tmp_path / "srv" / "reg.git"))
    with serve_git_http(tmp_path / "srv", token=TOKEN) as server:
        yield server


def http_clone(server: GitHttpServer, name: str) -> Path:
    """A clone whose origin is the served URL, as actions/checkout leaves it (no credentials kept)."""
    path = server.root.parent / name
    git(server.root.parent, "clone", "-q", str(server.root / "reg.git"), name)
    git(path, "remote", "set-url", "origin", server.url("reg.git"))
    return path


def served_refs(server: GitHttpServer) -> str:
    return git(server.root / "reg.git", "for-each-ref", "--format=%(refname) %(objectname)")


# --- token over HTTPS (here: loopback HTTP) -------------------------------------------------------

def test_fetch_without_a_token_exits_three_and_says_why(served: GitHttpServer, run_cli: Run) -> None:
    result = run_cli("ledger", "fetch", "--repo", str(http_clone(served, "a")))
    assert result.code == 3, result.stderr
    assert "cannot reach the remote 'origin'" in result.stderr
    assert "--token-env GITHUB_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_token_fetches_and_pushes_without_showing_it(served: GitHttpServer, run_cli: Run,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_VAR, TOKEN)
    a = http_clone(served, "a")
    fetched = run_cli("ledger", "fetch", "--token-env", TOKEN_VAR, "--repo", str(a))
    assert fetched.code == 0, fetched.stderr
    assert fetched.stdout.startswith("origin has no ledger yet")
    tip = open_ledger(a).append([(V130, DIGEST_A, bundle(1))], "approve")
    pushed = run_cli("ledger", "push", "--token-env", TOKEN_VAR, "--repo", str(a))
    assert pushed.code == 0, pushed.stderr
    assert f"{LEDGER_REF} {tip}" in served_refs(served) and f"{HEAD_TAGS}{tip} {tip}" in served_refs(served)
    b = http_clone(served, "b")
    again = run_cli("ledger", "fetch", "--token-env", TOKEN_VAR, "--repo", str(b))
    assert again.code == 0 and open_ledger(b).tip() == tip
    assert f"{HEAD_TAGS}{tip}" in git(b, "for-each-ref", HEAD_TAGS)  # the head tags came back too
    for result in (fetched, pushed, again):
        assert_not_shown(result, *secrets_of(TOKEN))
    for clone in (a, b):
        config = (clone / ".git" / "config").read_text()
        assert all(secret not in config for secret in secrets_of(TOKEN)) and "extraheader" not in config
    assert all(values == [served.expected().replace("Basic", "basic")]
               for values in served.authorizations)


def test_the_library_takes_the_same_credentials(served: GitHttpServer) -> None:
    a = http_clone(served, "a")
    open_ledger(a).append([(V130, DIGEST_A, bundle(1))], "approve")
    with pytest.raises(EnvironmentProblem, match="cannot reach the remote 'origin'"):
        Ledger(Git(a)).push()
    ledger = Ledger(Git(a), auth=RemoteAuth(token=TOKEN))
    assert ledger.push().pushed
    assert ledger.fetch().remote_tip == ledger.tip()


def test_wrong_token_exits_three_and_is_not_shown(served: GitHttpServer, run_cli: Run,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "ghs_WrongTokenWrongTokenWrongToken0000"
    monkeypatch.setenv(TOKEN_VAR, wrong)
    a = http_clone(served, "a")
    open_ledger(a).append([(V130, DIGEST_A, bundle(1))], "approve")
    for command in ("fetch", "push"):
        result = run_cli("ledger", command, "--token-env", TOKEN_VAR, "--repo", str(a))
        assert result.code == 3, result.stderr
        assert "cannot reach the remote 'origin'" in result.stderr and "Traceback" not in result.stderr
        assert "refused the token" in result.stderr
        assert_not_shown(result, *secrets_of(wrong))
    assert LEDGER_REF not in served_refs(served)


def test_the_token_goes_to_the_remotes_host_only(served: GitHttpServer, tmp_path: Path) -> None:
    """Another port is another origin: git must not send it the header scoped to the remote."""
    (tmp_path / "other").mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(served.root / "reg.git"), str(tmp_path / "other" / "reg.git"))
    with serve_git_http(tmp_path / "other", token=TOKEN) as other, \
            RemoteAuth(token=TOKEN).access(served.url("reg.git")) as access:
        repo = Git(http_clone(served, "a")).with_remote_env(access.env)
        assert repo.remote_ref(served.url("reg.git"), "refs/heads/main") is not None
        with pytest.raises(EnvironmentProblem):
            repo.remote_ref(other.url("reg.git"), "refs/heads/main")
    assert other.authorizations and all(values == [] for values in other.authorizations)


def test_unset_or_empty_variable_is_a_usage_error_naming_it(served: GitHttpServer, run_cli: Run,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    a = str(http_clone(served, "a"))
    monkeypatch.delenv(TOKEN_VAR, raising=False)
    unset = run_cli("ledger", "fetch", "--token-env", TOKEN_VAR, "--repo", a)
    assert unset.code == 2 and f"{TOKEN_VAR} is not set" in unset.stderr, unset.stderr
    monkeypatch.setenv(KEY_VAR, "")
    empty = run_cli("ledger", "push", "--ssh-key-env", KEY_VAR, "--repo", a)
    assert empty.code == 2 and f"{KEY_VAR} is empty" in empty.stderr, empty.stderr
    assert "Traceback" not in unset.stderr + empty.stderr


def test_a_secret_given_as_the_name_is_not_echoed(served: GitHttpServer, run_cli: Run) -> None:
    result = run_cli("ledger", "fetch", "--token-env", TOKEN, "--repo", str(http_clone(served, "a")))
    assert result.code == 2 and "NAME of an environment variable" in result.stderr
    assert_not_shown(result, TOKEN)


def test_token_and_key_are_mutually_exclusive(served: GitHttpServer, run_cli: Run,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_VAR, TOKEN)
    monkeypatch.setenv(KEY_VAR, DEPLOY_KEY)
    result = run_cli("ledger", "push", "--token-env", TOKEN_VAR, "--ssh-key-env", KEY_VAR,
                     "--repo", str(http_clone(served, "a")))
    assert result.code == 2 and "mutually exclusive" in result.stderr
    assert_not_shown(result, TOKEN, KEY_LINE)


# --- deploy key over SSH --------------------------------------------------------------------------


def test_deploy_key_push_goes_over_ssh_with_only_that_key(tmp_path: Path, ssh_stub: Path, run_cli: Run,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seed = tmp_path / "a"
    seed.mkdir()
    (seed / "README.md").write_text("registry\n")
    a = init_repo(seed)
    git(a, "remote", "add", "origin", "https://github.example.test/acme/reg.git")
    open_ledger(a).append([(V130, DIGEST_A, bundle(1))], "approve")
    monkeypatch.setenv(KEY_VAR, DEPLOY_KEY.rstrip("\n"))  # as a secret store may hand it over
    result = run_cli("ledger", "push", "--ssh-key-env", KEY_VAR, "--repo", str(a))
    assert result.code == 3, result.stderr
    assert "cannot reach the remote 'origin'" in result.stderr and "Traceback" not in result.stderr
    assert "refused the SSH key" in result.stderr and "deploy key" in result.stderr
    assert_not_shown(result, DEPLOY_KEY.rstrip("\n"), KEY_LINE)
    calls = [json.loads(line) for line in ssh_stub.read_text().splitlines()]
    assert calls, "git never ran ssh"
    for call in calls:
        argv = call["argv"]
        assert "git@github.example.test" in argv and "acme/reg.git" in argv[-1]
        assert argv[argv.index("IdentitiesOnly=yes") - 1] == "-o" and "BatchMode=yes" in argv
        assert (call["key_mode"], call["dir_mode"], call["key"]) == (0o600, 0o700, DEPLOY_KEY)
        key = Path(argv[argv.index("-i") + 1])
        assert not key.exists() and not key.parent.exists()  # deleted once the push ended
    assert "git@github.example.test:acme/reg.git" in result.stderr  # where it tried, for the reader


@pytest.mark.parametrize(("url", "expected"), [
    ("https://github.com/acme/reg.git", "git@github.com:acme/reg.git"),
    ("https://github.com/acme/reg", "git@github.com:acme/reg.git"),
    ("https://x-access-token@github.com:443/acme/reg.git/", "git@github.com:acme/reg.git"),
    ("git@github.com:acme/reg.git", "git@github.com:acme/reg.git"),
    ("ssh://git@github.com/acme/reg.git", "ssh://git@github.com/acme/reg.git"),
    ("file:///srv/reg.git", "file:///srv/reg.git"),
    ("/srv/reg.git", "/srv/reg.git"),
])
def test_deploy_keys_reach_https_remotes_at_their_ssh_address(url: str, expected: str) -> None:
    assert ssh_url(url) == expected


def test_the_key_file_lives_only_while_the_access_does() -> None:
    with RemoteAuth(ssh_key=DEPLOY_KEY).access("https://github.com/acme/reg.git") as access:
        assert access.url == "git@github.com:acme/reg.git"
        key = Path(access.env["GIT_SSH_COMMAND"].split()[2])
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.read_text() == DEPLOY_KEY
    assert not key.parent.exists()


# --- the credential type --------------------------------------------------------------------------

def test_the_token_header_is_scoped_to_the_remotes_origin() -> None:
    with RemoteAuth(token=TOKEN).access("https://github.com/acme/reg.git") as access:
        env = dict(access.env)
    assert access.url == "https://github.com/acme/reg.git"
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert {env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_KEY_1"]} == {"http.https://github.com/.extraheader"}
    assert env["GIT_CONFIG_VALUE_1"] == "AUTHORIZATION: basic " + secrets_of(TOKEN)[1]


def test_secrets_stay_out_of_reprs() -> None:
    for auth in (RemoteAuth(token=TOKEN), RemoteAuth(ssh_key=DEPLOY_KEY)):
        with auth.access("https://github.com/acme/reg.git") as access:
            shown = repr(auth) + repr(access) + repr(Git(Path(".")).with_remote_env(access.env))
        assert TOKEN not in shown and KEY_LINE not in shown and "extraheader" not in shown


@pytest.mark.parametrize("kwargs", [{}, {"token": TOKEN, "ssh_key": DEPLOY_KEY}, {"token": " "}])
def test_one_credential_exactly(kwargs: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        RemoteAuth(**kwargs)


@pytest.mark.parametrize("url", ["http://github.com/acme/reg.git", "git@github.com:acme/reg.git"])
def test_a_token_is_sent_over_https_only(url: str) -> None:
    with pytest.raises(UsageError), RemoteAuth(token=TOKEN).access(url):
        pass
