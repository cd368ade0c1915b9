"""Median time to verify one approval, keyless (Sigstore) and offline PKI, measured side by side.

    python benchmarks/bench_verify.py --runs 50

Keyless bundles come from a private Sigstore instance on loopback (the test suite's
``tests/testing/local_sigstore.py``; verification itself never touches the network), PKI
bundles from a throwaway CA. Three timings per backend: the backend's ``verify`` alone (warm
verifier), the full judgement of one document (``ApprovalBook.judge``: ledger read, signature,
statement, roles, digests), and the ``clinigate verify PATH`` command end to end (process
start-up and imports included).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: lazy imports, verifier construction
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def registry(tmp: Path, trust_yaml: str | None = None) -> tuple[Path, object]:
    from testing.approvals import SignedRegistry
    from testing.fixtures import copy_example_registry, git, init_repo

    from clinigate.demo.approvals import DemoPki
    from clinigate.demo.manifests import write_data_update

    repo = tmp / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    (repo / ".gitignore").write_text(".demo-pki/\n", encoding="utf-8")
    pki = DemoPki.create(repo)
    if trust_yaml is not None:
        (repo / "policies/trust/trust.yaml").write_text(trust_yaml, encoding="utf-8")
    return repo, (pki, SignedRegistry, git, init_repo, write_data_update)


def run(runs: int) -> list[tuple[str, float, float, float]]:
    from testing.local_sigstore import EMAIL_ISSUER, LocalSigstore

    from clinigate.approvals.approve import ActRequest, sign_act
    from clinigate.approvals.keyless import SigstoreSigner
    from clinigate.approvals.review import ApprovalBook

    rows = []
    sigstore = LocalSigstore()
    with sigstore.serve(), tempfile.TemporaryDirectory() as scratch:
        for backend in ("pki", "sigstore"):
            tmp = Path(scratch) / backend
            tmp.mkdir()
            trust = None
            if backend == "sigstore":
                trust = ("apiVersion: clinigate/v1\nkind: Trust\nsigstore:\n  trusted_root: root.json\n"
                         f"  person_issuers: [{EMAIL_ISSUER}]\n")
            repo, (pki, signed_registry, git, init_repo, write_data_update) = registry(tmp, trust)
            if backend == "sigstore":
                (repo / "policies/trust/root.json").write_text(sigstore.trusted_root_json())
            init_repo(repo)
            git(repo, "switch", "-q", "-c", "review")
            reg = signed_registry(repo, pki, "review", write_data_update(repo))
            reg.commit("add a data update")
            if backend == "pki":
                reg.sign("jlindqvist", "clinical_reviewer")
            else:
                person = reg.person("jlindqvist")
                signer = SigstoreSigner(sigstore.client_trust_config_json(),
                                        sigstore.mint_email_token(person.email))
                sign_act(reg.git, ActRequest(reg.version_path, "clinical_reviewer", "approved", "ok",
                                             signer_id=person.id), signer)
            with ApprovalBook.open(reg.git, base="main") as book:
                (entry,) = book.ledger.entries(document_path=reg.version_path)
                verifier = next(v for v in book.verifiers if v.backend == backend)
                alone = median_ms(lambda v=verifier, e=entry: v.verify(e.text), runs)
                judged = median_ms(lambda b=book, r=reg: b.judge(r.version_path, rev="review"), runs)
                assert all(v.valid for v in book.judge(reg.version_path, rev="review"))
            exe = shutil.which("clinigate") or str(Path(sys.executable).parent / "clinigate")
            argv, cwd = [exe, "verify", reg.version_path], repo
            command = median_ms(
                lambda a=argv, c=cwd: subprocess.run(a, cwd=c, check=True, capture_output=True),
                max(5, runs // 10))
            rows.append((backend, alone, judged, command))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print("| backend | verify() median | judge one document median | `clinigate verify PATH` median |")
    print("|---|---|---|---|")
    for backend, alone, judged, command in run(args.runs):
        print(f"| {backend} | {alone:.2f} ms | {judged:.2f} ms | {command:.0f} ms |")


if __name__ == "__main__":
    main()
