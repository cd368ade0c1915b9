"""Credentials for the git calls that talk to a remote: a token over HTTPS, or an SSH deploy key.

    auth = RemoteAuth.from_environment(token_var="GITHUB_TOKEN")
    with auth.access("https://github.com/acme/registry.git") as access:
        git.with_remote_env(access.env).fetch_ref(access.url, ref, into)

Secrets travel only in the subprocess environment (``GIT_CONFIG_*``, ``GIT_SSH_COMMAND``): never
on argv (visible to every user in ``ps``), never in ``.git/config`` (kept after the job, and
read by every later step). :class:`RemoteAuth` and :class:`RemoteAccess` never show them in
their ``repr``.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .._internal.network import is_loopback
from ..errors import UsageError

# Shown in an error only when it looks like a variable name: a secret passed by mistake as the
# *name* (`--token-env ghp_...`) must not be echoed back into a public CI log.
_SHOWN_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")


@dataclass(frozen=True)
class RemoteAccess:
    """What the remote-touching git calls need: the URL to contact and their extra environment."""

    url: str
    env: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class RemoteAuth:
    """A token (HTTP basic auth, as actions/checkout sends it) or an SSH private key; exactly one."""

    token: str | None = field(default=None, repr=False)
    ssh_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.token is None) == (self.ssh_key is None):
            raise UsageError("authenticate to the remote with a token or with an SSH key: exactly one")
        if not (self.token or self.ssh_key or "").strip():
            raise UsageError(f"the {self.kind} for the remote is empty")

    @property
    def kind(self) -> str:
        return "token" if self.token is not None else "SSH key"

    def __repr__(self) -> str:
        return f"RemoteAuth(kind={self.kind!r})"

    @classmethod
    def from_environment(cls, *, token_var: str | None = None, ssh_key_var: str | None = None,
                         environ: Mapping[str, str] | None = None) -> RemoteAuth | None:
        """The credential held by the environment variable named ``token_var`` or ``ssh_key_var``.

        None when neither is named (git's own credentials apply); :class:`UsageError` when both
        are, or when the named variable is unset or empty.
        """
        if token_var is not None and ssh_key_var is not None:
            raise UsageError("--token-env and --ssh-key-env are mutually exclusive: give one")
        environ = os.environ if environ is None else environ
        if token_var is not None:
            return cls(token=_secret(environ, token_var, "a token"))
        if ssh_key_var is not None:
            return cls(ssh_key=_secret(environ, ssh_key_var, "an SSH private key"))
        return None

    @contextmanager
    def access(self, url: str) -> Iterator[RemoteAccess]:
        """The access to the remote at ``url`` (its fetch URL) while the block runs.

        SSH: the key is written to a file only this user can read, deleted when the block ends.
        """
        if self.token is not None:
            yield RemoteAccess(url, _token_env(url, self.token))
            return
        assert self.ssh_key is not None  # __post_init__: exactly one is set
        folder = Path(tempfile.mkdtemp(prefix="clinigate-ssh-"))  # mode 0700
        try:
            key = folder / "deploy_key"
            _write_private(key, self.ssh_key)
            yield RemoteAccess(ssh_url(url), {"GIT_SSH_COMMAND": ssh_command(key)})
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _secret(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "")
    if value.strip():
        return value
    state = "is empty" if name in environ else "is not set"
    message = (f"the environment variable {name} {state}; it should hold {what}"
               if _SHOWN_NAME_RE.match(name) else
               f"the environment variable named on the command line {state} (the name is not "
               f"repeated here: it does not look like a variable name); it should hold {what}")
    raise UsageError(message,
                     hint="--token-env and --ssh-key-env take the NAME of an environment variable "
                          "(e.g. --token-env GITHUB_TOKEN), never the secret itself")


def ssh_url(url: str) -> str:
    """``https://host/owner/repo(.git)`` as ``git@host:owner/repo.git``; any other URL as it is.

    A deploy key authenticates over SSH only, while a checkout's remote is usually HTTPS.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return url  # ssh://, scp-style git@host:path, file:// or a local path
    path = parts.path.strip("/").removesuffix(".git")
    if not parts.hostname or not path:
        raise UsageError(f"cannot derive an SSH address for a deploy key from the remote URL {url!r}")
    return f"git@{parts.hostname}:{path}.git"


def ssh_command(key: Path) -> str:
    # BatchMode: fail rather than prompt for a passphrase or a host key in CI. StrictHostKeyChecking
    # stays at ssh's default (ask, so under BatchMode refuse unknown hosts): the GitHub runner's
    # known_hosts already holds github.com's keys, and trusting any host key would hand the key's
    # push rights to whoever answers for the name.
    return f"ssh -i {shlex.quote(str(key))} -o IdentitiesOnly=yes -o BatchMode=yes"


def _write_private(path: Path, key: str) -> None:
    # OpenSSH rejects a key without its final newline ("invalid format"), which secret stores and
    # `echo -n` readily drop. O_EXCL + 0600 at creation: the key is never readable by others.
    text = key.replace("\r\n", "\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text if text.endswith("\n") else text + "\n")


def _token_env(url: str, token: str) -> dict[str, str]:
    """``http.<scheme://host/>.extraheader`` as actions/checkout sets it, scoped to the remote's host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(f"a token authenticates over HTTPS, but the remote URL is {url!r}",
                         hint="use --ssh-key-env with an SSH remote, or an https:// remote")
    host = parts.netloc.rpartition("@")[2]  # config URL matching ignores the user name anyway
    if scheme == "http" and not is_loopback(parts.hostname or ""):
        raise UsageError(f"refusing to send a token in clear text to {host} (the remote is http://)")
    key = f"http.{scheme}://{host}/.extraheader"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    # The empty value first clears extra headers from the config files (e.g. a checkout that
    # persisted its credentials): two Authorization headers would make the request fail.
    return _config_env([(key, ""), (key, f"AUTHORIZATION: basic {basic}")])


def _config_env(entries: Sequence[tuple[str, str]]) -> dict[str, str]:
    # The layer's git processes inherit no GIT_* variable (command.CleanCommand), so this count
    # is the only one git sees.
    env = {"GIT_CONFIG_COUNT": str(len(entries))}
    for i, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env
