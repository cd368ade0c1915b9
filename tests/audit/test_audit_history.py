"""``audit at`` and ``audit timeline`` on a history with explicit commit dates (boundaries)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testing.deployments import DEPLOYMENT, deployment_yaml
from testing.fixtures import commit_all, copy_example_registry, git

from clinigate.audit.query import Auditor
from clinigate.gitrepo import Git

T1 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)  # sepsis-ews first deployed: production 1.1.0
T2 = datetime(2026, 2, 1, 14, 30, tzinfo=UTC)  # production 1.2.0, staging 1.2.1
T3 = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)  # rollback: production back to 1.1.0
T4 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)  # readmission-30d added (with its deployment)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    repo = tmp_path_factory.mktemp("audit") / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    held = repo.parent / "readmission-30d"
    shutil.move(repo / "models/readmission-30d", held)
    (repo / DEPLOYMENT).unlink()
    git(repo, "init", "-q", "-b", "main")
    commits = {"t0": commit_all(repo, "registry without deployments", T1 - timedelta(days=9))}
    (repo / DEPLOYMENT).write_text(deployment_yaml("1.1.0", None, "First production release (K231234)."))
    commits["t1"] = commit_all(repo, "Deploy sepsis-ews 1.1.0 (#3)", T1)
    (repo / DEPLOYMENT).write_text(deployment_yaml("1.2.0", "1.2.1", "Promote 1.2.0; stage 1.2.1."))
    commits["t2"] = commit_all(repo, "Merge pull request #7 from mercy/promote-1.2.0", T2)
    (repo / DEPLOYMENT).write_text(deployment_yaml("1.1.0", "1.2.1", "Roll back: alert fatigue on ward 4 (CAPA-8)."))
    commits["t3"] = commit_all(repo, "Roll back production to 1.1.0 (#9)", T3)
    shutil.move(held, repo / "models/readmission-30d")
    commits["t4"] = commit_all(repo, "Add readmission-30d (#11)", T4)
    return repo, commits


def _at(repo: Path, model: str, env: str, moment: datetime) -> str | None:
    with Auditor.open(Git(repo), "main") as auditor:
        answer = auditor.at(model, env, moment)
    return answer.deployed.event.after if answer.deployed else None


@pytest.mark.parametrize(("moment", "expected"), [
    (T1 - timedelta(seconds=1), None),  # before the first deployment: none
    (T1, "1.1.0"),  # in force from its commit time, inclusive
    (T2 - timedelta(seconds=1), "1.1.0"),  # one second before the next merge
    (T2, "1.2.0"),  # exactly at the merge instant
    (T3 + timedelta(hours=1), "1.1.0"),  # after the rollback
    (T4 + timedelta(days=30), "1.1.0"),
])
def test_the_version_in_production_at_a_moment(history: tuple[Path, dict[str, str]], moment: datetime,
                                               expected: str | None) -> None:
    assert _at(history[0], "sepsis-ews", "production", moment) == expected


def test_two_environments_are_answered_apart(history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    assert _at(repo, "sepsis-ews", "staging", T2 - timedelta(seconds=1)) is None
    assert _at(repo, "sepsis-ews", "staging", T2) == "1.2.1"
    assert _at(repo, "sepsis-ews", "staging", T3) == "1.2.1"  # the rollback left staging alone


def test_a_model_added_later_ran_nothing_before(history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    assert _at(repo, "readmission-30d", "production", T4 - timedelta(seconds=1)) is None
    assert _at(repo, "readmission-30d", "production", T4) == "1.1.0"


def test_the_answer_names_the_authorising_commit_and_its_pull_request(history: tuple[Path, dict[str, str]]) -> None:
    repo, commits = history
    with Auditor.open(Git(repo), "main") as auditor:
        answer = auditor.at("sepsis-ews", "production", T2 + timedelta(days=1))
    assert answer.deployed is not None
    event = answer.deployed.event
    assert (event.landing.commit, event.landing.pull_request, event.landing.at) == (commits["t2"], 7, T2)
    evidence = answer.deployed.evidence
    assert evidence is not None and evidence.validation and evidence.validation["subgroups"] > 0
    assert evidence.problem is None and evidence.change_class  # judged by the base's rules


def test_the_timeline_marks_the_rollback_and_labels_git_time_as_claimed(history: tuple[Path, dict[str, str]],
                                                                      run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, commits = history
    result = run_cli("audit", "timeline", "sepsis-ews", "--env", "production", "--format", "json",
                     "--repo", str(repo))
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)["deployments"]
    assert [(r["before"], r["after"], r["rollback"]) for r in rows] == [
        (None, "1.1.0", False), ("1.1.0", "1.2.0", False), ("1.2.0", "1.1.0", True)]
    assert [r["commit"] for r in rows] == [commits["t1"], commits["t2"], commits["t3"]]
    assert rows[2]["committed_at"] == "2026-03-15T08:00:00Z" and "claimed" in rows[2]["time_source"]
    assert rows[2]["pull_request"] == 9 and "alert fatigue" in rows[2]["rationale"]
    text = run_cli("audit", "timeline", "sepsis-ews", "--repo", str(repo)).stdout
    assert "ROLLBACK" in text and "(claimed by Git)" in text
    csv_out = run_cli("audit", "timeline", "sepsis-ews", "--format", "csv", "--repo", str(repo)).stdout
    assert csv_out.splitlines()[0].startswith("committed_at_claimed,environment,before,after,rollback")
    assert len(csv_out.splitlines()) == 1 + 4  # production x3, staging x1
    assert "**rollback**" in run_cli("audit", "timeline", "sepsis-ews", "--format", "markdown",
                                     "--repo", str(repo)).stdout


def test_a_time_without_an_offset_is_refused_unless_read_as_utc(history: tuple[Path, dict[str, str]],
                                                                run_cli) -> None:  # type: ignore[no-untyped-def]
    repo, _ = history
    refused = run_cli("audit", "at", "sepsis-ews", "2026-02-01T14:30:00", "--repo", str(repo))
    assert refused.code == 2 and "no UTC offset" in refused.stderr and "--assume-utc" in refused.stderr
    read = run_cli("audit", "at", "sepsis-ews", "2026-02-01T14:30:00", "--assume-utc", "--repo", str(repo))
    assert read.code == 0 and "1.2.0, in force since 2026-02-01T14:30:00Z" in read.stdout, read.stdout
    offset = run_cli("audit", "at", "sepsis-ews", "2026-02-01T15:29:59+01:00", "--repo", str(repo))
    assert "1.1.0" in offset.stdout  # 14:29:59Z: a second before the merge
    before = run_cli("audit", "at", "sepsis-ews", "2026-01-01T00:00:00Z", "--repo", str(repo))
    assert before.code == 0 and ": none" in before.stdout
    unknown = run_cli("audit", "at", "no-such-model", "2026-01-01T00:00:00Z", "--repo", str(repo))
    assert unknown.code == 2 and "sepsis-ews" in unknown.stderr


def test_verify_finds_unapproved_production_versions_and_edited_manifests(
        history: tuple[Path, dict[str, str]], run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, commits = history
    result = run_cli("audit", "verify", "--format", "json", "--repo", str(repo))
    assert result.code == 1, result.stdout + result.stderr
    found = [(f["rule"], f["message"]) for _, f in _findings(result.stdout)]
    unapproved = [m for r, m in found if r == "history.unapproved_production"]
    # trust.yaml requires signed approvals and this history has none: each production move is named.
    assert len(unapproved) == 4 and all("clinical_reviewer" in m for m in unapproved), unapproved
    assert sum(m.startswith("sepsis-ews ") for m in unapproved) == 3  # 1.1.0, 1.2.0, the rollback
    assert any(commits["t2"][:12] in m and "pull request #7" in m for m in unapproved)
    assert not [r for r, _ in found if r == "history.version_edited"]

    clone = tmp_path / "edited"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "remote", "remove", "origin")  # the edit is on this clone's main, as if pushed
    version = clone / "models/sepsis-ews/versions/1.1.0.yaml"
    version.write_text(version.read_text().replace("n: ", "n:  ", 1))
    edit = commit_all(clone, "quietly fix a number", T4 + timedelta(days=1))
    again = run_cli("audit", "verify", "--since", commits["t4"], "--format", "json", "--repo", str(clone))
    rules = [(f["rule"], path) for path, f in _findings(again.stdout)]
    assert again.code == 1 and rules == [("history.version_edited", "models/sepsis-ews/versions/1.1.0.yaml")]
    assert edit[:12] in _findings(again.stdout)[0][1]["message"]


def _findings(out: str) -> list[tuple[str, dict[str, str]]]:
    return [(m["path"], f) for m in json.loads(out)["manifests"] for f in m["findings"]]


def test_export_lists_each_version_merged_under_the_pccp(history: tuple[Path, dict[str, str]],
                                                         run_cli) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    repo, commits = history
    result = run_cli("audit", "export", "--pccp", "sepsis-ews", "--repo", str(repo))
    assert result.code == 0, result.stderr
    rows = {r["version"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == {"1.0.0", "1.1.0", "1.2.0", "1.2.1", "1.3.0"}
    assert rows["1.1.0"]["modification_id"] == "M1"
    assert rows["1.1.0"]["declared_class"] == "data_update"  # computed: what its base's rules said
    assert rows["1.1.0"]["commit"] == commits["t0"]
    # Merged before the model had a deployment.yaml: its base's rules could not class it, and say why.
    assert rows["1.1.0"]["judged"].startswith("no: ") and "deployment.yaml" in rows["1.1.0"]["judged"]
    assert rows["1.1.0"]["first_production_at_claimed"] == "2026-01-10T09:00:00Z"
    assert rows["1.3.0"]["first_production_at_claimed"] == ""  # never in production
    data = json.loads(run_cli("audit", "export", "--pccp", "sepsis-ews", "--format", "json",
                              "--repo", str(repo)).stdout)
    assert len(data["modifications"]) == 5 and "claimed" in data["time_source"]


def _example_on_main(tmp_path: Path) -> Path:
    """The example registry as the first commit of ``main``, dated T1."""
    repo = tmp_path / "registry"
    repo.mkdir()
    copy_example_registry(repo)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "registry", T1)
    return repo


def test_a_monitoring_report_is_not_read_as_a_deployment(tmp_path: Path) -> None:
    """A report under models/<m>/monitoring/ changes nothing that runs: no event, and no
    "does not load" warning as if it were an unreadable deployment.yaml."""
    repo = _example_on_main(tmp_path)
    report = repo / "models/sepsis-ews/monitoring/2026-q4.yaml"
    report.parent.mkdir()
    report.write_text("apiVersion: clinigate/v1\nkind: MonitoringReport\nmodel: sepsis-ews\n")
    commit_all(repo, "Add the 2026-q4 monitoring report (#12)", T2)
    with Auditor.open(Git(repo), "main") as auditor:
        assert auditor.log.problems == []
        assert [e for e in auditor.log.events if e.path == "models/sepsis-ews/monitoring/2026-q4.yaml"] == []


def test_a_risk_register_change_is_its_own_event(tmp_path: Path) -> None:
    """risk.yaml is a controlled document: its change is on the timeline, never read as a deployment."""
    repo = _example_on_main(tmp_path)
    register = repo / "models/sepsis-ews/risk.yaml"
    register.write_text(register.read_text(encoding="utf-8").replace("QMS-RM-0142 rev D", "QMS-RM-0142 rev E"),
                        encoding="utf-8")
    commit_all(repo, "Risk management file rev E (#13)", T2)
    with Auditor.open(Git(repo), "main") as auditor:
        assert auditor.log.problems == []
        changed = [e for e in auditor.log.events if e.path == "models/sepsis-ews/risk.yaml"]
        assert [(e.kind.value, e.model, e.landing.pull_request) for e in changed] == [
            ("risk_register_changed", "sepsis-ews", None), ("risk_register_changed", "sepsis-ews", 13)]


def test_a_waiver_is_its_own_event(tmp_path: Path) -> None:
    """A waiver merged on main is on the timeline, never read as a deployment."""
    repo = _example_on_main(tmp_path)
    waiver = repo / "models/sepsis-ews/waivers/W-1.yaml"
    waiver.parent.mkdir()
    waiver.write_text("""\
apiVersion: clinigate/v1
kind: Waiver
id: W-1
model: sepsis-ews
rule: gates.subgroup_attribute_missing
scope: {versions: [1.4.0]}
reason: Preferred language is not recorded yet (CAPA-2026-014).
expires: 2099-01-31T00:00:00Z
required_roles: [regulatory, quality]
submitted_by: pnair
""", encoding="utf-8")
    commit_all(repo, "Waiver W-1 (#14)", T2)
    with Auditor.open(Git(repo), "main") as auditor:
        assert auditor.log.problems == []
        changed = [e for e in auditor.log.events if e.path == "models/sepsis-ews/waivers/W-1.yaml"]
        assert [(e.kind.value, e.model, e.landing.pull_request) for e in changed] == [
            ("waiver_changed", "sepsis-ews", 14)]
