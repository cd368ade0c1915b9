"""The PHI screen (clinigate.manifest.phi) against identifiers as they leak and clinical text as it is.

Every corpus entry goes through ``phi.scan_document``, the function the loader calls, as a value,
as a mapping key and as a comment of a real YAML document parsed by the strict parser.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from testing.fixtures import CliResult

from clinigate.manifest import phi, strict_yaml
from clinigate.manifest.loader import load_file
from clinigate.manifest.phi.text import fold

DATA = Path(__file__).parent / "data"
PHI = yaml.safe_load((DATA / "phi_corpus.yaml").read_text(encoding="utf-8"))
CLEAN = yaml.safe_load((DATA / "clean_corpus.yaml").read_text(encoding="utf-8"))
CONTACT = "clinical-ai@mercy-general.example.org"
STAFF = frozenset({"priya.nair@mercy-general.example.org"})  # a person in roles.yaml
VERSION = "models/sepsis-ews/versions/1.3.0.yaml"


def _scan(*, value: str | None = None, key: str | None = None, comment: str | None = None,
          style: str | None = None) -> list[phi.Suspect]:
    data: dict[str, Any] = {"developer": {"contact": CONTACT}, "change": {"summary": "Data refresh"}}
    if value is not None:
        data["change"]["summary"] = value
    if key is not None:
        data["change"]["hyperparameters"] = {key: 1}
    text = yaml.dump(data, Dumper=_dumper(style), allow_unicode=True, width=60, sort_keys=False)
    if comment is not None:
        text = f"# {comment}\n{text}"
    return phi.scan_document(text, strict_yaml.parse(text), STAFF)


def _dumper(style: str | None) -> type[yaml.SafeDumper]:
    """Long strings (the sentences) in ``style``; keys and short values stay plain."""
    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        chosen = style if len(value) > 30 else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=chosen)

    Dumper.add_representer(str, text)
    return Dumper


def _kinds(found: list[phi.Suspect]) -> list[str]:
    return [kind for suspect in found for kind in suspect.kinds]


def test_the_corpora_are_large_enough() -> None:
    assert len(PHI) >= 40 and len(CLEAN) >= 40
    assert len({item["text"] for item in PHI}) == len(PHI) and len(set(CLEAN)) == len(CLEAN)


@pytest.mark.parametrize("item", PHI, ids=lambda item: item["text"][:40])
@pytest.mark.parametrize("place", list(phi.Place))
def test_each_identifier_is_refused_wherever_it_is(item: dict[str, str], place: phi.Place) -> None:
    found = _scan(**{place.value: item["text"]})
    assert item["kind"] in _kinds(found), found
    assert {s.place for s in found} == {place}


@pytest.mark.parametrize("text", CLEAN, ids=lambda text: text[:40])
@pytest.mark.parametrize("place", list(phi.Place))
def test_clinical_text_gives_no_finding(text: str, place: phi.Place) -> None:
    assert _scan(**{place.value: text}) == []


@pytest.mark.parametrize("style", [None, "'", '"', "|", ">"])
def test_every_yaml_style_is_seen(style: str | None) -> None:
    for item in PHI:
        assert item["kind"] in _kinds(_scan(value=item["text"], style=style)), (style, item)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([item["text"] for item in PHI]), st.sampled_from([None, "'", '"', "|", ">"]),
       st.integers(min_value=20, max_value=120),
       # NEL, LS and PS are line breaks to PyYAML (YAML 1.1), which writes them raw into block
       # scalars, and content to the YAML 1.2 loader, which then refuses the text: noise without
       # them, so the generated document is one both read alike.
       st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x85\u2028\u2029"), max_size=30))
def test_the_cheap_screen_sees_what_the_walk_finds(sentence: str, style: str | None, width: int,
                                                    noise: str) -> None:
    data = {"change": {"summary": noise + " " + sentence, "note": noise}}
    text = yaml.dump(data, Dumper=_dumper(style), allow_unicode=True, width=width)
    if list(phi.scan(strict_yaml.parse(text))):
        assert phi.might_contain_phi(text)


def test_folding_drops_every_format_character_and_reads_other_digits() -> None:
    hidden = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert fold("1" + "".join(hidden) + "2") == "12"
    assert fold("\uff11\uff12\uff13\uff20\u0661\u0662") == "123@12"  # full-width, Arabic-Indic
    assert fold("Jos\u00e9 1\u0332") == "Jose 1"  # marks go: the scan needs the letters only
    assert fold("line one\nline two") == "line one\nline two"  # line numbers stay true


def test_email_is_allowed_only_where_staff_addresses_belong() -> None:
    roles = {"people": [{"name": "Mrs Priya Nair", "email": "priya.nair@mercy-general.example.org"}]}
    assert list(phi.scan(roles)) == []  # a printed name and an address where roles.yaml keeps them
    model = {"developer": {"contact": CONTACT}, "description": f"Questions to {CONTACT}."}
    assert list(phi.scan(model)) == []  # the document's own contact, repeated in its text
    stranger = {"developer": {"contact": "jane.doe@gmail.com"}, "notes": "Also cc bob@example.org"}
    assert [path for path, _ in phi.scan(stranger)] == [("notes",)]
    assert phi.identify("cc priya.nair@mercy-general.example.org", STAFF) == ()


def test_digits_by_design_are_judged_only_with_a_label() -> None:
    counts = {"training": {"dataset": {"size": 219099999}, "algorithm": {"random_seed": 123456789}}}
    assert list(phi.scan(counts)) == []
    labelled = {"hyperparameters": {"mrn": 12345678, "depth": 219099999}}
    assert sorted(path for path, _ in phi.scan(labelled)) == [("hyperparameters", "depth"),
                                                                ("hyperparameters", "mrn")]


def test_clinicians_and_ids_are_not_names() -> None:
    assert phi.identify("Dr. Lindqvist and Dr Baptiste signed the clinical review.") == ()
    assert list(phi.scan({"submitted_by": "pnair", "people": [{"name": "Mr Kwame Osei"}]})) == []


def test_a_hash_inside_a_scalar_is_not_a_comment() -> None:
    text = "summary: 'Patient #4 DOB 12/04/1961'\nnote: |\n  # pt DOB 12/04/1961\n"
    found = phi.scan_document(text, strict_yaml.parse(text))
    assert {(s.place, s.path) for s in found} == {(phi.Place.VALUE, ("summary",)),
                                                  (phi.Place.VALUE, ("note",))}


def test_findings_name_place_and_kind_but_never_the_text(registry: Path) -> None:
    path = registry / VERSION
    text = path.read_text()
    text = text.replace("submitted_on: 2025-10-20\n",
                        "submitted_on: 2025-10-20  # call the daughter on (555)123-4567\n", 1)
    text = text.replace("      eval_metric: aucpr\n", "      eval_metric: aucpr\n      pt John Smith: 1\n", 1)
    text = text.replace("    random_seed: 4242\n", "    random_seed: 4242\n    auc: 219099999\n", 1)
    text = text.replace("  summary: Data refresh", "  summary: Data refresh (MRN\u200b A12345678)", 1)
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    loaded = load_file(registry, VERSION)
    found = sorted((f.rule, f.line, f.field) for f in loaded.findings)
    assert found == sorted([
        ("phi.in-comment", _line(lines, "(555)"), None),
        ("phi.in-key", _line(lines, "John"), "training.algorithm.hyperparameters"),
        ("phi.suspected", _line(lines, "219099999"), "training.algorithm.auc"),
        ("phi.suspected", _line(lines, "A12345678"), "change.summary"),
        # the zero-width space that split the MRN is refused in its own right (plain_data.py)
        ("yaml.invisible-character", _line(lines, "A12345678"), "change.summary"),
    ])  # 'auc' is an unknown field, but saying so would name it next to its value: not reported
    assert not any(f.rule.startswith("schema") for f in loaded.findings)
    shown = " ".join(f"{f.message} {f.field}" for f in loaded.findings)
    for secret in ("555", "4567", "John", "Smith", "A12345678"):
        assert secret not in shown


def _line(lines: list[str], needle: str) -> int:
    return next(number for number, line in enumerate(lines, 1) if needle in line)


@pytest.mark.slow
def test_validate_refuses_identifiers_in_a_comment_a_key_and_an_integer(
        registry: Path, run_cli: Callable[..., CliResult]) -> None:
    path = registry / VERSION
    text = path.read_text()
    text = text.replace("submitted_on: 2025-10-20\n", "submitted_on: 2025-10-20\n# pt DOB 12-Apr-1961\n", 1)
    text = text.replace("      eval_metric: aucpr\n", "      eval_metric: aucpr\n      SSN 123-45-6789: 1\n", 1)
    text = text.replace("      min_child_weight: 12\n", "      min_child_weight: 6177262000\n", 1)
    path.write_text(text, encoding="utf-8")
    result = run_cli("validate", VERSION, cwd=registry)
    assert result.code == 1, result.stderr
    lines = [line for line in result.stdout.splitlines() if "[phi." in line]
    assert len(lines) == 3, result.stdout
    assert any("[phi.in-comment]" in line and "a date of birth" in line for line in lines)
    assert any("[phi.in-key]" in line and "a US Social Security number" in line for line in lines)
    assert any("[phi.suspected]" in line and "min_child_weight" in line and "a phone number" in line
               for line in lines)
    for secret in ("1961", "123-45", "6789", "6177262000"):
        assert secret not in result.stdout + result.stderr
