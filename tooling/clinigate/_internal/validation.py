"""The first problem of a pydantic ``ValidationError``, in the words clinigate's messages use.

Every outside format clinigate wraps in a typed model (engine output, bundles, statements,
trust roots, policy data) reports a refusal the same way: where (a dotted field path, or
``(root)``), what pydantic said, and whether the text was not JSON at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FirstProblem:
    where: str  # dotted field path, "(root)" for the document itself
    message: str
    not_json: bool  # the text did not even parse as JSON
    top: str  # the first element of the path ("" at the root)


def first_problem(exc: ValidationError) -> FirstProblem:
    first = exc.errors(include_url=False)[0]
    loc = first["loc"]
    return FirstProblem(".".join(str(p) for p in loc) or "(root)", str(first["msg"]),
                        first["type"] == "json_invalid", str(loc[0]) if loc else "")
