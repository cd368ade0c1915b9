"""Signed approvals (DESIGN §6): attestations, signing backends, the ledger, verdicts."""
