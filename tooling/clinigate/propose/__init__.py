"""Drafting a ModelVersion manifest from an MLflow model version or run (``clinigate propose``).

    >>> from clinigate.propose import propose
    >>> proposal = propose(repo_root, "models:/sepsis-ews/16", "http://127.0.0.1:5000")   # doctest: +SKIP
    >>> proposal.relpath, len(proposal.todos)                                              # doctest: +SKIP

One module per step: :mod:`.source` parses the ``--from-mlflow`` URI, :mod:`.reader` reads the
version or run through the registry's client, :mod:`.mapping` (with :mod:`.metrics`) maps the
run's facts and the parent manifest onto the typed :mod:`.draft`, :mod:`.target` picks and checks
the file, :mod:`.write` writes it. Nothing here imports MLflow: the registry's client does.
"""

from .draft import TODO_PREFIX, ManifestDraft, Todo, find_todos
from .run import Proposal, propose

__all__ = ["TODO_PREFIX", "ManifestDraft", "Proposal", "Todo", "find_todos", "propose"]
