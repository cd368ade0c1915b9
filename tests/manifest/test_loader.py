from __future__ import annotations

import os
from pathlib import Path

from clinigate.manifest.loader import load_file, resolve_inside
from clinigate.manifest.version import ModelVersion

VERSION = "models/sepsis-ews/versions/1.0.0.yaml"


def test_example_manifest_loads_into_its_model(registry: Path) -> None:
    loaded = load_file(registry, VERSION)
    assert loaded.findings == []
    assert isinstance(loaded.document, ModelVersion)
    assert loaded.document.version == "1.0.0"
    assert loaded.sha256 is not None and len(loaded.sha256) == 64


def test_paths_that_leave_the_repository_are_refused(tmp_path: Path) -> None:
    leaves = "the path leaves the repository ('..' or absolute)"
    assert resolve_inside(tmp_path, "../x.yaml") == leaves
    assert resolve_inside(tmp_path, "/etc/passwd") == leaves
    assert resolve_inside(tmp_path, "models/../../x.yaml") == leaves  # '..' anywhere, not only first


def test_symlinked_folder_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "1.0.0.yaml").write_text("apiVersion: clinigate/v1\n")
    repo = tmp_path / "repo"
    (repo / "models" / "m").mkdir(parents=True)
    os.symlink(outside, repo / "models" / "m" / "versions")
    loaded = load_file(repo, "models/m/versions/1.0.0.yaml")
    assert [f.rule for f in loaded.findings] == ["path.escape"]


def test_symlink_inside_the_repository_is_followed(registry: Path) -> None:
    link = registry / "models" / "sepsis-ews" / "versions" / "link.yaml"
    os.symlink(registry / VERSION, link)
    loaded = load_file(registry, "models/sepsis-ews/versions/link.yaml")
    assert loaded.document is not None


def test_byte_order_mark_is_tolerated(registry: Path) -> None:
    path = registry / VERSION
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_file(registry, VERSION).findings == []


def test_phi_finding_names_the_field_but_never_the_value(registry: Path) -> None:
    path = registry / VERSION
    text = path.read_text()
    marker = "  summary: "
    start = text.index(marker) + len(marker)
    end = text.index("\n", start)
    path.write_text(text[:start] + "'Reviewed with patient SSN 123-45-6789 and MRN 00123456'" + text[end:])
    loaded = load_file(registry, VERSION, known_emails=frozenset())
    phi = [f for f in loaded.findings if f.rule == "phi.suspected"]
    assert len(phi) == 1
    assert phi[0].field == "change.summary" and phi[0].line is not None
    assert "123-45-6789" not in phi[0].message and "00123456" not in phi[0].message


def test_email_of_known_person_is_not_phi(registry: Path) -> None:
    from clinigate.manifest.phi import scan
    data = {"model_card": {"caveats": "Questions to a.doe@hospital.example.org please"}}
    assert list(scan(data, frozenset({"a.doe@hospital.example.org"}))) == []
    assert [p for p, _ in scan(data)] == [("model_card", "caveats")]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from clinigate.manifest import phi  # noqa: E402

_phi_like = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[a-z ]{0,5}(\d{3}-\d{2}-\d{4}|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}|MRN:? ?\d{6}|DOB \d|\d{8,12})[a-z .,]{0,5}",
                  fullmatch=True),
)


@settings(max_examples=500, deadline=None)
@given(_phi_like)
def test_the_cheap_screen_never_misses_what_the_patterns_find(text: str) -> None:
    if phi.identify(text):
        assert phi.might_contain_phi(text)


def test_parallel_and_serial_validation_agree(registry: Path) -> None:
    from clinigate.manifest import validate as validate_module

    target = registry / "models" / "sepsis-ews" / "versions" / "1.0.0.yaml"
    target.write_text(target.read_text().replace("auc_roc:", "auc_rco:", 1))
    serial = validate_module.validate_registry(registry, jobs=1)
    threshold = validate_module.PARALLEL_THRESHOLD
    try:
        validate_module.PARALLEL_THRESHOLD = 1
        parallel = validate_module.validate_registry(registry, jobs=2)
    finally:
        validate_module.PARALLEL_THRESHOLD = threshold
    assert serial.findings and serial.findings == parallel.findings
