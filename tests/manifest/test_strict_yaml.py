from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clinigate.manifest.strict_yaml import DEFAULT_LIMITS, Limits, Locator, YamlProblem, parse


def problem(text: str, limits: Limits = DEFAULT_LIMITS) -> YamlProblem:
    with pytest.raises(YamlProblem) as info:
        parse(text, limits)
    return info.value


def test_plain_document_parses_with_yaml_12_core_semantics() -> None:
    data = parse("a: yes\nb: 1.10\nc: '1.10'\nd: 2024-01-01\ne: null\nf: [1, 2]\n")
    # 'yes' stays text and dates stay text until the models parse them (no YAML 1.1 surprises)
    assert data == {"a": "yes", "b": 1.1, "c": "1.10", "d": "2024-01-01", "e": None, "f": [1, 2]}


def test_yaml_12_scalars_differ_from_pyyaml_11_where_documented() -> None:
    assert parse("a: 0E0\nb: 010\nc: on\n") == {"a": 0.0, "b": 10, "c": "on"}
    assert yaml.safe_load("a: 0E0\nb: 010\nc: on\n") == {"a": "0E0", "b": 8, "c": True}


def test_duplicate_key_is_refused_with_its_position() -> None:
    err = problem("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert (err.rule, err.line, err.column) == ("yaml.duplicate-key", 4, 3)
    assert "'c' appears twice" in err.message


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['id']", "!custom 1", "!!str 1",
                                 "!!binary aGk="])
def test_every_explicit_tag_is_refused(tag: str) -> None:
    err = problem(f"a: {tag}\n")
    assert err.rule == "yaml.tag"
    assert (err.line, err.column) == (1, 4)


def test_python_tag_is_named_as_such() -> None:
    assert "Python object tag !!python/object:os.system" in problem("a: !!python/object:os.system x\n").message


def test_billion_laughs_is_refused_fast_and_small() -> None:
    # Run in a fresh process and read its own high-water mark (VmHWM belongs to the new
    # address space; ru_maxrss would carry over the forking pytest process's size).
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    script = textwrap.dedent(f"""
        import re, time
        from clinigate.manifest.strict_yaml import parse, YamlProblem
        start = time.perf_counter()
        try:
            parse({bomb!r})
        except YamlProblem as p:
            rule = p.rule
        elapsed = time.perf_counter() - start
        status = open("/proc/self/status").read()
        print(rule, elapsed, re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    rule, seconds, peak_kib = out.stdout.split()
    assert rule == "yaml.aliases"
    assert float(seconds) < 1.0
    assert int(peak_kib) < 100 * 1024


def test_a_few_aliases_are_allowed() -> None:
    assert parse("a: &x [1]\nb: *x\n") == {"a": [1], "b": [1]}


def test_multiple_documents_are_refused() -> None:
    err = problem("a: 1\n---\nb: 2\n")
    assert (err.rule, err.line) == ("yaml.multiple-documents", 2)


def test_leading_document_marker_is_fine() -> None:
    assert parse("---\na: 1\n") == {"a": 1}


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000,
                                  "".join("  " * i + "k:\n" for i in range(60)),
                                  "a: " + "[" * 30 + "]" * 30])
def test_deep_nesting_is_refused(text: str) -> None:
    assert problem(text).rule == "yaml.depth"


def test_tab_indentation_is_refused_with_position() -> None:
    err = problem("a:\n\tb: 1\n")
    assert (err.rule, err.line) == ("yaml.tab", 2)


def test_syntax_error_has_position() -> None:
    err = problem("a: [1, 2\nb: 3\n")
    assert err.rule == "yaml.syntax" and err.line is not None


def test_locator_points_at_keys_and_list_items() -> None:
    text = "a:\n  b:\n    - x\n    - y: 3\n"
    locate = Locator(text)
    assert locate(("a", "b", 1, "y")) == (4, 7)
    assert locate(("a", "missing")) == (1, 1)  # deepest existing ancestor


scalars = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
documents = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=8), kids, max_size=4)),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=8), documents, min_size=1, max_size=5))
def test_round_trip_of_plain_data_agrees_with_pyyaml(data: dict[str, object]) -> None:
    """Quoted plain data written by PyYAML reads back the same (escapes, unicode, nesting).

    Unquoted scalars differ on purpose: clinigate reads YAML 1.2 core (see the test above).
    """
    text = yaml.safe_dump(data, allow_unicode=True, default_style='"')
    try:
        parsed = parse(text, Limits(max_depth=64))
    except YamlProblem as exc:  # only the bounded-structure rules may refuse plain data
        assert exc.rule in {"yaml.depth"}
        return
    assert parsed == yaml.safe_load(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    try:
        parse(text)
    except YamlProblem:
        pass
