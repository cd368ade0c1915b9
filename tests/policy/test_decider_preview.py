"""A job that holds credentials decides without evaluating the pull request's own Rego."""

from __future__ import annotations

from pathlib import Path

from testing.fixtures import git

from clinigate.gate.decider import Decider
from clinigate.gitrepo import Git


def test_the_heads_policies_are_previewed_only_when_asked(registry: Path) -> None:
    git(registry, "switch", "-q", "-c", "loosen")
    gates = registry / "policies" / "gates.rego"
    gates.write_text(gates.read_text() + "\n# a harmless edit\n")
    git(registry, "commit", "-qam", "edit the gates")
    with Decider.open(Git(registry), rules_rev="main") as decider:
        shown = decider.decide_change(base="main", head="HEAD")
        silent = decider.decide_change(base="main", head="HEAD", preview=False)
    assert shown.head_preview is not None and shown.head_preview.tests_summary != "not run"
    assert silent.head_preview is None
    assert [m.decision for m in silent.manifests] == [m.decision for m in shown.manifests] == ["pending"]
