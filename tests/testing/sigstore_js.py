"""Stock sigstore-js (@sigstore/verify from npm) running clinigate's shipped verifier script.

``CLINIGATE_SIGSTORE_JS`` names a folder holding ``node_modules`` with the packages pinned in
``.ci/sigstore-js/package-lock.json`` (``.ci/run`` installs them with ``npm ci`` into a temporary
folder). The script is the one the package ships, ``clinigate/audit/export_files/sigstore_js_verify.mjs``,
run with ``node`` and ``NODE_PATH=<install>/node_modules``, as an auditor would run it::

    from testing.sigstore_js import SigstoreJs, sigstore_js  # noqa: F401

    def test_x(sigstore_js: SigstoreJs, tmp_path: Path) -> None:
        result = sigstore_js.verify(tmp_path, trusted_root, bundle_json, "ada@hospital.example")
        assert result.returncode == 0, result.stderr

Without the variable the tests that use the fixture are skipped, unless
``CLINIGATE_REQUIRE_SIGSTORE_JS=1`` (CI sets it): then they fail, so CI cannot skip them silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import pytest

INSTALL_ENV = "CLINIGATE_SIGSTORE_JS"
REQUIRE_ENV = "CLINIGATE_REQUIRE_SIGSTORE_JS"
PACKAGES = ("@sigstore/verify", "@sigstore/bundle", "@sigstore/protobuf-specs")
TIMEOUT_SECONDS = 60


def script_path() -> Path:
    """The verifier script as the installed package ships it (package data, not the source tree)."""
    return Path(str(resources.files("clinigate.audit") / "export_files" / "sigstore_js_verify.mjs"))


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but sigstore-js cannot run: {reason}", pytrace=False)
    pytest.skip(f"sigstore-js not available: {reason} (install .ci/sigstore-js with `npm ci` and set "
                f"{INSTALL_ENV} to that folder)")


def locate() -> tuple[str, Path]:
    """``node`` and the install's node_modules; skips (or, when required, fails) if either is missing."""
    folder = os.environ.get(INSTALL_ENV)
    if not folder:
        _unavailable(f"{INSTALL_ENV} is not set")
    modules = Path(folder).resolve() / "node_modules"
    missing = [name for name in PACKAGES if not (modules / name / "package.json").is_file()]
    if missing:
        _unavailable(f"{INSTALL_ENV}={folder} has no {', '.join(missing)} under node_modules")
    node = shutil.which("node")
    if node is None:
        _unavailable("no `node` on PATH")
    return node, modules


@dataclass(frozen=True)
class SigstoreJs:
    node: str
    node_modules: Path

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """``node sigstore_js_verify.mjs ARGS`` with the install on NODE_PATH."""
        env = {**os.environ, "NODE_PATH": str(self.node_modules)}
        return subprocess.run([self.node, str(script_path()), *args], capture_output=True, text=True,
                              env=env, timeout=TIMEOUT_SECONDS, check=False)

    def verify(self, directory: Path, trusted_root: dict[str, Any], bundle: str | dict[str, Any], san: str,
               *options: str) -> subprocess.CompletedProcess[str]:
        """Write ``trusted_root.json`` and ``approval.sigstore.json`` into ``directory`` and verify."""
        directory.mkdir(parents=True, exist_ok=True)
        root_path, bundle_path = directory / "trusted_root.json", directory / "approval.sigstore.json"
        root_path.write_text(json.dumps(trusted_root, indent=2), encoding="utf-8")
        bundle_path.write_text(bundle if isinstance(bundle, str) else json.dumps(bundle), encoding="utf-8")
        return self(["--trusted-root", str(root_path), "--bundle", str(bundle_path), "--san", san, *options])


@pytest.fixture(scope="session")
def sigstore_js() -> SigstoreJs:
    node, modules = locate()
    return SigstoreJs(node, modules)
