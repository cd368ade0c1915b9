"""The one predicate that decides whether a model version may be synced to an environment."""

from __future__ import annotations


def is_approved(model: str, version: str, *, merged_versions: set[str]) -> bool:
    """Whether ``model`` ``version`` is approved for deployment.

    Today a version is approved when its manifest is merged on the revision being synced
    (``models/<model>/versions/<version>.yaml`` exists there): merging needed the PR gate
    (``clinigate check``) and the CODEOWNERS reviews. Signed approval attestations
    (DESIGN §6) will complete this predicate later; every caller goes through this function
    so that the stronger rule lands in one place.
    """
    return version in merged_versions
