"""clinigate: a Git repository as the governed model registry for clinical AI.

    >>> from clinigate.manifest.validate import validate_registry
    >>> report = validate_registry(repo_root)          # doctest: +SKIP
    >>> [f.message for f in report.findings]           # doctest: +SKIP
"""

__version__ = "0.1.0"
API_VERSION = "clinigate/v1"
