"""``clinigate policy lint``: refuse the Rego constructs on which engines silently disagree.

    >>> report = lint_bundle(load_bundle(repo_root))                # doctest: +SKIP
    >>> [f"{f.path}:{f.line}: [{f.rule}]" for f in report.findings]  # doctest: +SKIP

The rules come from shared/notes/rego-engines.md §8 (measured divergences between regorus,
regopy and OPA), plus ``print()`` outside tests (regopy writes it to raw stdout) and ``not``
over a reference that may be undefined (policies/README.md "Engines": OPA fails the whole rule
body, regorus and regopy make the ``not`` true, so a fail-closed deny fails open on OPA). Python
precomputes what Rego should not do (semver order, epoch times, metric deltas as ``*_e4``
integers), so each banned construct has a safe replacement, named in its message. The scan
is lexical: a small tokenizer skips comments and string literals, and the rules look at token
neighbourhoods (:mod:`.rego_outline` adds which rules are always defined); parsing Rego is
left to the engines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from ..findings import Finding, Report
from .bundle import PolicyBundle, PolicyModule
from .rego_outline import BundleOutline, ModuleOutline, Scope, Term, closing, split_terms
from .rego_tokens import LexError, Token, tokenize

__all__ = ["LexError", "Token", "lint_bundle", "lint_module", "tokenize"]

_Add = Callable[[Token, str, str], None]

# Root references (not after a dot) that are banned, with the reason and what to do instead.
_BANNED_NAMESPACES = {
    "semver": ("rego.semver", "semver.* differs between engines (regopy: 2.0.0 < 1.9.9); "
               "compare versions in Python and pass the result in input.facts"),
}
_BANNED_CALLS = {
    ("object", "union"): ("rego.object-union", "object.union merges nested objects differently in regopy "
                          "(shallow) and OPA (recursive); build the object explicitly"),
    ("object", "union_n"): ("rego.object-union", "object.union_n merges nested objects differently across "
                            "engines; build the object explicitly"),
    ("time", "diff"): ("rego.time", "time.diff differs between engines; pass precomputed durations"),
    ("time", "format"): ("rego.time", "time.format differs between engines; format times in Python"),
    ("time", "parse_rfc3339_ns"): ("rego.time", "time.parse_rfc3339_ns is undefined for '...Z' in regopy; "
                                   "pass epoch nanoseconds computed in Python"),
    ("http", "send"): ("rego.http-send", "http.send makes a gate depend on the network; "
                       "gates decide from the input and data only"),
}
_NUMBER_ORDER = {"max", "min", "sort"}
_COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
# Tokens that end one side of a comparison (at the comparison's own bracket depth).
_SIDE_STOPS = {";", ",", ":=", "=", ":", "|", "if", "else", "contains", "some", "every", "not",
               "with", "as", "default", "in"}
# At the top level, a `{` after a value or a name opens a v0 rule body, unless the name is one
# of these keywords (`if {`, `contains {...}`, `in {...}`, `with input as {...}`).
_KEYWORDS_BEFORE_BRACE = {"if", "contains", "in", "as", "not"}


def lint_module(module: PolicyModule, outline: BundleOutline | None = None) -> list[Finding]:
    """Findings for one module; float literals at comparisons are allowed in ``*_test.rego``.

    ``outline`` holds the rules of the whole bundle, so that a reference to a rule of another
    module counts as defined when that rule always is; without it only this module is known.
    """
    try:
        tokens = list(tokenize(module.source))
    except LexError as exc:
        return [Finding(module.path, exc.line, exc.col, "rego.syntax", exc.message)]
    findings: list[Finding] = []

    def add(token: Token, rule: str, message: str) -> None:
        findings.append(Finding(module.path, token.line, token.col, rule, message))

    code = [t for t in tokens if t.kind != "newline"]
    _check_references(code, add)
    _check_rule_heads(tokens, add)
    if not module.is_test:
        _check_float_comparisons(tokens, add)
        _check_prints(code, add)
        # Tests are exempt: there a difference changes a test's outcome on one engine, and
        # `policy test --engine opa` runs them on OPA as well as on regorus.
        _check_negations(module, tokens, outline or BundleOutline.of([module]), add)
    return sorted(set(findings), key=lambda f: (f.line or 0, f.column or 0, f.rule))


def lint_bundle(bundle: PolicyBundle) -> Report:
    """Every production and test module of ``bundle``."""
    report = Report()
    outline = BundleOutline.of(bundle.modules)
    for module in [*bundle.modules, *bundle.tests]:
        report.files.append(module.path)
        report.findings.extend(lint_module(module, outline))
    report.sort()
    return report


def _check_references(code: list[Token], add: _Add) -> None:
    for i, token in enumerate(code):
        before = code[i - 1] if i else None
        after = code[i + 1] if i + 1 < len(code) else None
        if token.kind == "template":
            add(token, "rego.interpolation", "string interpolation ($\"...\") exists only in OPA >= 1.12; "
                "regorus cannot parse it; use sprintf with %s/%v/%d")
        if token.kind != "ident" or (before is not None and before.text == "."):
            continue  # a field (input.max, x.data) is not the builtin or the root document
        field = code[i + 2].text if after is not None and after.text == "." and i + 2 < len(code) else None
        banned = _BANNED_NAMESPACES.get(token.text) or _BANNED_CALLS.get((token.text, field or ""))
        if banned is not None and field is not None:
            add(token, *banned)
        elif token.text in _NUMBER_ORDER and after is not None and after.text == "(":
            add(token, "rego.number-order", f"{token.text}() orders numbers as strings in regopy "
                "(max([10, 9, 100]) = 9); compare precomputed *_e4 integers or let Python order them")
        elif token.text == "data" and (after is None or after.text != "."):
            add(token, "rego.bare-data", "a reference to the whole data document (bare `data`) is "
                "rejected by OPA and recursive in regopy; name the path, e.g. data.clinigate.defaults")


def _check_prints(code: list[Token], add: _Add) -> None:
    for i, token in enumerate(code[:-1]):
        if token.text == "print" and code[i + 1].text == "(" and (i == 0 or code[i - 1].text != "."):
            add(token, "rego.print", "print() in a production module writes evaluation data (possibly "
                "patient-derived) to stdout in regopy and to CI logs in OPA; keep prints in *_test.rego")


def _check_rule_heads(tokens: list[Token], add: _Add) -> None:
    depth = 0
    previous: Token | None = None
    at_line_start = True
    every_pending = False  # `allow if every x in xs {`: that `{` is every's body, not a rule's
    for i, token in enumerate(tokens):
        if token.kind == "newline":
            at_line_start = True
            continue
        if depth == 0 and at_line_start:
            _check_partial_set_head(tokens, i, add)
        at_line_start = False
        if depth == 0 and token.text == "every" and token.kind == "ident":
            every_pending = True
        if token.kind == "open":
            if token.text == "{" and depth == 0:
                if every_pending:
                    every_pending = False
                elif _opens_v0_body(previous):
                    add(token, "rego.v0-body", "a rule body needs `if` before `{` (Rego v0 syntax: "
                        "regopy reads `deny[msg] {` as an object, regorus and OPA 1.x refuse it)")
            depth += 1
        elif token.kind == "close":
            depth = max(0, depth - 1)
        previous = token


def _opens_v0_body(previous: Token | None) -> bool:
    if previous is None:
        return False
    if previous.kind == "ident":
        return previous.text not in _KEYWORDS_BEFORE_BRACE
    return previous.kind in ("number", "string", "close")


def _check_partial_set_head(tokens: list[Token], start: int, add: _Add) -> None:
    """``deny[msg] if {`` at the start of a rule: v0's partial set, an object in v1 engines."""
    i, saw_bracket = start, False
    if tokens[i].kind != "ident" or tokens[i].text in ("package", "import", "default"):
        return
    i += 1
    while i < len(tokens):
        token = tokens[i]
        if token.text == "." and i + 1 < len(tokens) and tokens[i + 1].kind == "ident":
            i += 2
        elif token.text == "[":
            end = closing(tokens, i)
            if end == len(tokens):  # never closes
                return
            saw_bracket, i = True, end + 1
        else:
            break
    while i < len(tokens) and tokens[i].kind == "newline":
        i += 1
    if saw_bracket and i < len(tokens) and tokens[i].text == "if":
        add(tokens[start], "rego.v0-partial-set", "`name[key] if` defines an object in regorus but is "
            "refused by OPA 1.x; write `name contains key if` (set) or `name[key] := value if` (object)")


def _check_float_comparisons(tokens: list[Token], add: _Add) -> None:
    for i, token in enumerate(tokens):
        if token.kind != "op" or token.text not in _COMPARISONS:
            continue
        for side in (_side(tokens, i, -1), _side(tokens, i, +1)):
            for literal in side:
                if literal.kind == "number" and _is_float(literal.text):
                    add(literal, "rego.float-compare", f"float literal {literal.text} in a `{token.text}` "
                        "comparison: engines disagree at the boundary (0.90 - 0.85 <= 0.05 is false); "
                        "compare the precomputed *_e4 integers")


def _side(tokens: list[Token], i: int, step: int) -> list[Token]:
    """The tokens of one operand of the operator at ``i``, up to a separator at its depth."""
    out: list[Token] = []
    depth, j = 0, i + step
    closing, opening = ("close", "open") if step < 0 else ("open", "close")
    while 0 <= j < len(tokens):
        token = tokens[j]
        if token.kind == closing:
            depth += 1
        elif token.kind == opening:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (token.text in _SIDE_STOPS or token.kind == "newline"
                             or (token.kind == "op" and token.text in _COMPARISONS)):
            break
        out.append(token)
        j += step
    return out


def _is_float(text: str) -> bool:
    return "." in text or "e" in text.lower()



# ---------------------------------------------------------------------------------------------
# rego.not-undefined
# ---------------------------------------------------------------------------------------------
# Measured on OPA 1.20.2 (the opa engine), regorus 0.13 and regopy 1.5.2 with the reference
# undefined: OPA moves a reference out of a call's arguments (`in`, `!=`, `<`, builtins, user
# functions, composite values, indexes) to before the `not`, so the body fails; regorus and
# regopy evaluate it inside, so the `not` holds. `not ref`, `not f(x)` as a whole, and
# `not ref == value` (OPA unifies `==` inside the negation) read the same on all three.

def _check_negations(module: PolicyModule, tokens: list[Token], outline: BundleOutline, add: _Add) -> None:
    parsed = outline.modules.get(module.path) or ModuleOutline.of(module.path, tokens)
    for statement in parsed.statements:
        for i, token in enumerate(statement):
            if token.kind != "ident" or token.text != "not":
                continue
            expression = statement[i + 1:_expression_end(statement, i + 1)]
            scope = Scope(outline, parsed, _declared(statement), _guards(statement, i))
            for term in _negated_offenders(scope, expression):
                add(term.tokens[0], "rego.not-undefined", _not_undefined_message(term, scope))


def _negated_offenders(scope: Scope, expression: Sequence[Token]) -> list[Term]:
    terms = split_terms(expression)
    code = [t for t in expression if t.kind != "newline"]
    whole = len(terms) == 1 and terms[0].kind in ("ref", "call") and len(terms[0].tokens) == len(code)
    equality = (len(terms) == 2 and all(t.kind in ("ref", "literal") for t in terms)
                and len(code) == len(terms[0].tokens) + 1 + len(terms[1].tokens)
                and code[len(terms[0].tokens)].text in ("==", "="))
    if whole or equality:
        return [o for term in terms for o in scope.nested_offenders(term)]
    return [o for term in terms for o in scope.term_offenders(term)]


def _expression_end(statement: Sequence[Token], start: int) -> int:
    """Where the negated expression ends: a new line, `;` or `with` at its depth, or its bracket's end."""
    depth = 0
    for j in range(start, len(statement)):
        token = statement[j]
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            if depth == 0:
                return j
            depth -= 1
        elif depth == 0 and (token.kind == "newline" or token.text in (";", "with", "else")):
            return j
    return len(statement)


def _declared(statement: Sequence[Token]) -> frozenset[str]:
    """Local names of a rule: function parameters, `x :=` and `some`/`every` variables."""
    code = [t for t in statement if t.kind != "newline"]
    names: set[str] = set()
    if len(code) > 1 and code[1].text == "(":
        names.update(t.text for t in code[2:closing(code, 1)] if t.kind == "ident")
    for j, token in enumerate(code[1:], start=1):
        assigned = j + 1 < len(code) and code[j + 1].text == ":=" and code[j - 1].text != "."
        if token.kind == "ident" and assigned:
            names.add(token.text)
        elif token.text in ("some", "every"):
            names.update(t.text for t in code[j + 1:_until_in(code, j)] if t.kind == "ident")
    return frozenset(names - {"else"})


def _until_in(code: Sequence[Token], start: int) -> int:
    return next((j for j in range(start, len(code)) if code[j].text == "in"), start + 1)


def _guards(statement: Sequence[Token], at: int) -> frozenset[str]:
    """References an earlier, non-negated expression of the same body already required.

    Had one been undefined, that expression would have failed the body first, on every engine.
    Comprehensions and `every` do not count: they hold with nothing to iterate.
    """
    body = _body_start(statement, at)
    kept: list[Token] = []
    j = body
    while j < at:
        token = statement[j]
        if token.text == "not" and token.kind == "ident":
            j = _expression_end(statement, j + 1)
        elif token.text == "every" and token.kind == "ident":
            brace = next((k for k in range(j, at) if statement[k].text == "{"), at)
            j = closing(statement, brace) + 1 if brace < at else at
        else:
            kept.append(token)
            j += 1
    return frozenset(_ref_texts(split_terms(kept)))


def _body_start(statement: Sequence[Token], at: int) -> int:
    """Just past the `if` (and its `{`) that opens the body holding the token at ``at``."""
    depth, start = 0, 0
    for j in range(at):
        token = statement[j]
        if token.kind in ("open", "close"):
            depth += 1 if token.kind == "open" else -1
        elif depth == 0 and token.text == "if":
            start = j + 2 if j + 1 < len(statement) and statement[j + 1].text == "{" else j + 1
    return start


def _ref_texts(terms: Iterable[Term]) -> Iterator[str]:
    for term in terms:
        if term.kind in ("ref", "call"):
            yield term.text
        if term.kind != "comprehension":
            for part in (*term.indexes, *term.args):
                yield from _ref_texts(split_terms(part))


def _not_undefined_message(term: Term, scope: Scope) -> str:
    named = scope.bundle.resolve(scope.module, term, scope.local)
    if term.kind == "ref" and named is None and term.fields and None not in term.fields:
        keys = [json.dumps(f) for f in term.fields]
        path = keys[0] if len(keys) == 1 else f"[{', '.join(keys)}]"
        fix = f"use object.get({term.root}, {path}, null) so that it is always defined"
    elif named is not None and not named[2]:
        fix = (f"give {term.text} a default or a final else, or negate a rule of its own instead "
               f"(`{named[1]}_valid if …` and `not {named[1]}_valid`)")
    else:
        fix = ("use object.get(…, null) on a document that is always defined, or negate a rule of its own "
               "instead (`x_valid if …` and `not x_valid`)")
    return (f"`not` over {term.text}, which may be undefined: OPA then fails the whole rule body where "
            f"regorus and regopy make the `not` true, so a fail-closed rule fails open on OPA; {fix}")
