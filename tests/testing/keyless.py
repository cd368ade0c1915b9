"""The example registry trusting a private Sigstore instance served on loopback (keyless approvals)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clinigate.demo.approvals import DemoPki
from clinigate.demo.manifests import write_data_update
from testing.approvals import SignedRegistry
from testing.fixtures import copy_example_registry, git, init_repo
from testing.local_sigstore import EMAIL_ISSUER, LocalSigstore

KEYLESS_TRUST = f"""apiVersion: clinigate/v1
kind: Trust
require_signed_approvals: true
sigstore:
  trusted_root: local-sigstore-root.json
  person_issuers: [{EMAIL_ISSUER}]
  ci:
    repository: acme/clinical-models
    repository_id: "101"
    owner_id: "202"
    workflow: .github/workflows/approve.yml
"""


@contextmanager
def keyless_repo(tmp_path: Path, local_sigstore: LocalSigstore,
                 trust: str = KEYLESS_TRUST) -> Iterator[tuple[SignedRegistry, LocalSigstore]]:
    """The example registry trusting the served local Sigstore (``trust``); branch ``review`` adds a
    data update and is checked out."""
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    (repo / ".gitignore").write_text(".demo-pki/\n", encoding="utf-8")
    pki = DemoPki.create(repo)  # unused CA; the trust below replaces its trust.yaml
    (repo / "policies/trust/trust.yaml").write_text(trust, encoding="utf-8")
    with local_sigstore.serve() as instance:
        (repo / "policies/trust/local-sigstore-root.json").write_text(instance.trusted_root_json())
        init_repo(repo)
        git(repo, "switch", "-q", "-c", "review")
        reg = SignedRegistry(repo, pki, "review", write_data_update(repo))
        reg.commit("add a data update")
        yield reg, instance
