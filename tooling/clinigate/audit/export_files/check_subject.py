#!/usr/bin/env python3
"""The check stock Sigstore verifiers leave to you: the approval covers exactly this document.

    python3 check_subject.py BUNDLE DOCUMENT --name REGISTRY_PATH [--index index.json]

It reads the in-toto statement inside the bundle's DSSE envelope (whose signature sigstore-js or
sigstore-python has just verified) and checks that its first subject names REGISTRY_PATH with the
sha256 of DOCUMENT's bytes, and, given the export's index.json, that the signing certificate is
not one the registry's trust.yaml revoked. Standard library only; written by clinigate's
`audit export --bundle`, and deliberately independent of it. Exit 0 when it holds, 1 otherwise.
"""

import argparse
import base64
import hashlib
import json
import sys
from typing import Any


def _certificate(material: dict[str, Any]) -> str:
    if "certificate" in material:
        return str(material["certificate"]["rawBytes"])
    return str(material["x509CertificateChain"]["certificates"][0]["rawBytes"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle")
    parser.add_argument("document")
    parser.add_argument("--name", required=True, help="the document's path in the registry")
    parser.add_argument("--index", help="the export's index.json (for the revoked certificates)")
    args = parser.parse_args()
    with open(args.bundle, encoding="utf-8") as handle:
        bundle = json.load(handle)
    envelope = bundle["dsseEnvelope"]
    if envelope["payloadType"] != "application/vnd.in-toto+json":
        return _fail(f"the envelope holds {envelope['payloadType']!r}, not an in-toto statement")
    statement = json.loads(base64.b64decode(envelope["payload"]))
    subject = statement["subject"][0]
    with open(args.document, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    if subject["name"] != args.name:
        return _fail(f"the approval covers {subject['name']!r}, not {args.name!r}")
    if subject["digest"].get("sha256") != digest:
        return _fail(f"the approval covers sha256 {subject['digest'].get('sha256')}, "
                     f"{args.document} has sha256 {digest}")
    fingerprint = hashlib.sha256(base64.b64decode(_certificate(bundle["verificationMaterial"]))).hexdigest()
    if args.index:
        with open(args.index, encoding="utf-8") as handle:
            revoked = json.load(handle).get("revoked_certificate_sha256", [])
        if fingerprint in revoked:
            return _fail(f"the signing certificate (sha256 {fingerprint}) was revoked by the registry")
    print(f"OK subject {args.name} sha256 {digest} · {statement['predicate'].get('decision')} as "
          f"{statement['predicate'].get('role')} · certificate sha256 {fingerprint}")
    return 0


def _fail(message: str) -> int:
    print(f"FAILED: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
