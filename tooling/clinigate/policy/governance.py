"""Governance paths: the files that decide how every other change is judged (DESIGN §13).

Policies, policy data, trust roots, roles, workflows, the tool's own code and build, schemas and
code owners. A pull request that edits one of them changes its own judge, so it is judged as a
governance change: pending until the roles named here signed each changed file's new bytes,
and failed when it also changes registry documents (governance goes in its own pull request).

The table is policy data, ``policies/data/change_control.yaml``, read from the *base* revision
like every other rule; a base without it gets :data:`DEFAULT_GOVERNANCE` (fail closed: the same
paths stay governance).

    >>> rows = [{"paths": ["tooling/**"], "roles": ["quality"]}]
    >>> table = ChangeControl.model_validate({"governance": rows})
    >>> table.roles_for("tooling/clinigate/cli/main.py"), table.roles_for("README.md")
    (['quality'], None)
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import layout
from .._internal.validation import first_problem
from ..manifest.values import Role
from .engine import PolicyBundleError

CHANGE_CONTROL_PATH = layout.CHANGE_CONTROL_PATH
# A bundle keys each data file by its stem: data.clinigate.change_control.
CHANGE_CONTROL_DATA = PurePosixPath(CHANGE_CONTROL_PATH).stem

Pattern = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/].*$")]


class GovernanceRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: Annotated[list[Pattern], Field(min_length=1)]
    roles: Annotated[list[Role], Field(min_length=1)]

    def matches(self, path: str) -> bool:
        return any(_match(pattern, path) for pattern in self.paths)


class ChangeControl(BaseModel):
    """``policies/data/change_control.yaml``: which paths are governance, and who approves them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    governance: Annotated[list[GovernanceRule], Field(min_length=1)]

    def rule_for(self, path: str) -> GovernanceRule | None:
        """The first rule whose patterns match ``path`` (order the table specific → general)."""
        return next((rule for rule in self.governance if rule.matches(path)), None)

    def roles_for(self, path: str) -> list[str] | None:
        rule = self.rule_for(path)
        return [r.value for r in rule.roles] if rule else None

    @classmethod
    def from_policy_data(cls, data: dict[str, Any]) -> ChangeControl:
        """The table from a bundle's ``data.clinigate``; the built-in default when it has none."""
        raw = data.get(CHANGE_CONTROL_DATA)
        if raw is None:
            return DEFAULT_GOVERNANCE
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problem = first_problem(exc)
            raise PolicyBundleError(f"{CHANGE_CONTROL_PATH}: {problem.where}: {problem.message}",
                                    hint="see the comments in the bundled change_control.yaml") from None


def _match(pattern: str, path: str) -> bool:
    """``dir/**`` is everything below ``dir``; otherwise an exact path or an fnmatch glob."""
    if pattern.endswith("/**"):
        return path.startswith(pattern[:-2])
    return path == pattern or fnmatch.fnmatchcase(path, pattern)


_SECURITY = ["security_reviewer", "quality"]
DEFAULT_GOVERNANCE = ChangeControl.model_validate({"governance": [
    {"paths": [f"{layout.TRUST_DIR}/**"], "roles": _SECURITY},
    {"paths": [layout.ROLES_PATH], "roles": ["quality", "regulatory"]},
    {"paths": [f"{layout.POLICIES_DIR}/**", f"{layout.SCHEMAS_DIR}/**"], "roles": ["regulatory", "quality"]},
    {"paths": [".github/**", "CODEOWNERS", "docs/CODEOWNERS", "tooling/**", "pyproject.toml", ".ci/**"],
     "roles": _SECURITY},
]})
