"""Talking to an MLflow tracking server safely, for every package that does (registry, evidence,
propose, the demo): the URI check that runs before MLflow can create anything, credential
redaction, and the client settings (fail in seconds, quiet logs).

Below ``registry/`` and ``evidence/`` so that both use it without importing each other.
"""
