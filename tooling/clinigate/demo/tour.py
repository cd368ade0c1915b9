"""A newcomer's tour on a fresh Git copy of the bundled example registry.

The tour yields :class:`Step` objects and never prints; ``clinigate demo`` renders them.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .. import layout
from ..approvals.trust_files import worktree_findings
from ..errors import EnvironmentProblem, UsageError
from ..findings import Report
from ..gitrepo import Git
from ..manifest import strict_yaml
from ..manifest.semver import SemverKey, next_minor
from ..manifest.validate import validate_registry
from ..report import text as text_report
from .approvals import (
    DemoPki,
    in_review_order,
    review_order_of,
    reviewer,
    sign_deployed_versions,
    version_submitter,
)
from .approvals import roles as demo_roles
from .manifests import (
    as_new_version,
    break_manifest,
    data_update_modification,
    latest_version_file,
    write_manifest,
)
from .step import DEMO_AUTHOR, DEMO_MODEL, Step

REGISTRY_PARTS = (layout.MODELS_DIR, layout.POLICIES_DIR, layout.SCHEMAS_DIR)


def bundled_registry() -> Path:
    """The example registry: inside the wheel, or at the root of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_bundled", package.parent.parent):
        if all((candidate / part).is_dir() for part in REGISTRY_PARTS):
            return candidate
    raise EnvironmentProblem("the bundled example registry is missing from this installation",
                             hint="reinstall clinigate, or run from a source checkout")


def prepare_workdir(workdir: Path) -> None:
    if workdir.exists() and any(workdir.iterdir()):
        raise UsageError(f"{workdir} is not empty; the demo only writes into a new or empty folder")
    workdir.mkdir(parents=True, exist_ok=True)


def run_tour(workdir: Path) -> Iterator[Step]:
    from .evidence import evidence_step, monitoring_step
    from .records import export_step, report_step  # they build on this module's Step

    prepare_workdir(workdir)
    git, pki = yield from _copy_registry(workdir)
    yield _backfill_step(git, pki)
    yield _validate_step(workdir)
    branch, relpath = yield from _broken_manifest_steps(workdir, git)
    yield monitoring_step(workdir, git, branch, relpath)
    yield evidence_step(workdir, git, branch, relpath)
    pending = _gate_step(workdir, branch)
    yield pending
    yield from _approval_steps(workdir, git, branch, pki, pending.details["report"])
    yield from _sync_steps(workdir, git)
    yield from _audit_steps(workdir, git)
    yield report_step(workdir, git)
    yield export_step(workdir, git)


def _backfill_step(git: Git, pki: DemoPki) -> Step:
    acts = sign_deployed_versions(git, pki)
    lines = [f"  {a.predicate.decision.value} {a.document} as {a.predicate.role.value} by "
             f"{a.predicate.signer.name}" for a in acts]
    return Step(
        "The versions in service carry signed approvals",
        "The demo made a certificate authority that only this folder trusts (its certificate is "
        "in policies/trust/, its keys in .demo-pki/) and issued each reviewer a signing "
        "certificate. Every version a deployment.yaml names was signed by a reviewer in each "
        "role the policies require for its change class, never by its submitter. Each "
        "signature is an in-toto statement over the manifest's exact bytes, kept as a Sigstore "
        "bundle on the ledger ref refs/heads/clinigate/ledger, away from any branch.",
        command="clinigate approve <manifest> --role <role> --decision approved --reason ... "
                "--key <key.pem> --cert <cert.pem>",
        output="\n".join(lines),
        ok=bool(acts),
        details={"acts": acts},
    )


def _approval_steps(workdir: Path, git: Git, branch: str, pki: DemoPki, pending: Any) -> Iterator[Step]:
    from ..approvals.verify import verify_documents
    from ..gate.check import run_check
    from ..report.approvals import text as verify_text
    from ..report.check import text as check_text

    version = next(m for m in pending.manifests if m.kind == "ModelVersion")
    signed = _sign_missing_roles(workdir, git, branch, pki, version)
    report = run_check(workdir, base="main", head=branch)
    yield Step(
        "Reviewers sign; the gate passes",
        "Each required reviewer signs the committed manifest with their own certificate. The "
        "gate reads the ledger, verifies every signature against the base branch's trust and "
        "roles (a pull request cannot trust its own CA or grant its own reviewers a role), "
        "checks it covers the manifest's current bytes and was not made by the submitter, and "
        "passes once every required role has signed.",
        command=f"clinigate approve {version.path} --role ... && clinigate check --base main --head {branch}",
        output=(signed + "\n\n" + check_text(report)).rstrip(),
        ok=report.decision == "pass",
        details={"report": report},
    )
    verified = verify_documents(git, [version.path], rev=branch)
    yield Step(
        "Who signed, when, and what it means",
        "verify lists every signature with the signer's printed name, the time (trusted when a "
        "log or timestamp authority vouches for it, otherwise marked as claimed), the meaning of "
        "the signature and the reason, as 21 CFR 11.50 asks. Change one byte of the manifest "
        "and every approval becomes invalid, with the reason.",
        command=f"clinigate verify {version.path} --rev {branch}",
        output=verify_text(verified).rstrip(),
        ok=verified.valid,
        details={"verify": verified},
    )


def _sign_missing_roles(workdir: Path, git: Git, branch: str, pki: DemoPki, version: Any) -> str:
    """Each role the pending version still needs signs it on ``branch``; one line per signature."""
    from ..manifest.revision import Snapshot
    from ..policy.bundle import bundle_at

    people = demo_roles(workdir)
    submitter = version_submitter(git, branch, version.path)
    # Stage by stage: an approval signed before the earlier review stages' does not count.
    stages = review_order_of(Snapshot(git, git.resolve(branch)).doc(layout.pccp_path(version.model)),
                             version.change_class, bundle_at(git, git.resolve("main")).data)
    git.switch(branch)
    try:
        acts = [pki.sign(git, reviewer(people, role, not_id=submitter), version.path, role,
                         "Subgroup performance and data provenance reviewed; meets the PCCP "
                         "data-update protocol")
                for role in in_review_order(version.missing_roles, stages)]
    finally:
        git.switch("main")
    return "\n".join(f"signed: {a.predicate.role.value} by {a.predicate.signer.name} "
                     f"(act {a.act_id[:12]}…)" for a in acts)


def _sync_steps(workdir: Path, git: Git) -> Iterator[Step]:
    from ..registry.actual import MlflowRegistry
    from ..registry.desired import read_desired
    from ..registry.plan import make_plan
    from ..registry.reconcile import apply
    from ..registry.run import SyncOutcome
    from ..report.sync import text as sync_text
    from .mlflow_seed import seed, tracking_uri

    counts = seed(workdir)
    uri = tracking_uri(workdir)
    client = MlflowRegistry(uri)
    plan = make_plan(read_desired(git, rev="main"), client, drift="repair", prune=False, legacy_stages=False)
    written = apply(plan, client, lock_timeout=30).written
    versions = ", ".join(f"{name}: {n} versions" for name, n in counts.items())
    yield Step(
        "MLflow follows Git",
        f"The demo registered the models' artifacts in a local MLflow store ({versions}; the "
        "numbers between the manifests' versions are exploratory candidates). sync reads the "
        "deployment.yaml files merged on main, recomputes each production artifact's digest from "
        "MLflow's copy and compares it with the manifest, then sets one alias per environment and "
        "clinigate.* tags on each deployed version.",
        command=f"clinigate sync --tracking-uri {uri} --apply",
        output=sync_text(SyncOutcome(plan, written)).rstrip(),
        ok=not plan.refusals and bool(written),
    )
    again = make_plan(read_desired(git, rev="main"), client, drift="repair", prune=False, legacy_stages=False)
    yield Step(
        "A second sync has nothing to do",
        "Sync acts only on drift, so running it again (as the scheduled job does) writes nothing. "
        "Move an alias by hand in MLflow and the next dry run reports it (exit 1); --apply puts "
        "it back and records why.",
        command=f"clinigate sync --tracking-uri {uri} --dry-run",
        output=sync_text(SyncOutcome(again)).rstrip(),
        ok=again.in_sync,
        details={"tracking_uri": uri},
    )


def _audit_steps(workdir: Path, git: Git) -> Iterator[Step]:
    """A second deployment an hour later, synced; then the auditor's three questions."""
    from datetime import UTC, timedelta

    from ..audit.answers import Timeline
    from ..audit.query import Auditor
    from ..audit.verify import verify_history
    from ..report.audit import at_text, timeline_text
    from ..report.text import finding_line

    first = datetime.fromisoformat(git.run(["log", "-1", "--format=%cI", "main"]).strip())
    staged = _stage_shadow_version(workdir, git, first + timedelta(hours=1))
    yield staged
    between = (first + timedelta(minutes=30)).astimezone(UTC)
    with Auditor.open(git, "main") as auditor:
        timeline = timeline_text(Timeline(DEMO_MODEL, auditor.timeline(DEMO_MODEL, "staging")))
        answer = auditor.at(DEMO_MODEL, "staging", between)
    findings = verify_history(git, "main")
    errors = [f for f in findings if f.severity.value == "error"]
    moment = between.strftime("%Y-%m-%dT%H:%M:%SZ")
    yield Step(
        "The history answers the auditor",
        "Auditors ask what ran where and when, who approved it, and whether anything was altered "
        "since. clinigate folds main's first-parent history into events (never a second copy of "
        "state): the timeline lists each deployment change with its commit, its approvals and "
        "rationale; `audit at` names the version in force at a moment (half an hour before the "
        "staging change: still the old version); `audit verify` re-checks the whole history. Commit "
        "times are Git's and shown as claimed; signature times are trusted only when a log or a "
        "timestamp authority vouches for them.",
        command=f"clinigate audit timeline {DEMO_MODEL} --env staging && clinigate audit at {DEMO_MODEL} "
                f"{moment} --env staging && clinigate audit verify",
        output="\n".join([timeline.rstrip(), "", at_text(answer).rstrip(), "",
                          *[finding_line(f) for f in findings],
                          f"audit verify: {len(findings)} finding(s), {len(errors)} error(s)"]),
        ok=answer.deployed is not None and answer.deployed.event.after == "1.2.1" and not errors,
        details={"findings": findings},
    )


def _stage_shadow_version(workdir: Path, git: Git, when: datetime) -> Step:
    """Stage the version in shadow (already signed), commit it at ``when``, and sync MLflow."""
    from ..registry.actual import MlflowRegistry
    from ..registry.desired import read_desired
    from ..registry.plan import make_plan
    from ..registry.reconcile import apply
    from .mlflow_seed import tracking_uri

    path = workdir / layout.deployment_path(DEMO_MODEL)
    data = strict_yaml.parse(path.read_text(encoding="utf-8"))
    shadow = data["environments"]["shadow"]["version"]
    data["environments"]["staging"]["version"] = shadow
    data["change"]["rationale"] = (f"Stage {shadow} for the clinical review of its shadow results; "
                                   "production unchanged.")
    header = layout.schema_comment(layout.deployment_path(DEMO_MODEL))
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
                    encoding="utf-8")
    commit = git.commit_all(f"Stage {DEMO_MODEL} {shadow}", author=DEMO_AUTHOR[0], email=DEMO_AUTHOR[1],
                            date=when.isoformat())
    client = MlflowRegistry(tracking_uri(workdir))
    plan = make_plan(read_desired(git, rev="main"), client, drift="repair", prune=False, legacy_stages=False)
    written = apply(plan, client, lock_timeout=30).written
    return Step(
        "An hour later, staging moves",
        f"A second deployment change lands on main (commit {commit[:12]}, dated an hour after the "
        f"first) and sync moves MLflow's staging alias to {shadow}.",
        command=f"git commit -m 'Stage {DEMO_MODEL} {shadow}' && clinigate sync --apply",
        output=f"staging -> {shadow}; {len(written)} MLflow write(s)",
        ok=not plan.refusals and bool(written),
    )


def _gate_step(workdir: Path, branch: str) -> Step:
    from ..gate.check import run_check
    from ..report.check import text as check_text

    report = run_check(workdir, base="main", head=branch)
    version = next((m for m in report.manifests if m.kind == "ModelVersion"), None)
    return Step(
        "The pull-request gate classifies the change under the PCCP",
        "CI runs the Rego policies in policies/ on what the branch changes: the new version is a "
        "data update that meets every acceptance criterion of the model's PCCP (AUC floor, "
        "subgroup gaps and sizes, no regression against production or the authorised version, "
        "locked validation set), so no regulatory submission is needed, but the PCCP's reviewers "
        "must still approve: the decision is 'pending' until they do.",
        command=f"clinigate check --base main --head {branch}",
        output=check_text(report).rstrip(),
        ok=report.decision == "pending" and version is not None and version.pccp_status == "conforming",
        details={"report": report},
    )


def _copy_registry(workdir: Path) -> Generator[Step, None, tuple[Git, DemoPki]]:
    source = bundled_registry()
    for part in REGISTRY_PARTS:
        shutil.copytree(source / part, workdir / part, ignore=shutil.ignore_patterns(".keep"))
    # The demo's MLflow store, private keys and audit export live beside the registry, never in it.
    ignored = "mlflow.db\nmlflow.db.*\nmlartifacts/\n.demo-pki/\naudit-export/\nreports/\n"
    (workdir / ".gitignore").write_text(ignored, encoding="utf-8")
    pki = DemoPki.create(workdir)
    git = Git.init(workdir)
    commit = git.commit_all("Example registry from the clinigate demo", author=DEMO_AUTHOR[0],
                            email=DEMO_AUTHOR[1])
    models = sorted(p.name for p in (workdir / layout.MODELS_DIR).iterdir() if p.is_dir())
    lines = []
    for model in models:
        versions = sorted((p.stem for p in (workdir / layout.versions_dir(model)).glob("*.yaml")),
                          key=SemverKey)
        lines.append(f"  {layout.model_dir(model)}/  versions: {', '.join(versions)}")
    yield Step(
        "A registry is a Git repository",
        "Each model has model.yaml (intended use), pccp.yaml (its Predetermined Change Control "
        "Plan), deployment.yaml (which version runs where), risk.yaml (its hazards and risk "
        "controls) and one immutable manifest per "
        "version. People and their review roles live in policies/data/roles.yaml.",
        command=f"git init {workdir} && git commit   # {commit[:12]} on main",
        output="\n".join(lines),
        details={"models": models, "commit": commit},
    )
    return git, pki


def _validate_step(workdir: Path) -> Step:
    report = validate_registry(workdir, trust_files=worktree_findings)
    return Step(
        "Validate every document",
        "Strict YAML (no duplicate keys, tags, alias bombs or non-UTF-8), the schema with value "
        "ranges (AUC in [0, 1], n > 0, 95% CIs that contain their estimate), subgroups for age, "
        "sex, race and ethnicity, and cross-references (file name = version, parent exists and "
        "is older, the submitter is in roles.yaml, deployments name real versions).",
        command="clinigate validate",
        output=text_report.render(report).rstrip(),
        ok=report.passed,
        details={"report": report},
    )


def _broken_manifest_steps(workdir: Path, git: Git) -> Generator[Step, None, tuple[str, str]]:
    latest_path = latest_version_file(workdir, DEMO_MODEL)
    data = strict_yaml.parse(latest_path.read_text(encoding="utf-8"))
    new_version = next_minor(data["version"])
    path = latest_path.parent / f"{new_version}.yaml"
    relpath = path.relative_to(workdir).as_posix()
    branch = f"demo/{DEMO_MODEL}-{new_version}"
    git.switch(branch, create=True)

    good = as_new_version(data, new_version, data_update_modification(workdir, DEMO_MODEL))
    broken = break_manifest(good)
    write_manifest(path, broken)
    report = validate_registry(workdir, [path])
    git.commit_all(f"Add {DEMO_MODEL} {new_version} (with mistakes)", author=DEMO_AUTHOR[0],
                   email=DEMO_AUTHOR[1])
    yield Step(
        "A data scientist proposes a version with mistakes",
        f"On branch {branch}, {relpath} derives from {data['version']} but misspells "
        "'rationale', reports an overall AUC of 1.07 and gives the 80+ age band a confidence "
        "interval that does not contain its AUC. clinigate names the file, line, field and rule "
        "for each, and exits 1 so CI blocks the pull request.",
        command=f"clinigate validate {relpath}",
        output=text_report.render(report).rstrip(),
        ok=not report.passed,  # the step succeeds when the mistakes are caught
        details={"report": report, "path": relpath},
    )

    fixed = _commit_fixed(workdir, git, path, good, new_version)
    yield Step(
        "The fix passes",
        f"The corrected manifest is committed on {branch}; main still holds the registry as "
        "shipped.",
        command=f"clinigate validate {relpath}",
        output=text_report.render(fixed).rstrip(),
        ok=fixed.passed,
        details={"report": fixed, "branch": branch},
    )
    return branch, relpath


def _commit_fixed(workdir: Path, git: Git, path: Path, good: dict[str, Any], new_version: str) -> Report:
    """The corrected manifest, validated and committed on the demo branch; back on main after."""
    write_manifest(path, good)
    fixed = validate_registry(workdir, [path])
    git.commit_all(f"Fix {DEMO_MODEL} {new_version} manifest", author=DEMO_AUTHOR[0],
                   email=DEMO_AUTHOR[1])
    git.switch("main")
    return fixed


def summarise(report: Report) -> str:
    return text_report.summary(report)
