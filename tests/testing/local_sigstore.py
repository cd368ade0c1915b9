"""A private Sigstore instance on loopback, so keyless signing is tested with the unmodified library.

Real cryptography throughout: a Fulcio-like CA that issues GitHub- or e-mail-shaped leaf
certificates with an embedded precertificate SCT, a Rekor v1-like log with RFC 6962 Merkle
proofs, a signed checkpoint and a signed entry timestamp, and an OIDC issuer minting ES256
JWTs. Only the roots of trust differ from public-good; sigstore's ``Signer`` and ``Verifier``
run untouched against it (shared/notes/signing.md §2).

    sigstore = LocalSigstore()
    with sigstore.serve():
        config_json = sigstore.client_trust_config_json()
        token = sigstore.mint_github_token()

Pass ``tsas=[local_tsa]`` (tests/testing/local_tsa.py) to list RFC 3161 TSAs in both the signing
config (``tsaUrls``: the Signer asks every one of them for a token) and the trusted root
(``timestampAuthorities``). ``trusted_root(tsas=...)`` narrows the TSAs a verifier trusts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt
import pytest
import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clinigate.approvals.backend import SignatureInvalid, Verifier
from clinigate.manifest.trust import CiIdentity
from testing.serving import serving

if TYPE_CHECKING:
    from testing.local_tsa import LocalTSA

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
EMAIL_ISSUER = "https://accounts.example.test"
AUDIENCE = "sigstore"
SCT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
FULCIO = "1.3.6.1.4.1.57264.1."
IN_TOTO = "application/vnd.in-toto+json"
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# The CI identity that LocalSigstore.mint_github_token's defaults describe.
CI = CiIdentity(repository="acme/clinical-models", repository_id="101", owner_id="202",
                workflow=".github/workflows/approve.yml")


def refused(verifier: Verifier, bundle_json: str) -> SignatureInvalid:
    """The refusal ``verifier`` raises for ``bundle_json`` (fails the test if it accepts it)."""
    with pytest.raises(SignatureInvalid) as caught:
        verifier.verify(bundle_json)
    return caught.value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962 log id / key id: sha256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(_spki(key)).digest()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


# --- Fulcio-like CA ---------------------------------------------------------------------------


def _ca_cert(name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
             issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "clinigate.test"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(EPOCH)
        .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _der_utf8(value: str) -> bytes:
    return asn1.encode_der(value)


def _github_extensions(claims: dict[str, Any]) -> dict[str, bytes]:
    """Fulcio's GitHub Actions mapping (fulcio docs/oid-info.md): .1.2-.1.6 raw, .1.9-.1.22 DER."""
    gh = "https://github.com/"
    repo = claims["repository"]
    der = {
        9: gh + claims["job_workflow_ref"], 10: claims["job_workflow_sha"], 11: claims["runner_environment"],
        12: gh + repo, 13: claims["sha"], 14: claims["ref"], 15: claims["repository_id"],
        16: gh + claims["repository_owner"], 17: claims["repository_owner_id"], 18: gh + claims["workflow_ref"],
        19: claims["workflow_sha"], 20: claims["event_name"],
        21: f"{gh}{repo}/actions/runs/{claims['run_id']}/attempts/{claims['run_attempt']}",
        22: claims["repository_visibility"],
    }
    raw = {2: claims["event_name"], 3: claims["sha"], 4: claims["workflow"], 5: repo, 6: claims["ref"]}
    out = {f"{FULCIO}{n}": v.encode() for n, v in raw.items()}
    out.update({f"{FULCIO}{n}": _der_utf8(v) for n, v in der.items()})
    return out


def _identity(claims: dict[str, Any]) -> tuple[x509.GeneralName, dict[str, bytes]]:
    """The SAN and the Sigstore extensions Fulcio derives from a verified token."""
    issuer = claims["iss"]
    extensions = {f"{FULCIO}1": issuer.encode(), f"{FULCIO}8": _der_utf8(issuer)}
    if "email" in claims:
        return x509.RFC822Name(claims["email"]), extensions
    extensions.update(_github_extensions(claims))
    return x509.UniformResourceIdentifier("https://github.com/" + claims["job_workflow_ref"]), extensions


@dataclass
class CtLog:
    """Signs RFC 6962 precertificate SCTs, embedded by the CA into each leaf."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=_new_key)

    def sct_extension(self, tbs_precert: bytes, issuer_key: ec.EllipticCurvePublicKey) -> x509.Extension[Any]:
        # Whole seconds: sigstore rebuilds the millisecond timestamp through a float.
        millis = int(time.time()) * 1000
        entry = _key_id(issuer_key) + len(tbs_precert).to_bytes(3, "big") + tbs_precert
        signed = struct.pack(f"!BBQH{len(entry)}sH", 0, 0, millis, 1, entry, 0)
        signature = _sign(self.key, signed)
        sct = (struct.pack("!B32sQH", 0, _key_id(self.key.public_key()), millis, 0)
               + struct.pack("!BBH", 4, 3, len(signature)) + signature)
        sct_list = struct.pack("!HH", len(sct) + 2, len(sct)) + sct
        value = x509.UnrecognizedExtension(SCT_OID, asn1.encode_der(sct_list))
        return x509.Extension(SCT_OID, False, value)


class FulcioCA:
    """Root plus optional intermediate; issues 10-minute code-signing leaves like Fulcio v2."""

    def __init__(self, name: str, intermediate: bool = True) -> None:
        self.root_key = _new_key()
        self.root = _ca_cert(f"{name} root", self.root_key, None, self.root_key)
        self.issuer_key, self.issuer = self.root_key, self.root
        self.chain = [self.root]
        if intermediate:
            self.issuer_key = _new_key()
            self.issuer = _ca_cert(f"{name} intermediate", self.issuer_key, self.root, self.root_key)
            self.chain = [self.issuer, self.root]
        self.ct = CtLog()

    def issue(self, public_key: ec.EllipticCurvePublicKey, claims: dict[str, Any]) -> x509.Certificate:
        san, extensions = _identity(claims)
        builder = self._leaf_builder(public_key, san, extensions)
        # Two passes: the SCT signs the TBS without the SCT extension, which the second pass adds.
        draft = builder.add_extension(x509.UnrecognizedExtension(SCT_OID, asn1.encode_der(b"\0\0")), False)
        precert_tbs = draft.sign(self.issuer_key, hashes.SHA256()).tbs_precertificate_bytes
        sct = self.ct.sct_extension(precert_tbs, self.issuer_key.public_key())
        return builder.add_extension(sct.value, critical=False).sign(self.issuer_key, hashes.SHA256())

    def _leaf_builder(self, public_key: ec.EllipticCurvePublicKey, san: x509.GeneralName,
                      extensions: dict[str, bytes]) -> x509.CertificateBuilder:
        now = datetime.now(UTC).replace(microsecond=0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.issuer.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(seconds=30))
            .not_valid_after(now + timedelta(minutes=10))
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuer_key.public_key()),
                           critical=False)
        )
        for oid, value in extensions.items():
            ext_oid = x509.ObjectIdentifier(oid)
            builder = builder.add_extension(x509.UnrecognizedExtension(ext_oid, value), critical=False)
        return builder


# --- Rekor v1-like transparency log -----------------------------------------------------------


def _leaf_hash(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962 §2.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]), ordered from the leaf up."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_path(index, leaves[:k]) + [merkle_root(leaves[k:])]
    return inclusion_path(index - k, leaves[k:]) + [merkle_root(leaves[:k])]


class RekorError(Exception):
    """A proposed entry Rekor refuses (HTTP 400)."""


def _dsse_body(spec: dict[str, Any]) -> dict[str, Any]:
    """Verify a proposed DSSE entry and return the body Rekor v1 stores for it."""
    content = spec["proposedContent"]
    envelope = json.loads(content["envelope"])
    verifier_pem = base64.b64decode(content["verifiers"][0])
    public_key = x509.load_pem_x509_certificate(verifier_pem).public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise RekorError("only ECDSA verifiers are supported")
    payload = base64.b64decode(envelope["payload"])
    payload_type = envelope["payloadType"]
    pae = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(payload), payload)
    signatures = []
    for item in envelope["signatures"]:
        sig = base64.b64decode(item["sig"])
        try:
            public_key.verify(sig, pae, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise RekorError("DSSE signature does not verify with the supplied certificate") from None
        signatures.append({"signature": _b64(sig), "verifier": content["verifiers"][0]})
    return {"apiVersion": "0.0.1", "kind": "dsse", "spec": {
        "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(content["envelope"].encode()).hexdigest()},
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
        "signatures": signatures,
    }}


class RekorLog:
    """An append-only log; each integration answers like Rekor v1's POST /api/v1/log/entries.

    Its checkpoints name the log as Rekor v1 does, by the host of the URL it is served at: origin
    ``<host:port> - <tree id>`` and signature line ``— <host:port> <key hint + signature>`` (public-good:
    ``rekor.sigstore.dev - 1193050959916656506``). sigstore-js relies on that: it accepts a checkpoint
    only from a trusted-root tlog whose ``baseUrl`` matches the signer name of the note (@sigstore/verify
    ``tlog/checkpoint.js``: ``tlog.baseURL.match(signature.name)``, besides the 4-byte key hint), so
    ``url`` is kept equal to that ``baseUrl`` (LocalSigstore.serve moves both). sigstore-python checks
    only the key hint and the signature.
    """

    TREE_ID = 1

    def __init__(self, url: str) -> None:
        self.key = _new_key()
        self.log_id = _key_id(self.key.public_key())
        self.url = url
        self.leaves: list[bytes] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()
        # The integrated time of the next entry, in whole seconds (a test may move it on, within
        # the 10-minute certificates' validity, instead of sleeping).
        self.clock: Callable[[], int] = lambda: int(time.time())

    def integrate(self, proposed: dict[str, Any]) -> dict[str, Any]:
        if proposed.get("kind") != "dsse" or proposed.get("apiVersion") != "0.0.1":
            raise RekorError(f"unsupported entry kind {proposed.get('kind')}/{proposed.get('apiVersion')}")
        body = rfc8785.dumps(_dsse_body(proposed["spec"]))
        with self._lock:
            index = len(self.leaves)
            self.bodies.append(body)
            self.leaves.append(_leaf_hash(body))
            leaves = list(self.leaves)
        integrated = self.clock()
        entry = {"body": _b64(body), "integratedTime": integrated, "logID": self.log_id.hex(),
                 "logIndex": index}
        entry["verification"] = {
            "signedEntryTimestamp": _b64(_sign(self.key, rfc8785.dumps(entry))),
            "inclusionProof": self._inclusion_proof(index, leaves),
        }
        return {_leaf_hash(body).hex(): entry}

    def _inclusion_proof(self, index: int, leaves: list[bytes]) -> dict[str, Any]:
        root = merkle_root(leaves)
        return {"logIndex": index, "treeSize": len(leaves), "rootHash": root.hex(),
                "hashes": [h.hex() for h in inclusion_path(index, leaves)],
                "checkpoint": self.checkpoint(len(leaves), root)}

    @property
    def name(self) -> str:
        """The checkpoint signer's name: the host (and port) of ``url``."""
        return urlsplit(self.url).netloc

    @property
    def origin(self) -> str:
        return f"{self.name} - {self.TREE_ID}"

    def checkpoint(self, size: int, root: bytes) -> str:
        """A signed note (transparency-dev checkpoint format) over the tree head."""
        note = f"{self.origin}\n{size}\n{_b64(root)}\n"
        signature = self.log_id[:4] + _sign(self.key, note.encode())
        return f"{note}\n\u2014 {self.name} {_b64(signature)}\n"


# --- OIDC issuer ------------------------------------------------------------------------------


class OidcIssuer:
    """Mints ES256 JWTs; the local Fulcio trusts exactly this key, whatever ``iss`` the token claims."""

    def __init__(self) -> None:
        self.key = _new_key()
        self.kid = _key_id(self.key.public_key()).hex()[:16]

    def mint(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        full = {"aud": AUDIENCE, "iat": now, "nbf": now - 5, "exp": now + 600, **claims}
        return jwt.encode(full, self.key, algorithm="ES256", headers={"kid": self.kid})

    def verify(self, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(token, self.key.public_key(), algorithms=["ES256"], audience=AUDIENCE)
        return claims

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True),
                          "kid": self.kid, "use": "sig", "alg": "ES256"}]}


# --- the instance -----------------------------------------------------------------------------


def _public_key_json(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
    return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": _b64(_spki(key.public_key())), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                          "validFor": {"start": "2020-01-01T00:00:00Z"}},
            "logId": {"keyId": _b64(_key_id(key.public_key()))}}


def _service(url: str, operator: str = "clinigate.test") -> dict[str, Any]:
    """A signing-config v0.2 ``Service``; sigstore keeps one service per operator."""
    return {"url": url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"},
            "operator": operator}


def _der(cert: x509.Certificate) -> dict[str, str]:
    return {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))}


def _timestamp_authority(tsa: LocalTSA) -> dict[str, Any]:
    """A trusted-root ``CertificateAuthority`` for a TSA: its signing certificate first, then its root.

    sigstore verifies tokens with ``certChain[0]`` as the TSA certificate and ``certChain[-1]`` as
    the root, and requires at least two certificates. local_tsa.py writes the TSA certificate next
    to its root as ``tsa.cert.pem`` (the ``openssl ts`` signer_cert).
    """
    leaf = x509.load_pem_x509_certificate((tsa.root_path.parent / "tsa.cert.pem").read_bytes())
    common_name = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return {"subject": {"organization": "clinigate.test", "commonName": str(common_name)}, "uri": tsa.url,
            "certChain": {"certificates": [_der(leaf), _der(tsa.root)]},
            "validFor": {"start": "2020-01-01T00:00:00Z"}}


class LocalSigstore:
    """Fulcio + CT log + Rekor + OIDC issuer, each with fresh keys: two instances never trust each other."""

    def __init__(self, name: str = "local-sigstore", intermediate: bool = True,
                 tsas: Sequence[LocalTSA] = ()) -> None:
        self.name = name
        self.tsas = list(tsas)
        self.ca = FulcioCA(name, intermediate=intermediate)
        self.url = "http://127.0.0.1:9"  # replaced by serve(); the trusted root never needs it to answer
        self.rekor = RekorLog(self.url)
        self.oidc = OidcIssuer()

    # identities

    def mint_github_token(self, *, repository: str = "acme/clinical-models", repository_id: str = "101",
                          owner_id: str = "202", workflow: str = ".github/workflows/approve.yml",
                          ref: str = "refs/heads/main", event_name: str = "workflow_dispatch",
                          runner_environment: str = "github-hosted", sha: str = "a" * 40,
                          workflow_ref: str | None = None, run_id: str = "4242",
                          issuer: str = GITHUB_ISSUER) -> str:
        """A token shaped like a GitHub Actions ``id-token`` (aud ``sigstore``)."""
        job_workflow_ref = workflow_ref or f"{repository}/{workflow}@{ref}"
        owner = repository.split("/")[0]
        return self.oidc.mint({
            "iss": issuer, "sub": f"repo:{repository}:ref:{ref}", "repository": repository,
            "repository_id": repository_id, "repository_owner": owner, "repository_owner_id": owner_id,
            "workflow": "approve", "workflow_ref": job_workflow_ref, "workflow_sha": sha,
            "job_workflow_ref": job_workflow_ref, "job_workflow_sha": sha, "ref": ref, "sha": sha,
            "event_name": event_name, "runner_environment": runner_environment, "run_id": run_id,
            "run_attempt": "1", "repository_visibility": "private",
        })

    def mint_email_token(self, email: str, *, issuer: str = EMAIL_ISSUER) -> str:
        return self.oidc.mint({"iss": issuer, "sub": email, "email": email, "email_verified": True})

    # services

    def signing_cert(self, authorization: str, request: dict[str, Any]) -> dict[str, Any]:
        """Fulcio v2 ``POST /api/v2/signingCert``: verify the token and the CSR, issue the leaf."""
        claims = self.oidc.verify(authorization.removeprefix("Bearer "))
        csr_pem = base64.b64decode(request["certificateSigningRequest"])
        csr = x509.load_pem_x509_csr(csr_pem)
        if not csr.is_signature_valid:
            raise RekorError("CSR signature is invalid")
        public_key = csr.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise RekorError("only ECDSA keys are supported")
        leaf = self.ca.issue(public_key, claims)
        chain = [_pem(c) for c in (leaf, *self.ca.chain)]
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}

    def openid_configuration(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks_uri": f"{self.url}/jwks", "id_token_signing_alg_values_supported":
                ["ES256"], "response_types_supported": ["id_token"], "subject_types_supported": ["public"]}

    # roots of trust

    def trusted_root(self, *, tsas: Sequence[LocalTSA] | None = None) -> dict[str, Any]:
        """The trusted root; ``tsas`` (default: the instance's own) are the TSAs it trusts."""
        ca = {"subject": {"organization": "clinigate.test", "commonName": self.name}, "uri": self.url,
              "certChain": {"certificates": [_der(c) for c in self.ca.chain]},
              "validFor": {"start": "2020-01-01T00:00:00Z"}}
        trusted_tsas = self.tsas if tsas is None else tsas
        return {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs": [_public_key_json(self.rekor.key, self.rekor.url)], "certificateAuthorities": [ca],
                "ctlogs": [_public_key_json(self.ca.ct.key, f"{self.url}/ct")],
                "timestampAuthorities": [_timestamp_authority(t) for t in trusted_tsas]}

    def trusted_root_json(self, *, tsas: Sequence[LocalTSA] | None = None) -> str:
        return json.dumps(self.trusted_root(tsas=tsas), indent=2)

    def client_trust_config_json(self) -> str:
        signing = {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                   "caUrls": [_service(self.url)], "oidcUrls": [_service(self.url)],
                   "rekorTlogUrls": [_service(self.url)],
                   # One operator per TSA and selector ALL: sigstore asks each of them for a token.
                   "tsaUrls": [_service(t.url, operator=f"tsa-{i}.clinigate.test")
                               for i, t in enumerate(self.tsas)],
                   "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ALL"}}
        return json.dumps({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                           "trustedRoot": self.trusted_root(), "signingConfig": signing})

    @contextmanager
    def serve(self) -> Iterator[LocalSigstore]:
        """Serve Fulcio, Rekor and OIDC discovery on 127.0.0.1:<free port> until the block ends.

        A nested ``serve()`` of the same instance moves it to a new port for the block, then back to
        the outer one, which is still serving. A trusted root names the URL it was made at: use it
        for bundles signed in the same block (sigstore-js matches Rekor's checkpoints to it).
        """
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        previous = self.url
        self.url = self.rekor.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            with serving(server, f"{self.name}-http"):
                yield self
        finally:
            self.url = self.rekor.url = previous


# --- HTTP -------------------------------------------------------------------------------------


def _handler_for(instance: LocalSigstore) -> type[BaseHTTPRequestHandler]:
    posts: dict[str, Callable[[BaseHTTPRequestHandler, dict[str, Any]], tuple[int, Any]]] = {
        "/api/v2/signingCert": lambda h, body: (200, instance.signing_cert(h.headers.get("Authorization", ""),
                                                                            body)),
        "/api/v1/log/entries": lambda h, body: (201, instance.rekor.integrate(body)),
    }
    gets: dict[str, Callable[[], Any]] = {
        "/.well-known/openid-configuration": instance.openid_configuration,
        "/jwks": instance.oidc.jwks,
        "/api/v2/trustBundle": lambda: {"chains": [{"certificates": [_pem(c) for c in instance.ca.chain]}]},
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            route = gets.get(self.path.split("?")[0])
            self._reply(*(200, route()) if route else (404, {"code": 404, "message": "not found"}))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            route = posts.get(self.path.split("?")[0])
            if route is None:
                self._reply(404, {"code": 404, "message": "not found"})
                return
            try:
                self._reply(*route(self, json.loads(self.rfile.read(length))))
            except (RekorError, jwt.InvalidTokenError, KeyError, ValueError) as exc:
                self._reply(400, {"code": 400, "message": str(exc)})

        def _reply(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
            pass

    return Handler


# --- pytest fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def local_sigstore() -> Iterator[LocalSigstore]:
    """One private instance for the session, serving on loopback."""
    instance = LocalSigstore("clinigate-test-sigstore")
    with instance.serve():
        yield instance


@pytest.fixture
def other_sigstore() -> Iterator[LocalSigstore]:
    """A second, independent instance (its own CA, CT and Rekor keys) for foreign-root tests."""
    instance = LocalSigstore("foreign-sigstore", intermediate=False)
    with instance.serve():
        yield instance
