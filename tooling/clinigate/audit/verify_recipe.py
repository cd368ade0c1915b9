"""VERIFY.md of a bundle export: the exact commands that verify each approval with stock tools.

Section 2's ``sh`` blocks run as written from the export folder once section 1 has installed the
verifiers (the tests run them so); each command exits non-zero when its check fails.
"""

from __future__ import annotations

import shlex

from .bundles import SIGSTORE_JS, SIGSTORE_PYTHON, BundleExport, ExportedApproval

VERIFY_HEADING = "## 2. Verify each approval"
CI_ISSUER = "https://token.actions.githubusercontent.com"


def render_recipe(export: BundleExport) -> str:
    parts = [_intro(export), _setup(), f"{VERIFY_HEADING}\n\n"
             "Each block checks one approval: the signature over the statement, the certificate's chain "
             "to the trusted root, the signing time, the signer's identity, and (check_subject.py) that "
             "the statement covers exactly the exported document and that the certificate is not revoked.\n"]
    parts += [_block(a) for a in export.approvals if a.stock_verifiable]
    if export.skipped:
        parts.append(_left_out(export.skipped))
    parts.append(_beyond())
    return "\n".join(parts)


def _intro(export: BundleExport) -> str:
    return (f"# Verifying the approvals of this registry without clinigate\n\n"
            f"Exported from `{export.rev}` at commit `{export.commit}`: {len(export.approvals)} approval "
            "act(s). Every file named below is in this folder; `index.json` maps each document to its "
            "approvals and the identity each must carry. The bundles are the ledger's files, byte for byte; "
            "each `documents/<sha256>/<path>` holds the exact bytes an approval covers, and `index.json` "
            "names a commit where `git show <commit>:<path>` gives the same bytes.\n\n"
            "Two roots of trust, kept apart: `trusted_root.json` holds the hospital CA and TSA (approvals "
            "signed with a reviewer's own certificate, checked with sigstore-js), `client_trust_config.json` "
            "the Sigstore instance (keyless approvals, checked with sigstore-python). A certificate from the "
            "hospital CA can therefore never pass as a keyless or CI-workflow identity.\n")


def _setup() -> str:
    npm = " ".join(SIGSTORE_JS)
    return ("## 1. Install the verifiers (once; needs the network)\n\n"
            "```sh\n"
            "python3 -m venv .venv && . .venv/bin/activate   # python3 below is this one\n"
            f"python3 -m pip install '{SIGSTORE_PYTHON}'\n"
            f"npm install --no-save --no-audit --no-fund {npm}\n"
            "```\n\n"
            "`npm` installs into `node_modules/` beside `sigstore_js_verify.mjs`, where Node finds it.\n")


def _block(a: ExportedApproval) -> str:
    q = shlex.quote
    assert a.document_file is not None and a.identity is not None
    verdict = "valid" if a.clinigate_valid else f"not counted ({a.clinigate_rule})"
    on_behalf = " (the CI workflow, on a reviewer's behalf)" if a.ci_workflow else ""
    title = (f"### {a.number:03d} · {a.decision} as {a.role} by {a.printed_name} · `{a.document}`\n\n"
             f"clinigate's verdict at export: {verdict}. Signed by `{a.identity}`{on_behalf}.\n\n")
    if a.backend == "sigstore":
        verify = ("python3 -m sigstore --trust-config client_trust_config.json verify identity --offline \\\n"
                  f"  --bundle {q(a.bundle_file)} \\\n"
                  f"  --cert-identity {q(a.identity)} --cert-oidc-issuer {q(a.issuer or CI_ISSUER)} \\\n"
                  f"  {q(a.document_file)}\n")
    else:
        verify = ("node sigstore_js_verify.mjs --trusted-root trusted_root.json \\\n"
                  f"  --bundle {q(a.bundle_file)} --san {q(a.identity)} \\\n"
                  "  --tlog-threshold 0 --ctlog-threshold 0 --tsa-threshold 1\n")
    subject = (f"python3 check_subject.py {q(a.bundle_file)} {q(a.document_file)} \\\n"
               f"  --name {q(a.document)} --index index.json\n")
    return f"{title}```sh\n{verify}{subject}```\n"


def _left_out(left: list[ExportedApproval]) -> str:
    lines = ["## Acts no stock verifier can check here\n"]
    for a in left:
        if a.document_file is None:
            why = ("the document bytes it covers never reached this branch (signed on a branch not merged, "
                   "or edited before merge)")
        elif a.backend is None:
            why = f"clinigate could not verify its signature ({a.clinigate_rule})"
        else:
            why = ("a PKI approval without an RFC 3161 timestamp (the registry allows them: "
                   "pki.require_timestamp is false); its time is only claimed, and sigstore-js refuses it")
        lines.append(f"- {a.number:03d} `{a.bundle_file}` for `{a.document}`: {why}.")
    return "\n".join(lines) + "\n"


def _beyond() -> str:
    return ("## What these commands do not check\n\n"
            "Whether the signer held the role in `policies/roles.yaml`, separation of duties (author, "
            "submitter, commit authors), the rules of the pull request's base revision, and revocation acts "
            "on the ledger: clinigate judges those (`clinigate verify`, `clinigate audit verify`); "
            "`index.json` records its verdict for each act at export time.\n")
