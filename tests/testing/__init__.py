"""Helpers shared by the tests (kept out of the test modules)."""
