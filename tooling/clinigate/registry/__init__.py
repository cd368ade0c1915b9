"""MLflow follows Git: desired state from the documents, actual state from MLflow, a plan, apply.

    >>> from clinigate.gitrepo import Git
    >>> from clinigate.registry.actual import MlflowRegistry
    >>> from clinigate.registry.desired import read_desired
    >>> from clinigate.registry.plan import make_plan
    >>> from clinigate.registry.reconcile import apply
    >>> client = MlflowRegistry("http://127.0.0.1:5000")                    # doctest: +SKIP
    >>> desired = read_desired(Git(repo_root), rev="main")                  # doctest: +SKIP
    >>> plan = make_plan(desired, client, drift="repair", prune=False)      # doctest: +SKIP
    >>> apply(plan, client).written                                         # doctest: +SKIP

The rules are Argo CD's and Flux's (DESIGN §7): act only on drift, a second run is a no-op,
pruning is opt-in and refused when the desired state is empty, ``drift="warn"`` reports an
alias moved by hand without moving it back. MLflow is imported only inside
:mod:`clinigate.registry.actual`, so importing this package costs nothing.
"""
