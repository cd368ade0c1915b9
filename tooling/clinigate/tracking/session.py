"""The process-wide MLflow client settings clinigate wants before it talks to a server."""

from __future__ import annotations

import logging
import os

# A dead server must fail in seconds, not after MLflow's default 120 s x 7 retries.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "10", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
                 "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}


def apply_http_defaults() -> None:
    """Set :data:`HTTP_DEFAULTS` in the environment MLflow reads; the user's own setting wins."""
    for key, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)


def quiet_mlflow_logs() -> None:
    """MLflow logs schema migrations and retries at INFO on stderr; clinigate narrates its own work.
    ``--debug`` (CLINIGATE_DEBUG=1) keeps them. Call it once mlflow is imported."""
    if os.environ.get("CLINIGATE_DEBUG") == "1":
        return
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
