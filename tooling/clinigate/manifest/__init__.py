"""Manifest documents: typed models, strict YAML loading, cross-document checks, schema export.

    >>> from clinigate.manifest.documents import ModelVersion
    >>> from clinigate.manifest.loader import load_document
    >>> loaded = load_document(repo_root, path)        # doctest: +SKIP
    >>> loaded.document.version                        # doctest: +SKIP
"""
