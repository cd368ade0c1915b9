"""A real RFC 3161 time-stamping authority on loopback, answering with ``openssl ts -reply``
(clinigate.approvals.local_tsa, the demo's TSA, served over HTTP as a hospital TSA is).

The verifier under test is the untouched rfc3161-client; only the roots change. Each TSA has
its own CA, so a second instance is a TSA the trust configuration does not know.

Test modules import the fixtures they use::

    from testing.local_tsa import foreign_tsa, local_tsa  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509

from clinigate.approvals.local_tsa import TSA_POLICY, OpensslTsa, openssl_has_ts
from testing.serving import serving

__all__ = ["TSA_POLICY", "LocalTSA", "foreign_tsa", "local_tsa", "openssl_has_ts", "serve_tsa"]


@dataclass(frozen=True)
class LocalTSA:
    url: str
    root: x509.Certificate  # what a trust configuration lists under tsa_roots
    root_path: Path
    authority: OpensslTsa  # the same TSA, asked in process (DemoPki signs through it)


def _handler(tsa: OpensslTsa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415, "expected application/timestamp-query")
                return
            body = tsa.reply(query)
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
    tsa = OpensslTsa.create(directory, name)
    server = HTTPServer(("127.0.0.1", 0), _handler(tsa))
    with serving(server, f"tsa-{name}"):
        yield LocalTSA(url=f"http://127.0.0.1:{server.server_port}/tsr", root=tsa.root,
                       root_path=tsa.root_path, authority=tsa)


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    """The TSA the trust configuration trusts."""
    yield from serve_tsa(tmp_path_factory.mktemp("tsa"), "Clinigate Test TSA")


@pytest.fixture(scope="session")
def foreign_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    """A working TSA under a CA nobody trusts."""
    yield from serve_tsa(tmp_path_factory.mktemp("foreign-tsa"), "Unknown TSA")
