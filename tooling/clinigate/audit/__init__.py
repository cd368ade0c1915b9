"""Audit: the registry's history as events, the state at any time, and what proves it (DESIGN §8)."""
