"""load_bundle: modules apart from tests, data from policies/data, nothing from outside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from testing.files import write_tree

from clinigate.policy.bundle import PolicyBundle, PolicyModule, load_bundle
from clinigate.policy.engine import PolicyBundleError

GATE = """
package clinigate.gate
import rego.v1
allow if input.auc_e4 >= data.clinigate.limits.min_auc_e4
"""


def test_modules_tests_and_data_are_separated_and_sorted(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "policies/z.rego": GATE.replace("gate", "z"),
        "policies/gate.rego": GATE,
        "policies/gate_test.rego": "package clinigate.gate_test\nimport rego.v1\ntest_x if true\n",
        "policies/sub/deep.rego": "package clinigate.deep\nimport rego.v1\nx := 1\n",
        "policies/sub/deep_test.rego": "package clinigate.deep_test\nimport rego.v1\ntest_y if true\n",
        "policies/README.md": "not policy",
        "policies/data/limits.yaml": "min_auc_e4: 8000\nattributes: [age_band, sex]\n",
        "policies/data/classes.json": '{"order": ["initial", "metadata_only"]}',
        "policies/data/roles.yaml": "people: []\n",
        "policies/data/notes.txt": "ignored",
    })
    bundle = load_bundle(tmp_path)
    assert [m.path for m in bundle.modules] == ["policies/gate.rego", "policies/sub/deep.rego", "policies/z.rego"]
    assert [t.path for t in bundle.tests] == ["policies/gate_test.rego", "policies/sub/deep_test.rego"]
    assert all(t.is_test for t in bundle.tests) and not any(m.is_test for m in bundle.modules)
    assert bundle.modules[0].source.startswith("package clinigate.gate\n")
    assert bundle.data == {"clinigate": {
        "classes": {"order": ["initial", "metadata_only"]},
        "limits": {"min_auc_e4": 8000, "attributes": ["age_band", "sex"]},
    }}  # roles.yaml is identity data for Python, never policy data


def test_the_example_registry_policies_load(tmp_path: Path) -> None:
    from testing.fixtures import REPO_ROOT

    bundle = load_bundle(REPO_ROOT)
    assert bundle.modules and "defaults" in bundle.data["clinigate"]
    assert "roles" not in bundle.data["clinigate"]
    assert not any(m.path.endswith("_test.rego") for m in bundle.modules)


def test_no_data_folder_gives_an_empty_namespace(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gate.rego": GATE})
    assert load_bundle(tmp_path).data == {"clinigate": {}}


def test_a_bad_yaml_data_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/gate.rego": GATE,
                          "policies/data/limits.yaml": "min_auc_e4: 8000\nmin_auc_e4: 7000\n"})
    with pytest.raises(PolicyBundleError) as caught:
        load_bundle(tmp_path)
    assert str(caught.value).startswith("policies/data/limits.yaml:")
    assert "twice" in str(caught.value) and caught.value.exit_code == 3


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("limits.json", '{"a": 1, "a": 2}', "appears twice"),
    ("limits.json", '{"a": NaN}', "NaN is not a JSON number"),
    ("limits.json", '{"a": ', "policies/data/limits.json:1:7: not valid JSON"),
    ("limits.yaml", "a: !!python/object:os.system x\n", "policies/data/limits.yaml"),
    ("limits.yaml", "a: .nan\n", "plain JSON values"),
])
def test_data_files_are_strict(tmp_path: Path, name: str, text: str, expected: str) -> None:
    write_tree(tmp_path, {"policies/gate.rego": GATE, f"policies/data/{name}": text})
    with pytest.raises(PolicyBundleError, match=expected.replace("(", r"\(")) as caught:
        load_bundle(tmp_path)
    assert f"policies/data/{name}" in str(caught.value)


def test_two_data_files_with_one_name_are_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"policies/data/limits.yaml": "a: 1\n", "policies/data/limits.json": '{"a": 2}'})
    with pytest.raises(PolicyBundleError, match="already defines data.clinigate.limits"):
        load_bundle(tmp_path)


def test_a_module_symlinked_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"evil.rego": GATE})
    repo = write_tree(tmp_path / "repo", {"policies/gate.rego": GATE})
    os.symlink(outside / "evil.rego", repo / "policies/evil.rego")
    with pytest.raises(PolicyBundleError, match="policies/evil.rego: a symbolic link points outside"):
        load_bundle(repo)


def test_a_folder_symlinked_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"evil.rego": GATE})
    repo = write_tree(tmp_path / "repo", {"policies/gate.rego": GATE})
    os.symlink(outside, repo / "policies/shared")
    with pytest.raises(PolicyBundleError, match="policies/shared: a symbolic link points outside"):
        load_bundle(repo)


def test_symlinks_inside_the_repo_are_followed_once(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"policies/gate.rego": GATE, "lib/shared.rego": GATE.replace("gate", "shared")})
    os.symlink(repo / "lib", repo / "policies/lib")
    os.symlink(repo / "policies", repo / "policies/loop")  # a loop must not hang the walk
    paths = [m.path for m in load_bundle(repo).modules]
    assert "policies/lib/shared.rego" in paths and "policies/gate.rego" in paths


def test_missing_policies_folder_and_non_utf8_modules_are_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyBundleError, match="policies/ is missing"):
        load_bundle(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies/gate.rego").write_bytes(b"package x\n# caf\xe9\n")
    with pytest.raises(PolicyBundleError, match=r"policies/gate.rego: not UTF-8 \(byte 15\)"):
        load_bundle(tmp_path)


def test_digest_names_exactly_what_was_loaded() -> None:
    one = PolicyBundle([PolicyModule("policies/a.rego", "package a")], [], {"clinigate": {"x": 1}})
    same = PolicyBundle([PolicyModule("policies/a.rego", "package a")], [], {"clinigate": {"x": 1}})
    other_data = PolicyBundle(one.modules, [], {"clinigate": {"x": 2}})
    other_source = PolicyBundle([PolicyModule("policies/a.rego", "package b")], [], one.data)
    assert one.digest == same.digest
    assert len({one.digest, other_data.digest, other_source.digest}) == 3
