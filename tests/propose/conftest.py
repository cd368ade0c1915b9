"""The session's real ``mlflow server`` (``testing/mlflow_server.py``) for the propose tests."""

from testing.mlflow_server import mlflow_server  # noqa: F401 (the fixture, by import)
