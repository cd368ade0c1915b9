"""A recording ``ssh`` stub first on PATH, and the (fake) deploy key a test hands to clinigate.

github.com cannot exist here, so the stub is the only fake: it records each call's argv and the
``-i`` key file's mode and content, then fails as ssh fails when it cannot connect.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

KEY_VAR = "CLINIGATE_TEST_DEPLOY_KEY"
DEPLOY_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
              "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
              "QyNTUxOQAAACBmYWtlLWRlcGxveS1rZXktZm9yLWNsaW5pZ2F0ZS10ZXN0cwAAAJiFakeK\n"
              "-----END OPENSSH PRIVATE KEY-----\n")
KEY_LINE = DEPLOY_KEY.splitlines()[1]

STUB_SSH = '''#!{python}
"""ssh as git runs it: record argv and the -i file's mode and content, then fail like ssh."""
import json, os, stat, sys
argv = sys.argv[1:]
key = argv[argv.index("-i") + 1]
record = {{"argv": argv, "key_mode": stat.S_IMODE(os.stat(key).st_mode),
          "dir_mode": stat.S_IMODE(os.stat(os.path.dirname(key)).st_mode),
          "key": open(key, encoding="utf-8").read()}}
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps(record) + "\\n")
sys.stderr.write("ssh: connect to host github.example.test port 22: Connection refused\\n")
sys.exit(255)
'''


@pytest.fixture
def ssh_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``ssh`` first on PATH that records each call to the returned log file."""
    folder, log = tmp_path / "stub-bin", tmp_path / "ssh-calls.jsonl"
    folder.mkdir()
    stub = folder / "ssh"
    stub.write_text(STUB_SSH.format(python=sys.executable, log=str(log)))
    stub.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log
