"""OpenSSF model signatures: a real signed artifact in a real MLflow server, and its tampered twin.

Signing uses the ``model_signing`` CLI exactly as a training pipeline would
(``model_signing sign key <dir> --private_key k.pem --signature <dir>/model.sig``); the twin
changes one byte of the weights after signing, so its clinigate digest (computed from MLflow's
copy, as ``clinigate propose`` does) still matches the manifest and only the signature catches it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from testing.fixtures import git, init_repo
from testing.mlflow_server import log_model_version

from clinigate.gitrepo import Git
from clinigate.registry.actual import MlflowRegistry
from clinigate.registry.digest import artifact_digest
from clinigate.registry.model_signature import (
    KEYS_FOLDER,
    TrustedKey,
    find_signature,
    trusted_keys,
    verify_signature,
)
from clinigate.registry.plan import Refuse, SetAlias, _verify_digest

WEIGHTS = bytes(range(256)) * 16


def _key_pair(folder: Path, name: str) -> tuple[Path, TrustedKey]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / f"{name}.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, TrustedKey(f"{KEYS_FOLDER}/{name}.pub", public)


def _model_folder(root: Path) -> Path:
    folder = root / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "weights.bin").write_bytes(WEIGHTS)
    (folder / "sub" / "features.json").write_text('["a", "b"]\n')
    return folder


def _sign(folder: Path, private_key: Path) -> None:
    """The model_signing CLI, as a pipeline runs it (it leaves model.sig out of what it signs)."""
    done = subprocess.run([sys.executable, "-m", "model_signing", "sign", "key", str(folder), "--private_key",
                           str(private_key), "--signature", str(folder / "model.sig")],
                          capture_output=True, text=True, cwd=folder.parent, env={**os.environ, "HOME": str(folder.parent)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "model.sig").is_file()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, TrustedKey, TrustedKey]:
    """A signed model folder (kept pristine: copy it), its signer's key and an unrelated key."""
    root = tmp_path_factory.mktemp("signed")
    private, trusted = _key_pair(root, "release-ci")
    _, other = _key_pair(root, "someone-else")
    folder = _model_folder(root)
    _sign(folder, private)
    return folder, private, trusted, other


def _copy(folder: Path, dest: Path, *, tamper: bool = False) -> Path:
    copy = shutil.copytree(folder, dest / "model")
    if tamper:
        data = bytearray((copy / "weights.bin").read_bytes())
        data[100] ^= 0x01
        (copy / "weights.bin").write_bytes(bytes(data))
    return copy


# ----------------------------------------------------------------------------- on a local folder


def test_signed_folder_verifies_with_its_key(signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _, trusted, other = signed
    copy = _copy(folder, tmp_path)
    signature = find_signature(copy)
    assert signature is not None
    verdict = verify_signature(copy, signature, (other, trusted))
    assert verdict.verified and verdict.key == trusted.path, verdict


def test_one_byte_changed_after_signing_is_refused(signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _, trusted, _ = signed
    copy = _copy(folder, tmp_path, tamper=True)
    verdict = verify_signature(copy, copy / "model.sig", (trusted,))
    assert not verdict.verified
    assert "weights.bin" in (verdict.problem or "") and trusted.path in (verdict.problem or "")


def test_untrusted_key_and_no_key(signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _, _, other = signed
    verdict = verify_signature(_copy(folder, tmp_path / "a"), tmp_path / "a" / "model" / "model.sig", (other,))
    assert not verdict.verified and other.path in (verdict.problem or "")
    verdict = verify_signature(_copy(folder, tmp_path / "b"), tmp_path / "b" / "model" / "model.sig", ())
    assert not verdict.verified
    assert f"{KEYS_FOLDER}/<signer>.pub" in (verdict.problem or "")


def test_unsigned_folder_has_no_signature(tmp_path: Path) -> None:
    assert find_signature(_model_folder(tmp_path)) is None


def test_signature_made_outside_then_copied_in(signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Signed with the default ``--signature model.sig`` in the working folder, then shipped inside."""
    _, private, trusted, _ = signed
    folder = _model_folder(tmp_path)
    done = subprocess.run([sys.executable, "-m", "model_signing", "sign", "key", str(folder), "--private_key",
                           str(private)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    shutil.move(tmp_path / "model.sig", folder / "model.sig")
    assert verify_signature(folder, folder / "model.sig", (trusted,)).verified


def test_trusted_keys_come_from_git(signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, trusted, other = signed
    repo = tmp_path / "repo"
    (repo / KEYS_FOLDER).mkdir(parents=True)
    (repo / KEYS_FOLDER / "release-ci.pub").write_bytes(trusted.pem)
    (repo / KEYS_FOLDER / "README.md").write_text("not a key\n")
    init_repo(repo)
    (repo / KEYS_FOLDER / "someone-else.pub").write_bytes(other.pem)  # not committed: not trusted
    assert trusted_keys(Git(repo), "main") == (trusted,)
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "second key")
    assert [k.path for k in trusted_keys(Git(repo), "main")] == [trusted.path, other.path]


# ----------------------------------------------------------------------------- through a real server


def _production_move(uri: str, tmp_path: Path, folder: Path, keys: tuple[TrustedKey, ...]) -> object:
    """Log ``folder`` as a new version, then ask sync's check whether production may move to it."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    logged = log_model_version(client, f"signed-p{os.getpid()}-{tmp_path.name[-12:]}", files, tmp_path)
    assert logged.digest == artifact_digest(folder)  # model.sig is part of the clinigate digest
    action = SetAlias(logged.registered_model, "production", logged.version, "test", None, logged.digest,
                      logged.source)
    return _verify_digest(action, MlflowRegistry(uri, model_keys=keys))


@pytest.mark.slow
def test_server_signed_version_moves_and_tampered_twin_is_refused(  # type: ignore[no-untyped-def]
        mlflow_server: str, signed, tmp_path: Path) -> None:
    folder, _, trusted, _ = signed
    good = _production_move(mlflow_server, tmp_path / "good", _copy(folder, tmp_path / "good"), (trusted,))
    assert isinstance(good, SetAlias), good

    twin = _production_move(mlflow_server, tmp_path / "twin", _copy(folder, tmp_path / "twin", tamper=True),
                            (trusted,))
    assert isinstance(twin, Refuse), twin
    assert "model signature refused" in twin.reason and "weights.bin" in twin.reason
    assert "production was not moved" in twin.reason


@pytest.mark.slow
def test_server_signed_version_without_trusted_key_is_refused(  # type: ignore[no-untyped-def]
        mlflow_server: str, signed, tmp_path: Path) -> None:
    folder, _, _, _ = signed
    refused = _production_move(mlflow_server, tmp_path, _copy(folder, tmp_path), ())
    assert isinstance(refused, Refuse), refused
    assert KEYS_FOLDER in refused.reason


@pytest.mark.slow
def test_server_unsigned_version_needs_no_key(mlflow_server: str, tmp_path: Path) -> None:
    assert isinstance(_production_move(mlflow_server, tmp_path, _model_folder(tmp_path / "m"), ()), SetAlias)
