"""``audit timeline --tracking-uri``: when sync applied each deployment change, read back from MLflow."""

from __future__ import annotations

import json
import re

from testing.fixtures import git
from testing.mlflow_server import in_process_cli
from testing.sync_registry import SyncRegistry

DEPLOYMENT = "models/sepsis-ews/deployment.yaml"


def _production(reg: SyncRegistry, version: str, message: str) -> str:
    path = reg.repo / DEPLOYMENT
    path.write_text(re.sub(r"(production:\n    version: )\S+", rf"\g<1>{version}", path.read_text(), count=1))
    reg.commit(message)
    return git(reg.repo, "rev-parse", "HEAD").strip()


def _applied(capsys, reg: SyncRegistry, *extra: str) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    code, out, err = in_process_cli(capsys, "audit")("timeline", "sepsis-ews", "--format", "json",
                                                      "--repo", str(reg.repo), *extra)
    assert code == 0, out + err
    rows = json.loads(out)["deployments"]
    return [(r["environment"], r["after"],
             (r["applied_in_mlflow"] or {}).get("commit") if "applied_in_mlflow" in r else "not asked")
            for r in rows]


def test_the_timeline_shows_when_sync_applied_each_change(sync_registry: SyncRegistry, sync_cli, capsys) -> None:  # type: ignore[no-untyped-def]
    reg = sync_registry
    sync = ("--tracking-uri", reg.uri, "--repo", str(reg.repo), "--apply")
    first = git(reg.repo, "rev-parse", "HEAD").strip()
    assert sync_cli(*sync)[0] == 0
    promoted = _production(reg, "1.2.1", "Promote 1.2.1 (#8)")
    assert sync_cli(*sync)[0] == 0
    uri = ("--tracking-uri", reg.uri)
    assert _applied(capsys, reg, *uri) == [("production", "1.2.0", first), ("shadow", "1.3.0", first),
                                           ("staging", "1.2.1", first), ("production", "1.2.1", promoted)]
    rolled = _production(reg, "1.2.0", "Roll back to 1.2.0 (#9)")
    unapplied = _applied(capsys, reg, *uri)  # merged, not yet synced: no claim it took effect
    assert unapplied[-1] == ("production", "1.2.0", None)
    assert sync_cli(*sync)[0] == 0
    # MLflow keeps one time per version and environment: 1.2.0's first run in production is no
    # longer recorded, its second is.
    assert _applied(capsys, reg, *uri) == [("production", "1.2.0", None), ("shadow", "1.3.0", first),
                                           ("staging", "1.2.1", first), ("production", "1.2.1", promoted),
                                           ("production", "1.2.0", rolled)]
    code, out, _ = in_process_cli(capsys, "audit")("timeline", "sepsis-ews", "--env", "production",
                                                   "--repo", str(reg.repo), *uri)
    assert code == 0
    assert f"claimed by sync (its clock)), sync of {rolled[:12]}" in out
    assert "applied in MLflow: not recorded" in out
    # Without --tracking-uri nothing outside the clone is asked, and nothing is claimed.
    assert {row[2] for row in _applied(capsys, reg)} == {"not asked"}
