"""clinigate: a Git repository as the governed model registry for clinical AI.

    >>> from clinigate.manifest.validate import validate_registry
    >>> from clinigate.approvals.trust_files import worktree_findings
    >>> report = validate_registry(repo_root, trust_files=worktree_findings)  # doctest: +SKIP
    >>> [f.message for f in report.findings]           # doctest: +SKIP
"""

__version__ = "0.1.0"
API_VERSION = "clinigate/v1"
