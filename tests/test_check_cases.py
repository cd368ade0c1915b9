"""Case folders for the gates: ``tests/cases/check/<case>/case.yaml``, each a change to the example
registry that ``check`` must judge as it says.

A case starts from a copy of the example registry on ``main``; ``base`` edits are committed there
(what the rules of the base, e.g. its PCCP, say); then a branch ``review`` adds the demo's
conforming data update (``{new}`` is its path) and applies the case's ``head`` edits. ``check
--base main`` (embedded engine, in process) must reach ``decision`` and, for each path, produce
every rule in ``deny`` (each with a message fragment), every warning in ``warn`` and none in
``absent``; with ``action``, the document's ``regulatory_action`` (and ``pccp_status``, if given)::

    description: the model trained on its own test set
    head:
      - path: "{new}"
        set: {training.dataset.sha256: "…"}              # dotted keys (list items by index)
      - path: models/sepsis-ews/pccp.yaml
        replace: ["min_auc: 0.8", "min_auc: 0.85"]      # old, new (old must be there)
      - path: models/sepsis-ews/risk.yaml
        write: risk.yaml                                  # a file of the case folder
    decision: fail
    deny:
      - {path: "{new}", rule: gates.data_independence, message: "locked validation set"}
    absent: [gates.auc_floor]
    warn:                                                 # optional: warnings, like deny
      - {path: "{new}", rule: pccp.significance, message: "non-significant"}
    action: {path: "{new}", regulatory_action: new_submission}   # optional; pccp_status too
    approvals:                                            # optional: signed on the head's {new}
      - {person: kosei, role: quality, signed_at: "2026-03-02T09:00:00Z", meaning: review}
      - {person: kosei, role: quality, signed_at: "…", path: models/sepsis-ews/waivers/W-1.yaml}
    waived:                                               # optional: findings a waiver lifts
      - {path: "{new}", rule: gates.subgroup_attribute_missing, waiver: W-1}

With ``failures``, main trusts the gate's evaluation recorder (``pki.evaluation_recorders``) and, before
the change, the gate's signed records of failed evaluations of other versions are put on
refs/heads/clinigate/evaluations (each ``{version, modification_id (default: the PCCP's data-update
modification), rules}``); ``{failure}`` in a ``set`` value is the first record's digest, what a
``change.root_cause`` cites.

With ``approvals``, main trusts a test CA without a TSA (``pki.require_timestamp: false``), so each
approval is a real signature ordered by the time it claims (``signed_at``); ``meaning`` defaults to
approval; ``path`` signs another document of the head (a waiver) instead of ``{new}``.

The engines agree on these inputs by ``policy crosscheck``; here the rule ids and the decision
are the contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from testing.approvals import sign_claimed
from testing.evaluations import record_failure, recorder_signer, trust_the_recorder
from testing.files import replace_in
from testing.fixtures import commit_all, git

from clinigate.demo.approvals import DemoPki
from clinigate.demo.approvals import roles as demo_roles
from clinigate.demo.manifests import DEMO_MODEL, data_update_modification, write_data_update
from clinigate.gate.check import run_check
from clinigate.gitrepo import Git

CASES = Path(__file__).parent / "cases" / "check"


def _cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir())


def _apply(case: Path, repo: Path, edits: list[dict[str, Any]], new: str, failure: str = "") -> None:
    for edit in edits:
        path = edit["path"].format(new=new)
        if "set" in edit:
            _set(repo / path, _fill(edit["set"], failure))
        elif "replace" in edit:
            old, replacement = edit["replace"]
            replace_in(repo, path, old, replacement)
        elif "write" in edit:
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((case / edit["write"]).read_bytes())
        elif edit.get("delete"):
            (repo / path).unlink()
        else:
            raise AssertionError(f"{case.name}: an edit needs replace, write or delete: {edit}")


def _fill(value: Any, failure: str) -> Any:
    """``value`` with ``{failure}`` in its strings replaced by the recorded failure's digest."""
    if isinstance(value, dict):
        return {k: _fill(v, failure) for k, v in value.items()}
    return value.replace("{failure}", failure) if isinstance(value, str) else value


def _set(file: Path, values: dict[str, Any]) -> None:
    """Set dotted keys of a YAML document (``a.b.0.c``), keeping its editor's ``$schema`` line."""
    text = file.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text.startswith("# yaml-language-server") else None
    data = yaml.safe_load(text)
    for dotted, value in values.items():
        *parents, last = [int(k) if k.isdigit() else k for k in dotted.split(".")]
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    file.write_text(f"{first}\n{body}" if first else body, encoding="utf-8")


def _judge(case: Path, repo: Path) -> tuple[dict[str, Any], str, Any]:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    pki = DemoPki.create(repo, timestamps=False) if spec.get("approvals") or spec.get("failures") else None
    if pki:
        (repo / ".gitignore").write_text(".demo-pki/\n", encoding="utf-8")  # the CA's keys stay out of Git
    if spec.get("failures"):
        trust_the_recorder(repo)
    if spec.get("base") or pki:
        _apply(case, repo, spec.get("base", []), new="")
        commit_all(repo, f"{case.name}: the base")
    git(repo, "switch", "-q", "-c", "review")
    records = [record_failure(Git(repo), recorder_signer(pki), model=DEMO_MODEL, version=f["version"],
                              modification_id=f.get("modification_id", data_update_modification(repo, DEMO_MODEL)),
                              rules=tuple(f.get("rules", ["gates.auc_floor"])))
               for f in spec.get("failures", []) if pki]
    new = write_data_update(repo)
    _apply(case, repo, spec.get("head", []), new, records[0].record if records else "")
    commit_all(repo, f"{case.name}: the change")
    for act in spec.get("approvals", []):
        assert pki is not None
        person = demo_roles(repo).person(act["person"])
        assert person is not None, act
        document = act.get("path", "{new}").format(new=new)
        sign_claimed(Git(repo), pki, document, person, act["role"], act["signed_at"], meaning=act.get("meaning"))
    return spec, new, run_check(repo, base="main")


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_the_gate_judges_the_case_as_it_says(case: Path, registry: Path) -> None:
    spec, new, report = _judge(case, registry)
    by_path = {m.path: m for m in report.manifests}
    shown = {m.path: [(f.rule, f.message) for f in m.findings] for m in report.manifests}
    for expected in spec.get("deny", []):
        path = expected["path"].format(new=new)
        assert path in by_path, f"{case.name}: {path} not judged; judged {sorted(by_path)}"
        assert any(f.rule == expected["rule"] and expected["message"] in f.message and f.severity == "error"
                   for f in by_path[path].findings), f"{case.name}: expected {expected}, got {shown[path]}"
    for expected in spec.get("warn", []):
        path = expected["path"].format(new=new)
        assert any(f.rule == expected["rule"] and expected["message"] in f.message and f.severity == "warning"
                   for f in by_path[path].findings), f"{case.name}: expected {expected}, got {shown[path]}"
    for expected in spec.get("waived", []):
        judged = by_path[expected["path"].format(new=new)]
        assert any(w.rule == expected["rule"] and w.waiver == expected["waiver"] for w in judged.waived), \
            f"{case.name}: expected {expected} waived, got {judged.waived}"
    found = {f.rule for m in report.manifests for f in m.findings}
    assert not found & set(spec.get("absent", [])), f"{case.name}: {shown}"
    if "action" in spec:
        action = spec["action"]
        judged = by_path[action["path"].format(new=new)]
        for key in ("regulatory_action", "pccp_status"):
            if key in action:
                assert getattr(judged, key) == action[key], f"{case.name}: {key} {getattr(judged, key)}"
    assert report.decision == spec["decision"], f"{case.name}: {report.decision}, findings {shown}"


def test_a_failing_case_names_what_it_denies() -> None:
    for case in _cases():
        spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
        assert spec.get("description"), case.name
        assert spec["decision"] != "fail" or spec.get("deny"), f"{case.name}: a failing case lists its denies"
