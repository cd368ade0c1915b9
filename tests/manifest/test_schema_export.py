from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
from testing.fixtures import REPO_ROOT, CliResult

from clinigate.manifest import schema_export


def test_committed_schemas_are_fresh() -> None:
    stale = [s for s in schema_export.check(REPO_ROOT / "schemas") if s.state != "fresh"]
    assert not stale, "run `clinigate schema` and commit schemas/"


def test_schemas_are_valid_draft_2020_12() -> None:
    for name in schema_export.SCHEMA_FILES.values():
        schema = json.loads((REPO_ROOT / "schemas" / name).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["additionalProperties"] is False


def test_stale_schema_fails_the_check_and_writing_fixes_it(
        tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / ".git").mkdir()  # --repo does not need a real repository for this command
    target = tmp_path / "schemas" / "model-version.schema.json"
    schema = json.loads(target.read_text())
    schema["properties"].pop("monitoring")
    target.write_text(json.dumps(schema))
    (tmp_path / "schemas" / "roles.schema.json").unlink()

    result = run_cli("schema", "--check", "--repo", str(tmp_path))
    assert result.code == 1
    assert result.stdout.splitlines() == [  # one finding per file, in SCHEMA_FILES order, nothing else
        f"schemas/{name}: [schema.stale] the file is {state}; run `clinigate schema` and commit the result"
        for name, state in sorted({"model-version.schema.json": "stale", "roles.schema.json": "missing"}.items(),
                                  key=lambda item: list(schema_export.SCHEMA_FILES.values()).index(item[0]))]

    assert run_cli("schema", "--repo", str(tmp_path)).code == 0
    fresh = run_cli("schema", "--check", "--repo", str(tmp_path))
    assert fresh.code == 0 and f"{len(schema_export.SCHEMA_FILES)} schemas are up to date" in fresh.stdout


def test_every_example_document_names_its_kinds_schema_for_editors() -> None:
    """The `# yaml-language-server: $schema=` line on each bundled document resolves to its kind's schema."""
    import yaml
    seen = set()
    for path in sorted([*(REPO_ROOT / "models").rglob("*.yaml"), *(REPO_ROOT / "policies").rglob("*.yaml")]):
        text = path.read_text(encoding="utf-8")
        kind = yaml.safe_load(text).get("kind")
        if kind not in schema_export.SCHEMA_FILES:
            continue  # policy data, not a document
        first = text.splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == REPO_ROOT / "schemas" / schema_export.SCHEMA_FILES[kind], path
        seen.add(kind)
    # reports are written by monitor; a waiver is an exception the bundled registry does not need
    assert seen >= set(schema_export.SCHEMA_FILES) - {"MonitoringReport", "Waiver"}
