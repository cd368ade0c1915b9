"""Serving a loopback HTTP server from a daemon thread for the length of a ``with`` block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer


@contextmanager
def serving(server: BaseServer, name: str) -> Iterator[None]:
    """Run ``server.serve_forever`` on a thread called ``name``; shut it down and close it after the block."""
    # A short poll interval keeps teardown (server.shutdown) fast.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name,
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
