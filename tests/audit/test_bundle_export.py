"""``audit export --bundle``: every approval verified by stock Sigstore tools, without clinigate.

The export's VERIFY.md commands run as written, from the export folder, in subprocesses that
never import clinigate: sigstore-python's own CLI for keyless approvals, sigstore-js
(@sigstore/verify from npm) for PKI ones, and the export's stdlib-only check_subject.py. Each
approval has a tampered-payload twin and a wrong-document twin that fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.fixtures import copy_example_registry, git, init_repo
from testing.local_sigstore import LocalSigstore, local_sigstore  # noqa: F401
from testing.sigstore_js import SigstoreJs, sigstore_js  # noqa: F401

from clinigate.audit.verify_recipe import VERIFY_HEADING
from clinigate.gitrepo import Git

pytestmark = pytest.mark.slow


def export(run_cli, repo: Path, out: Path, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = run_cli("audit", "export", "--bundle", str(out), *args, "--repo", str(repo))
    assert result.code == 0, result.stdout + result.stderr
    return dict(json.loads((out / "index.json").read_text()))


def approvals(index: dict) -> list[dict]:
    return [a for doc in index["documents"].values() for v in doc["versions"].values() for a in v["approvals"]]


def recipe_blocks(out: Path) -> list[str]:
    """The ``sh`` blocks of VERIFY.md's section 2, exactly as written."""
    text = (out / "VERIFY.md").read_text()
    return re.findall(r"```sh\n(.*?)```", text.split(VERIFY_HEADING, 1)[1], flags=re.S)


def run_as_an_auditor(out: Path, script: str, sigstore_js: SigstoreJs) -> subprocess.CompletedProcess[str]:  # noqa: F811
    """bash in the export folder, as section 1 leaves it: node_modules beside the script, and a
    python3 whose sigstore is the one section 1 installs. Nothing on the path imports clinigate."""
    modules = out / "node_modules"
    if not modules.exists():
        modules.symlink_to(sigstore_js.node_modules, target_is_directory=True)
    bindir = out.parent / "auditor-bin"
    bindir.mkdir(exist_ok=True)
    python3 = bindir / "python3"
    if not python3.exists():  # this environment's interpreter (sigstore is installed in it)
        python3.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
        python3.chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "HOME": str(out.parent), "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=out, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


def tamper_payload(bundle_path: Path) -> None:
    data = json.loads(bundle_path.read_text())
    payload = base64.b64decode(data["dsseEnvelope"]["payload"]).replace(b'"reason":"', b'"reason":"X', 1)
    data["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    bundle_path.write_text(json.dumps(data))


def test_the_demo_approvals_verify_with_sigstore_js_as_verify_md_says(
        demo_registry: Path, tmp_path: Path, run_cli, sigstore_js: SigstoreJs) -> None:  # noqa: F811
    out = tmp_path / "export"
    index = export(run_cli, demo_registry, out)
    rows = approvals(index)
    assert len(rows) >= 4 and {r["backend"] for r in rows} == {"pki"}
    assert all(r["clinigate"]["valid"] for r in rows)
    blocks = recipe_blocks(out)
    assert len(blocks) == len(rows)
    for block in blocks:
        result = run_as_an_auditor(out, block, sigstore_js)
        assert result.returncode == 0, block + result.stdout + result.stderr
        assert result.stdout.count("OK ") == 2, result.stdout  # sigstore-js, then the subject check
    # The exported bytes are what the ledger holds and what Git holds.
    for doc, entry in index["documents"].items():
        for digest, version in entry["versions"].items():
            exported = (out / version["file"]).read_bytes()
            assert hashlib.sha256(exported).hexdigest() == digest
            assert git(demo_registry, "show", f"{version['commit']}:{doc}").encode() == exported


def document_of(index: dict, bundle: str) -> Path:
    return next(Path(v["file"]) for d in index["documents"].values() for v in d["versions"].values()
                if any(a["bundle"] == bundle for a in v["approvals"]))


def assert_twins_fail(out: Path, index: dict, sigstore_js: SigstoreJs) -> None:  # noqa: F811
    """For every approval: its commands fail on a tampered payload, and on other document bytes."""
    for row in approvals(index):
        block = next(b for b in recipe_blocks(out) if row["bundle"] in b)
        bundle, document = out / row["bundle"], out / document_of(index, row["bundle"])
        original, bytes_ = bundle.read_text(), document.read_bytes()
        tamper_payload(bundle)
        refused = run_as_an_auditor(out, block, sigstore_js)
        assert refused.returncode != 0 and "OK " not in refused.stdout, refused.stdout + refused.stderr
        bundle.write_text(original)
        document.write_bytes(bytes_ + b"# edited after approval\n")
        wrong = run_as_an_auditor(out, block, sigstore_js)
        assert wrong.returncode != 0 and "OK subject" not in wrong.stdout, wrong.stdout + wrong.stderr
        document.write_bytes(bytes_)
        assert run_as_an_auditor(out, block, sigstore_js).returncode == 0  # restored, it holds again


def test_a_tampered_payload_or_another_document_fails_the_stock_check(
        demo_registry: Path, tmp_path: Path, run_cli, sigstore_js: SigstoreJs) -> None:  # noqa: F811
    out = tmp_path / "export"
    index = export(run_cli, demo_registry, out, "--model", "sepsis-ews")
    assert_twins_fail(out, index, sigstore_js)
    # sigstore-js does not read the statement: the wrong-document twin is check_subject.py's catch.
    first = approvals(index)[0]
    block = next(b for b in recipe_blocks(out) if first["bundle"] in b)
    document = out / document_of(index, first["bundle"])
    document.write_bytes(document.read_bytes() + b"\n")
    wrong = run_as_an_auditor(out, block, sigstore_js)
    assert wrong.stdout.startswith("OK ") and "FAILED: the approval covers sha256" in wrong.stderr


def test_a_revoked_certificate_fails_the_subject_check(demo_registry: Path, tmp_path: Path, run_cli,
                                                       sigstore_js: SigstoreJs) -> None:  # noqa: F811
    trust = demo_registry / "policies/trust/trust.yaml"
    out = tmp_path / "before"
    first = approvals(export(run_cli, demo_registry, out))[0]
    bundle = json.loads((out / first["bundle"]).read_text())
    leaf = base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])
    fingerprint = hashlib.sha256(leaf).hexdigest()
    trust.write_text(trust.read_text().replace("pki:\n", f"pki:\n  revoked:\n    - certificate_sha256: "
                                               f"{fingerprint}\n      revoked_on: 2026-11-01\n"
                                               "      reason: laptop stolen\n", 1))
    git(demo_registry, "commit", "-qam", "revoke a stolen key")
    after = tmp_path / "after"
    index = export(run_cli, demo_registry, after)
    assert fingerprint in index["revoked_certificate_sha256"]
    row = next(a for a in approvals(index) if a["act_id"] == first["act_id"])
    assert row["clinigate"] == {"valid": False, "rule": "approval.revoked_key"}
    assert all(row["bundle"] not in b for b in recipe_blocks(after))  # no command says it is fine
    recipe = (after / "VERIFY.md").read_text()
    assert re.search(rf"`{re.escape(row['bundle'])}` for `[^`]+`: clinigate could not verify its signature "
                     r"\(approval\.revoked_key\)", recipe), recipe
    # An auditor checking the earlier export's commands against the current index catches it too.
    block = next(b for b in recipe_blocks(out) if first["bundle"] in b)
    shutil.copy(after / "index.json", out / "index.json")
    result = run_as_an_auditor(out, block, sigstore_js)
    assert result.returncode == 1 and "was revoked by the registry" in result.stderr, result.stderr


def test_an_export_never_overwrites(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_cli("audit", "export", "--bundle", str(out), "--repo", str(demo_registry))
    assert result.code == 2 and "never overwrites" in result.stderr, result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    both = run_cli("audit", "export", "--bundle", str(tmp_path / "x"), "--pccp", "sepsis-ews",
                   "--repo", str(demo_registry))
    assert both.code == 2 and "choose one" in both.stderr


# --- keyless -------------------------------------------------------------------------------------

TRUST = """apiVersion: clinigate/v1
kind: Trust
require_signed_approvals: true
sigstore:
  trusted_root: local-sigstore-root.json
  person_issuers: [{issuer}]
  ci:
    repository: acme/clinical-models
    repository_id: "101"
    owner_id: "202"
    workflow: .github/workflows/approve.yml
"""


@pytest.fixture
def keyless_registry(tmp_path: Path, local_sigstore: LocalSigstore) -> Iterator[Path]:  # noqa: F811
    """The bundled registry trusting the local Sigstore; its production manifest approved keylessly by a
    reviewer as herself and by the CI workflow on a reviewer's behalf."""
    from testing.local_sigstore import EMAIL_ISSUER

    from clinigate.approvals.approve import ActRequest, sign_act
    from clinigate.approvals.attestation import GitHubReview
    from clinigate.approvals.keyless import SigstoreSigner
    from clinigate.demo.approvals import roles

    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    (repo / "policies/trust/trust.yaml").write_text(TRUST.format(issuer=EMAIL_ISSUER), encoding="utf-8")
    document = "models/sepsis-ews/versions/1.2.0.yaml"
    with local_sigstore.serve() as instance:
        (repo / "policies/trust/local-sigstore-root.json").write_text(instance.trusted_root_json())
        init_repo(repo)
        people = roles(repo)
        lee = people.person("jlindqvist")
        assert lee is not None
        mine = SigstoreSigner(instance.client_trust_config_json(), instance.mint_email_token(lee.email))
        sign_act(Git(repo), ActRequest(document, "clinical_reviewer", "approved", "reviewed",
                                       signer_id=lee.id), mine, check_rules=False)
        quality = next(p for p in people.people if "quality" in p.roles and p.github)
        ci = SigstoreSigner(instance.client_trust_config_json(), instance.mint_github_token())
        review = GitHubReview(reviewer_login=quality.github, reviewer_id=quality.github_id or 1, review_id=7)
        sign_act(Git(repo), ActRequest(document, "quality", "approved", "reviewed",
                                       signer_id=f"github:{quality.github}", review=review), ci, check_rules=False)
        yield repo


def test_keyless_approvals_verify_with_the_sigstore_python_cli_as_verify_md_says(
        keyless_registry: Path, tmp_path: Path, run_cli, sigstore_js: SigstoreJs) -> None:  # noqa: F811
    repo = keyless_registry
    out = tmp_path / "export"
    index = export(run_cli, repo, out)
    rows = approvals(index)
    assert {r["backend"] for r in rows} == {"sigstore"} and len(rows) == 2
    assert sorted(r["identity"]["ci_workflow"] for r in rows) == [False, True]
    blocks = recipe_blocks(out)
    assert len(blocks) == 2 and all("python3 -m sigstore --trust-config client_trust_config.json" in b
                                    for b in blocks)
    for block in blocks:
        result = run_as_an_auditor(out, block, sigstore_js)
        assert result.returncode == 0, block + result.stdout + result.stderr
        assert "OK subject" in result.stdout, result.stdout + result.stderr

    assert_twins_fail(out, index, sigstore_js)
    shutil.rmtree(out)


def test_model_and_version_narrow_the_export(demo_registry: Path, tmp_path: Path, run_cli) -> None:
    every = approvals(export(run_cli, demo_registry, tmp_path / "all"))
    index = export(run_cli, demo_registry, tmp_path / "one", "--model", "sepsis-ews", "--version", "1.2.0")
    assert set(index["documents"]) == {"models/sepsis-ews/versions/1.2.0.yaml"}
    narrowed = approvals(index)
    assert narrowed and len(narrowed) < len(every)
    assert {a["act_id"] for a in narrowed} < {a["act_id"] for a in every}


def test_trust_that_cannot_be_exported_is_an_error_and_writes_nothing(demo_registry: Path, tmp_path: Path,
                                                                      run_cli) -> None:
    trust = demo_registry / "policies/trust/trust.yaml"
    trust.write_text(trust.read_text().replace("trusted_root: public-good", "trusted_root: gone.json", 1))
    git(demo_registry, "commit", "-qam", "point at a Sigstore root that is not there")
    out = tmp_path / "export"
    result = run_cli("audit", "export", "--bundle", str(out), "--repo", str(demo_registry))
    assert result.code == 1, result.stdout + result.stderr
    assert "policies/trust/trust.yaml" in result.stderr and "gone.json is not in policies/trust/" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
