"""Fixtures for the approvals tests."""

from testing.approvals import signed_registry  # noqa: F401
