"""Release modes (FDA PCCP guidance §VI.B; regulatory.md §7 C-23): how a modification reaches users.

A modification is implemented automatically (by the software, without a person's action) or
manually, and globally (every site) or locally (named sites only). A ModelVersion records its own
in ``change.release``; a PCCP modification may restrict which modes it allows (``release``); a
deployment environment lists the sites it serves, and a local release may run only where every
one of them is among the release's sites (``deployment.local_release_sites``).

    >>> Release(implementation="manual", scope="local", sites=["Mercy General North"]).scope
    'local'
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .values import StrictModel, UniqueTextList, unique

Implementation = Literal["automatic", "manual"]
Scope = Literal["global", "local"]


class Release(StrictModel):
    implementation: Implementation = Field(
        description="automatic: the software applies the update itself; manual: people put it in place")
    scope: Scope = Field(description="global: every site; local: only the sites listed")
    sites: UniqueTextList = Field(
        default_factory=list,
        description="local releases: the sites it may run at (names as in training.dataset.sites); "
                    "a global release lists none")

    @model_validator(mode="after")
    def _sites(self) -> Release:
        if self.scope == "local" and not self.sites:
            raise ValueError("a local release must list its sites")
        if self.scope == "global" and self.sites:
            raise ValueError("a global release runs at every site: list sites only for scope local")
        return self


class ReleaseModes(StrictModel):
    """The release modes a PCCP modification allows; a version claiming another is denied."""

    implementation: Annotated[list[Implementation], Field(min_length=1)]
    scope: Annotated[list[Scope], Field(min_length=1)]

    @model_validator(mode="after")
    def _no_repeats(self) -> ReleaseModes:
        unique(list(self.implementation), "release.implementation")
        unique(list(self.scope), "release.scope")
        return self
