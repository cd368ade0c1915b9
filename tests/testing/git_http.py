"""A private Git repository served over smart HTTP on loopback: ``git http-backend`` as a CGI behind
a tiny ``http.server`` that demands the token the way GitHub does (Basic, user x-access-token).

    with serve_git_http(project_root, token="s3cret") as server:
        url = server.url("reg.git")        # http://127.0.0.1:PORT/reg.git
        ...
        server.authorizations              # every Authorization header the server received
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from testing.serving import serving


@dataclass
class GitHttpServer:
    root: Path
    token: str
    port: int = 0
    authorizations: list[list[str]] = field(default_factory=list)  # per request, all headers sent

    def url(self, repo: str) -> str:
        return f"http://127.0.0.1:{self.port}/{repo}"

    def expected(self) -> str:
        return "Basic " + base64.b64encode(f"x-access-token:{self.token}".encode()).decode()


def _authorized(values: list[str], expected: str) -> bool:
    # One header, scheme case-insensitive (git sends "basic", as actions/checkout configures it).
    if len(values) != 1:
        return False
    scheme, _, credentials = values[0].partition(" ")
    return scheme.lower() == "basic" and credentials.strip() == expected.split(" ", 1)[1]


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":  # large pushes
        body = b""
        while size := int(handler.rfile.readline().split(b";")[0].strip(), 16):
            body += handler.rfile.read(size)
            handler.rfile.readline()
        handler.rfile.readline()
        return body
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def _cgi_response(out: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a CGI program's output."""
    head, sep, body = out.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = out.partition(b"\n\n")
    status, headers = 200, []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name:
            headers.append((name, value.strip()))
    return status, headers, body


def _handler(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def _serve(self) -> None:
            values = self.headers.get_all("Authorization") or []
            server.authorizations.append(values)
            body = _read_body(self)
            if not _authorized(values, server.expected()):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="x"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, headers, payload = _cgi_response(self._backend(body))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _backend(self, body: bytes) -> bytes:
            parts = urlsplit(self.path)
            env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "GIT_PROJECT_ROOT": str(server.root),
                   "GIT_HTTP_EXPORT_ALL": "1", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(server.root),
                   "PATH_INFO": parts.path, "QUERY_STRING": parts.query, "REQUEST_METHOD": self.command,
                   "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                   "REMOTE_USER": "x-access-token", "REMOTE_ADDR": "127.0.0.1",
                   "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                   "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
            proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                                  check=False, timeout=60)
            return proc.stdout

    return Handler


@contextmanager
def serve_git_http(root: Path, *, token: str) -> Iterator[GitHttpServer]:
    """Serve every bare repository under ``root``; pushes are allowed (``http.receivepack``)."""
    for repo in root.glob("*.git"):
        subprocess.run(["git", "-C", str(repo), "config", "http.receivepack", "true"], check=True)
    server = GitHttpServer(root, token)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    with serving(httpd, "git-http"):
        yield server
