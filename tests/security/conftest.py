"""Fixtures for the attack tests: real registries with a test CA (testing/approvals.py)."""

from __future__ import annotations

from testing.approvals import signed_registry  # noqa: F401
