"""sepsis-ews's deployment.yaml, written as a history of releases and rollbacks writes it."""

from __future__ import annotations

DEPLOYMENT = "models/sepsis-ews/deployment.yaml"


def deployment_yaml(production: str, staging: str | None, rationale: str) -> str:
    """The deployment with ``production`` (and ``staging`` when given) at full strategy."""
    envs = f"  production:\n    version: {production}\n    strategy: full\n"
    if staging:
        envs += f"  staging:\n    version: {staging}\n    strategy: full\n"
    return (f"apiVersion: clinigate/v1\nkind: Deployment\nmodel: sepsis-ews\nenvironments:\n{envs}"
            f"rollback_target: 1.0.0\nchange:\n  rationale: '{rationale}'\n")
