"""Numbers JSON can hold and text that reads as stored (plain_data.py), on parsed YAML and via the loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinigate.manifest.loader import load_bytes
from clinigate.manifest.plain_data import MAX_SAFE_INTEGER, problems
from clinigate.manifest.strict_yaml import parse


def rules(text: str) -> list[tuple[str, str]]:
    return [(p.rule, p.field) for p in problems(parse(text))]


@pytest.mark.parametrize("literal", [".nan", ".NaN", ".inf", "-.Inf", "+.INF", "1e400", "-2.5e308"])
def test_non_finite_floats_are_refused(literal: str) -> None:
    assert rules(f"a:\n  b: {literal}\n") == [("yaml.non-finite", "a.b")]


def test_integers_are_bounded_at_the_json_safe_range() -> None:
    assert rules(f"a: [{MAX_SAFE_INTEGER}, -{MAX_SAFE_INTEGER}, true, 0x1F]\n") == []
    assert rules(f"a: [{MAX_SAFE_INTEGER + 1}, -{MAX_SAFE_INTEGER + 1}]\n") == [
        ("yaml.integer-range", "a[0]"), ("yaml.integer-range", "a[1]")]
    [found] = problems(parse(f"n: {2**53}\n"))
    assert "integer 9007199254740992 is outside the JSON-safe range |n| < 2**53" in found.message


@pytest.mark.parametrize("digits", [31, 4300, 5000, 9999])
def test_huge_integers_are_described_by_their_length_never_printed(digits: int) -> None:
    [found] = problems(parse("n: " + "9" * digits + "\n"))
    assert found.message.startswith(f"a {digits:,}-digit integer is outside")


def test_quoted_numbers_and_plain_text_pass() -> None:
    assert rules("a: '.nan'\nb: 'x'\nc: 0.5\nd: Hispanic or Latino\ne: café\n") == []


@pytest.mark.parametrize(("char", "rule", "name"), [
    ("\u200b", "yaml.invisible-character", "U+200B ZERO WIDTH SPACE"),
    ("\u200d", "yaml.invisible-character", "U+200D ZERO WIDTH JOINER"),
    ("\u2060", "yaml.invisible-character", "U+2060 WORD JOINER"),
    ("\ufeff", "yaml.invisible-character", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u202e", "yaml.bidi-control", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2066", "yaml.bidi-control", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\u200f", "yaml.bidi-control", "U+200F RIGHT-TO-LEFT MARK"),
    ("\u061c", "yaml.bidi-control", "U+061C ARABIC LETTER MARK"),
])
def test_invisible_and_bidi_characters_are_named_in_keys_and_values(char: str, rule: str, name: str) -> None:
    value = problems(parse(f"a:\n  - x{char}y\n"))
    key = problems(parse(f"a:\n  k{char}ey: 1\n"))
    assert [(p.rule, p.field) for p in value] == [(rule, "a[0]")]
    assert [(p.rule, p.field) for p in key] == [(rule, f"a.k<U+{ord(char):04X}>ey")]
    assert name in value[0].message and value[0].message.startswith("text contains")
    assert key[0].message.startswith("field name contains")


def test_escaped_control_characters_are_caught_too() -> None:
    # A double-quoted escape puts the character in the value without it appearing in the file.
    assert rules('name: "North\\u202eCampus"\n') == [("yaml.bidi-control", "name")]


def test_one_string_with_both_kinds_gets_both_findings_naming_every_character() -> None:
    found = problems(parse('v: "a\\u200bb\\u202ec\\u202c"\n'))
    assert [p.rule for p in found] == ["yaml.invisible-character", "yaml.bidi-control"]
    assert "U+202C POP DIRECTIONAL FORMATTING and U+202E RIGHT-TO-LEFT OVERRIDE" in found[1].message


def test_keys_equal_after_nfc_are_refused_naming_both() -> None:
    found = problems({"m": {"caf\u00e9": 1, "cafe\u0301": 2, "plain": 3}})
    assert [(p.rule, p.loc, p.field) for p in found] == [
        ("yaml.nfc-duplicate-key", ("m", "cafe\u0301"), "m.cafe<U+0301>")]
    assert "keys 'caf<U+00E9>' and 'cafe<U+0301>' are the same text after Unicode NFC" in found[0].message


def test_the_angstrom_sign_and_a_ring_are_told_apart_in_the_message() -> None:
    [found] = problems({"\u212b": 1, "\u00c5": 2})
    assert "'<U+212B>' and '<U+00C5>'" in found.message


def test_loader_reports_file_line_and_field_and_skips_the_schema() -> None:
    text = "apiVersion: clinigate/v1\nkind: Model\nhyper:\n  gamma: .nan\n  n: " + "1" * 5000 + "\n"
    loaded = load_bytes("models/m/model.yaml", text.encode())
    assert [(f.path, f.line, f.field, f.rule) for f in loaded.findings] == [
        ("models/m/model.yaml", 4, "hyper.gamma", "yaml.non-finite"),
        ("models/m/model.yaml", 5, "hyper.n", "yaml.integer-range"),
    ]
    assert loaded.document is None


def test_no_finding_echoes_the_hidden_character(registry: Path) -> None:
    raw = (registry / "models/sepsis-ews/versions/1.3.0.yaml").read_text(encoding="utf-8")
    raw = raw.replace("Mercy General North\n", "Mercy General \u202eNorth\u200b\n", 1)
    loaded = load_bytes("models/sepsis-ews/versions/1.3.0.yaml", raw.encode())
    assert {f.rule for f in loaded.findings} == {"yaml.bidi-control", "yaml.invisible-character"}
    for finding in loaded.findings:
        assert finding.line is not None and finding.field == "training.dataset.sites[1].name"
        assert not any(c in finding.message + finding.field for c in "\u202e\u200b")
