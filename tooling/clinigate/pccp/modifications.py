"""Facts about the PCCP's modifications that span documents or history (policies/README.md).

The policies decide; this module only counts and compares what the engines should not: how many
modifications have shipped (a count across the history at the base), whether the plan's
cumulative impact assessment accounts for the last of them (a semver comparison), and which of
an environment's sites a local release does not list (a set difference across two documents).

    >>> from clinigate.manifest.release import Release
    >>> release_facts(Release(implementation="manual", scope="local", sites=["North"]), ["North", "Main"])
    {'implementation': 'manual', 'scope': 'local', 'sites': ['North'], 'outside': ['Main']}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..manifest.pccp import PCCP
from ..manifest.release import Release
from ..manifest.semver import SemverKey
from ..manifest.version import ModelVersion


def shipped_facts(doc: ModelVersion, pccp: PCCP, merged: Mapping[str, ModelVersion | None]) -> dict[str, Any]:
    """``facts.modifications`` for a version, from the versions ``merged`` at the base.

    Shipped: a version at the base, other than this one, that loads and names a
    ``change.modification_id`` (each version counts once, whichever modification it implements).
    The cumulative assessment is current when it exists and, if anything shipped, its
    ``covers_through`` (absent: the authorised baseline) is a version at the base no older than
    the newest shipped one.
    """
    shipped = sorted((v for v, m in merged.items()
                      if v != doc.version and m is not None and m.change.modification_id), key=SemverKey)
    last = shipped[-1] if shipped else None
    assessment = pccp.impact_assessment
    covers = None if assessment is None else assessment.covers_through or pccp.authorised_baseline
    current = assessment is not None and (
        last is None or (covers is not None and covers in merged and SemverKey(covers) >= SemverKey(last)))
    return {"shipped": len(shipped), "last_shipped": last, "cumulative_covers_through": covers,
            "cumulative_assessment_current": current}


def release_facts(release: Release | None, environment_sites: list[str] | None) -> dict[str, Any] | None:
    """What a deployment environment needs to know of the version it runs: its release mode, and
    the environment's sites the release does not list (for a local release). None: none recorded."""
    if release is None:
        return None
    sites = environment_sites or []
    return {"implementation": release.implementation, "scope": release.scope, "sites": list(release.sites),
            "outside": sorted(set(sites) - set(release.sites)) if release.scope == "local" else []}
