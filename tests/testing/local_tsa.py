"""A real RFC 3161 time-stamping authority on loopback, answering with ``openssl ts -reply``.

The verifier under test is the untouched rfc3161-client; only the roots change. Each TSA has
its own CA, so a second instance is a TSA the trust configuration does not know.

Test modules import the fixtures they use::

    from testing.local_tsa import foreign_tsa, local_tsa  # noqa: F401
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clinigate.approvals.local_ca import LocalCA

TSA_POLICY = "1.3.6.1.4.1.55555.1.1"  # a private-arc OID: the policy this test TSA claims

_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.cert.pem
signer_key = $dir/tsa.key.pem
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl_has_ts() -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    return subprocess.run([openssl, "ts", "-help"], capture_output=True).returncode == 0


@dataclass(frozen=True)
class LocalTSA:
    url: str
    root: x509.Certificate  # what a trust configuration lists under tsa_roots
    root_path: Path


def _issue_tsa(directory: Path, name: str) -> LocalCA:
    ca = LocalCA.create(directory, f"{name} Root CA", stem="tsa-root")
    key_usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False,
                              crl_sign=False, encipher_only=False, decipher_only=False)
    # RFC 3161 §2.3: the TSA certificate carries exactly one, critical, EKU: timeStamping.
    ca.issue("tsa", x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), "ecdsa",
             [(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True), (key_usage, True)])
    (directory / "serial").write_text("01\n")
    (directory / "openssl.cnf").write_text(_CONFIG.format(dir=directory, policy=TSA_POLICY))
    return ca


def _reply(directory: Path, query: bytes, lock: threading.Lock) -> bytes:
    with lock, tempfile.TemporaryDirectory(dir=directory) as work:
        query_path, reply_path = Path(work, "query.tsq"), Path(work, "reply.tsr")
        query_path.write_bytes(query)
        subprocess.run(["openssl", "ts", "-reply", "-config", str(directory / "openssl.cnf"),
                        "-queryfile", str(query_path), "-signer", str(directory / "tsa.cert.pem"),
                        "-inkey", str(directory / "tsa.key.pem"),
                        "-out", str(reply_path)], check=True, capture_output=True)
        return reply_path.read_bytes()


def _handler(directory: Path) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()  # openssl ts increments one serial file

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415, "expected application/timestamp-query")
                return
            body = _reply(directory, query, lock)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler


def serve_tsa(directory: Path, name: str) -> Iterator[LocalTSA]:
    """Run a TSA until the generator is closed; skips the test when openssl lacks ``ts``."""
    if not openssl_has_ts():
        pytest.skip("the openssl binary has no 'ts' command")
    ca = _issue_tsa(directory, name)
    server = HTTPServer(("127.0.0.1", 0), _handler(directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTSA(url=f"http://127.0.0.1:{server.server_port}/tsr", root=ca.certificate,
                       root_path=ca.cert_path)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    """The TSA the trust configuration trusts."""
    yield from serve_tsa(tmp_path_factory.mktemp("tsa"), "Clinigate Test TSA")


@pytest.fixture(scope="session")
def foreign_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    """A working TSA under a CA nobody trusts."""
    yield from serve_tsa(tmp_path_factory.mktemp("foreign-tsa"), "Unknown TSA")
