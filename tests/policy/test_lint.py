"""policy lint: one test per banned construct, each with its location; comments and strings ignored."""

from __future__ import annotations

import pytest

from clinigate.policy.bundle import PolicyBundle, PolicyModule
from clinigate.policy.lint import lint_bundle, lint_module, tokenize

HEADER = "package clinigate.gates\nimport rego.v1\n\n"  # lines 1-3: every body below starts on line 4


def _lint(body: str, path: str = "policies/gates.rego") -> list[tuple[int | None, int | None, str]]:
    return [(f.line, f.column, f.rule) for f in lint_module(PolicyModule(path, HEADER + body))]


CLEAN = """
default allow := false

allow if {
    input.facts.metrics.overall_auc_e4 >= data.clinigate.defaults.min_auc_e4
    every g in input.facts.metrics.subgroups { g.gap_e4 <= 1000 }
}

deny contains {"rule": "gates.n", "msg": sprintf("only %d patients", [n])} if {
    some s in input.facts.metrics.subgroups
    n := s.n
    n < 100
}

big := {x | some x in input.values; x > 10}
pairs := [[k, v] | some k, v in {"a": 1}]
weights := {"max": 1, "min": 0.5}
limits.max_e4 := 9000
ratio_e4 := round(input.a * 10000)
f(x) := y if {
    y := x + 1
} else := 0
sorted_ids := [id | some id in input.ids]
path := input.data.sort
level := count(input.time)
quoted := "semver.compare(a, b) max( min( sort( object.union data time.diff http.send 0.9 < x $\\"x\\" print("
raw := `deny[msg] { x < 0.5 } data`
# deny[msg] { max(x) < 0.9 } semver.compare data object.union time.format http.send $"a"
one_liner if every x in input.xs { x > 1 }
"""


def test_a_clean_module_passes() -> None:
    assert _lint(CLEAN) == []


@pytest.mark.parametrize(("body", "expected"), [
    ('deny[msg] {\n    msg := "x"\n}\n', [(4, 11, "rego.v0-body")]),
    ("allow {\n    true\n}\n", [(4, 7, "rego.v0-body")]),
    ("x = 1 {\n    true\n}\n", [(4, 7, "rego.v0-body")]),
    ("f(x) {\n    x\n}\n", [(4, 6, "rego.v0-body")]),
    ("a if { false } else {\n    true\n}\n", [(4, 21, "rego.v0-body")]),
    ('deny[msg] if {\n    msg := "x"\n}\n', [(4, 1, "rego.v0-partial-set")]),
    ('deny[msg]\n    if {\n    msg := "x"\n}\n', [(4, 1, "rego.v0-partial-set")]),
    ('older if semver.compare(input.v, "1.0.0") < 0\n', [(4, 10, "rego.semver")]),
    ('valid if semver.is_valid(input.v)\n', [(4, 10, "rego.semver")]),
    ("best := max(input.aucs)\n", [(4, 9, "rego.number-order")]),
    ("worst := min(input.aucs)\n", [(4, 10, "rego.number-order")]),
    ("ordered := sort(input.aucs)\n", [(4, 12, "rego.number-order")]),
    ("merged := object.union(input.a, input.b)\n", [(4, 11, "rego.object-union")]),
    ("merged := object.union_n([input.a, input.b])\n", [(4, 11, "rego.object-union")]),
    ('msg := $"AUC {input.auc} is low"\n', [(4, 8, "rego.interpolation")]),
    ("everything := data\n", [(4, 15, "rego.bare-data")]),
    ('x := object.get(data, ["clinigate"], {})\n', [(4, 17, "rego.bare-data")]),
    ('x := data["clinigate"]\n', [(4, 6, "rego.bare-data")]),
    ("age := time.diff(input.a, input.b)\n", [(4, 8, "rego.time")]),
    ("shown := time.format(input.ns)\n", [(4, 10, "rego.time")]),
    ("ns := time.parse_rfc3339_ns(input.at)\n", [(4, 7, "rego.time")]),
    ('r := http.send({"method": "get", "url": "https://x"})\n', [(4, 6, "rego.http-send")]),
    ("low if input.auc < 0.9\n", [(4, 20, "rego.float-compare")]),
    ("low if 0.75 >= input.auc\n", [(4, 8, "rego.float-compare")]),
    ("same if input.auc == 1e-1\n", [(4, 22, "rego.float-compare")]),
    ("gap if input.a - input.b <= 0.05\n", [(4, 29, "rego.float-compare")]),
    ("neg if input.delta > -0.02\n", [(4, 23, "rego.float-compare")]),
    ("low if {\n    w := [0.9]\n    input.auc < 1\n}\n", []),  # a new line ends an operand
    ("low if {\n    input.auc < round(0.9 * input.scale)\n}\n", [(5, 23, "rego.float-compare")]),
    ('x if {\n    print("auc", input.auc)\n}\n', [(5, 5, "rego.print")]),
])
def test_each_banned_construct_is_found_where_it_is(body: str, expected: list[tuple[int, int, str]]) -> None:
    assert _lint(body) == expected


def test_messages_say_what_to_do_instead() -> None:
    (finding,) = lint_module(PolicyModule("policies/g.rego", HEADER + "low if input.auc < 0.9\n"))
    assert "_e4" in finding.message and finding.path == "policies/g.rego"
    (semver,) = lint_module(PolicyModule("policies/g.rego", HEADER + 'x := semver.compare("1.0.0", "2.0.0")\n'))
    assert "Python" in semver.message


def test_fields_that_share_a_banned_name_are_fine() -> None:
    body = "a := input.max\nb := input.facts.semver.compare\nc := input.time.diff\nd := x.data.y\n"
    assert _lint("x := input\n" + body) == []


def test_test_files_may_compare_float_literals_and_print_but_nothing_else() -> None:
    body = "test_low if {\n    0.5 < 0.9\n    print(1)\n    max([1, 2]) == 2\n}\n"
    assert _lint(body, "policies/gates_test.rego") == [(7, 5, "rego.number-order")]
    assert {(5, 5, "rego.float-compare"), (6, 5, "rego.print")} <= set(_lint(body, "policies/gates.rego"))


def test_one_liner_tests_with_mocked_input_are_not_v0_bodies() -> None:
    body = 'test_a if data.clinigate.gates.allow with input as {"auc_e4": 9000}\n'
    assert _lint(body, "policies/gates_test.rego") == []


def test_unterminated_strings_are_reported_not_crashed() -> None:
    assert _lint('x := "open\n') == [(4, 6, "rego.syntax")]
    assert _lint("x := `open\n") == [(4, 6, "rego.syntax")]
    assert _lint("x := ¬\n") == [(4, 6, "rego.syntax")]


def test_tokenizer_tracks_lines_through_multi_line_raw_strings() -> None:
    tokens = [t for t in tokenize('x := `a\nb`\ny := max(1)\n') if t.kind != "newline"]
    assert [(t.text, t.line, t.col) for t in tokens][-6:] == [
        ("y", 3, 1), (":=", 3, 3), ("max", 3, 6), ("(", 3, 9), ("1", 3, 10), (")", 3, 11)]


def test_the_bundle_report_covers_modules_and_tests() -> None:
    bundle = PolicyBundle(
        [PolicyModule("policies/a.rego", HEADER + "x := max(input.a)\n"),
         PolicyModule("policies/b.rego", HEADER + "y := 1\n")],
        [PolicyModule("policies/a_test.rego", HEADER + "test_x if { data }\n")],
        {"clinigate": {}},
    )
    report = lint_bundle(bundle)
    assert report.files == ["policies/a.rego", "policies/a_test.rego", "policies/b.rego"]
    assert [(f.path, f.rule) for f in report.findings] == [
        ("policies/a.rego", "rego.number-order"), ("policies/a_test.rego", "rego.bare-data")]
    assert not report.passed


def test_the_repository_policies_are_clean() -> None:
    from testing.fixtures import REPO_ROOT

    from clinigate.policy.bundle import load_bundle

    report = lint_bundle(load_bundle(REPO_ROOT))
    assert report.findings == []


# ---------------------------------------------------------------------------------------------
# rego.not-undefined: `not` over a reference that may be undefined
# ---------------------------------------------------------------------------------------------

NEGATION_HELPERS = """s := {"a", "b"}
total_rule := {"x"}
maybe := input.nope
with_default := input.nope
default with_default := null
with_else := v if {
    v := input.nope
} else := null
f(x) if x == 1
g(x) := y if {
    y := input.nope
}
h(x) := object.get(input, "nope", null)
declared := d if {
    d := input.manifest.declared
    is_string(d)
}
"""  # lines 4-20; the shapes below start on line 21

# Each shape with whether OPA and regorus disagree on it when the reference is undefined
# (input.x, input.nope and the rules built on it are; input.xs is [{}]): measured, and checked
# again by test_the_lint_flags_exactly_the_shapes_engines_disagree_on below.
NEGATION_SHAPES = [
    # flagged: OPA moves the reference before the `not` and the body fails
    ("not is_object(input.x)", True),
    ("not input.x in s", True),
    ("not 1 in input.x", True),
    ("not input.x != 1", True),
    ("not count(input.x) > 0", True),
    ("not f(input.x)", True),
    ("not s[input.x]", True),
    ("not [input.x] == [1]", True),
    ("not is_object(maybe)", True),
    ("not maybe in s", True),
    ("not is_boolean(g(1))", True),
    ("not g(1) == 1", True),
    ('not object.get(input.x, "y", null) in s', True),
    ("{\n    some v in input.xs\n    not v.a in s\n}", True),
    # not flagged: the engines agree
    ("not input.x", False),
    ("not input.x.y", False),
    ("not maybe", False),
    ("not g(1)", False),
    ("not input.x == 1", False),  # OPA unifies == inside the negation
    ('not input.x.y = "a"', False),
    ("not maybe == 1", False),
    ('not object.get(input, "x", null) in s', False),
    ('not object.get(input, ["x", "y"], null) in s', False),
    ('not "x" in total_rule', False),
    ("not is_object(with_default)", False),
    ("not is_object(with_else)", False),
    ("not is_boolean(h(1))", False),
    ("{\n    y := input.x\n    not y in s\n}", False),  # a local: the assignment fails first, everywhere
    ("{\n    some v in input.xs\n    not v in s\n}", False),
    ('{\n    is_string(input.x)\n    not startswith(input.x, "a")\n}', False),  # required by an earlier line
    ("{\n    declared\n    not declared in total_rule\n}", False),
    # `every` over nothing holds whatever its body reads, so it requires nothing
    ("{\n    every v in [] { v == input.x }\n    not is_string(input.x)\n}", True),
]


def _shapes_module() -> str:
    rules = "".join(f"r{i} if {body}\n" for i, (body, _) in enumerate(NEGATION_SHAPES))
    return HEADER + NEGATION_HELPERS + rules


def _flagged_rules() -> set[int]:
    source = _shapes_module()
    lines = source.splitlines()
    found = lint_module(PolicyModule("policies/gates.rego", source))
    return {int(lines[next(i for i in range(f.line - 1, -1, -1) if lines[i].startswith("r"))].split()[0][1:])
            for f in found if f.rule == "rego.not-undefined" and f.line is not None}


def test_not_over_a_reference_that_may_be_undefined_is_flagged_and_safe_shapes_are_not() -> None:
    flagged = _flagged_rules()
    assert {i for i, (_, expected) in enumerate(NEGATION_SHAPES) if expected} == flagged, [
        (NEGATION_SHAPES[i][0], i in flagged) for i in range(len(NEGATION_SHAPES))
        if NEGATION_SHAPES[i][1] != (i in flagged)]


def test_the_lint_flags_exactly_the_shapes_engines_disagree_on() -> None:
    pytest.importorskip("opa_bindings")
    from clinigate.policy.engine import make_engine

    bundle = PolicyBundle([PolicyModule("policies/gates.rego", _shapes_module())], [], {"clinigate": {}})
    answers = {}
    for name in ("embedded", "opa"):
        engine = make_engine(name)
        engine.load(bundle)
        answers[name] = engine.evaluate("clinigate.gates", {"xs": [{}]})
        engine.close()
    disagree = {i for i in range(len(NEGATION_SHAPES))
                if (f"r{i}" in answers["embedded"]) != (f"r{i}" in answers["opa"])}
    assert disagree == _flagged_rules()
    assert all(f"r{i}" in answers["embedded"] for i in disagree)  # regorus: true; OPA: fails the body


FAIL_OPEN = """judged := true

deny contains "the authorised baseline has no manifest" if {
    judged
    not is_object(input.authorised)
}

deny contains "the plan has no valid regulatory_action" if {
    not input.pccp.plan.regulatory_action in {"none", "new_submission"}
}
"""


def test_the_fail_open_denies_are_found_with_the_fix_in_the_message() -> None:
    found = [f for f in lint_module(PolicyModule("policies/gates.rego", HEADER + FAIL_OPEN))]
    assert [(f.line, f.column, f.rule) for f in found] == [
        (8, 19, "rego.not-undefined"), (12, 9, "rego.not-undefined")]
    assert "`not` over input.authorised, which may be undefined" in found[0].message
    assert "fails open on OPA" in found[0].message
    assert 'use object.get(input, "authorised", null)' in found[0].message
    assert 'use object.get(input, ["pccp", "plan", "regulatory_action"], null)' in found[1].message


def test_negations_in_test_modules_are_left_to_policy_test_on_opa() -> None:
    body = 'test_x if not is_object(input.authorised)\n'
    assert _lint(body, "policies/gates_test.rego") == []
    assert _lint(body) == [(4, 25, "rego.not-undefined")]


def test_rules_of_other_modules_count_as_defined_when_the_bundle_shows_they_are() -> None:
    other = PolicyModule("policies/classify.rego", "package clinigate.classify\nimport rego.v1\n\n"
                         'known := {"a", "b"}\nplan := input.pccp.plan\nfact(p) := object.get(input, p, null)\n')
    gates = PolicyModule("policies/gates.rego", HEADER.replace("import rego.v1\n", "import rego.v1\nimport data.clinigate.classify\n") +
                         'x if not input.k in classify.known\n'
                         'y if not is_boolean(classify.fact(["k"]))\n'
                         'z if not classify.plan.action in classify.known\n'
                         'w if not data.clinigate.classify.plan in classify.known\n')
    report = lint_bundle(PolicyBundle([other, gates], [], {"clinigate": {}}))
    assert [(f.line, f.rule) for f in report.findings] == [
        (5, "rego.not-undefined"), (7, "rego.not-undefined"), (8, "rego.not-undefined")]
    assert "input.k" in report.findings[0].message
    assert "classify.plan.action" in report.findings[1].message
    assert "data.clinigate.classify.plan" in report.findings[2].message
    # alone, the module cannot know that classify.known and classify.fact are always defined
    alone = {f.line for f in lint_module(gates)}
    assert {5, 6} <= alone
