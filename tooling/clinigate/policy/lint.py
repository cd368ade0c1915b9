"""``clinigate policy lint``: refuse the Rego constructs on which engines silently disagree.

    >>> report = lint_bundle(load_bundle(repo_root))                # doctest: +SKIP
    >>> [f"{f.path}:{f.line}: [{f.rule}]" for f in report.findings]  # doctest: +SKIP

The rules come from shared/notes/rego-engines.md §8 (measured divergences between regorus,
regopy and OPA), plus ``print()`` outside tests (regopy writes it to raw stdout). Python
precomputes what Rego should not do (semver order, epoch times, metric deltas as ``*_e4``
integers), so each banned construct has a safe replacement, named in its message. The scan
is lexical: a small tokenizer skips comments and string literals, and the rules look at token
neighbourhoods; parsing Rego is left to the engines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..findings import Finding, Report
from .bundle import PolicyBundle, PolicyModule


@dataclass(frozen=True)
class Token:
    kind: str  # ident number string template op open close newline
    text: str
    line: int
    col: int


_Add = Callable[[Token, str, str], None]


class LexError(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":=", "==", "!=", "<=", ">=", "<", ">", "=", "|", "&", "+", "-", "*", "/", "%",
              ".", ",", ";", ":")
_OPEN, _CLOSE = "([{", ")]}"


def tokenize(source: str) -> Iterator[Token]:
    """Rego tokens with 1-based line and column; comments dropped, strings kept as one token."""
    i, line, line_start, n = 0, 1, 0, len(source)
    while i < n:
        c, col = source[i], i - line_start + 1
        if c == "\n":
            yield Token("newline", c, line, col)
            i, line, line_start = i + 1, line + 1, i + 1
        elif c in " \t\r\f":
            i += 1
        elif c == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end
        else:
            kind, end = _token_end(source, i, line, col)
            text = source[i:end]
            yield Token(kind, text, line, col)
            if "\n" in text:  # raw and template strings may span lines
                line, line_start = line + text.count("\n"), i + text.rfind("\n") + 1
            i = end


def _token_end(source: str, i: int, line: int, col: int) -> tuple[str, int]:
    """The kind of the token starting at ``i`` and the index just past it."""
    c = source[i]
    if c == '"':
        return "string", _string_end(source, i + 1, line, col)
    if c == "`":
        end = source.find("`", i + 1)
        if end < 0:
            raise LexError("raw string is never closed", line, col)
        return "string", end + 1
    if c == "$" and source[i + 1:i + 2] in ('"', "`"):
        return "template", _template_end(source, i + 1, line, col)
    for kind, pattern in (("number", _NUMBER), ("ident", _IDENT)):
        match = pattern.match(source, i)
        if match:
            return kind, match.end()
    if c in _OPEN or c in _CLOSE:
        return ("open" if c in _OPEN else "close"), i + 1
    op = next((o for o in _OPERATORS if source.startswith(o, i)), None)
    if op is None:
        raise LexError(f"unexpected character {c!r}", line, col)
    return "op", i + len(op)


def _string_end(source: str, i: int, line: int, col: int) -> int:
    """Index just past the closing quote of a "..." string starting before ``i``."""
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif c == "\n":
            break
        else:
            i += 1
    raise LexError("string is never closed on its line", line, col)


def _template_end(source: str, i: int, line: int, col: int) -> int:
    """Index just past a $"..." or $`...` template string, whose {expressions} may hold strings."""
    quote, depth, i = source[i], 0, i + 1
    while i < len(source):
        c = source[i]
        if c == "\\" and quote == '"':
            i += 2
            continue
        if depth and c == '"':
            i = _string_end(source, i + 1, line, col)
            continue
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == quote and not depth:
            return i + 1
        i += 1
    raise LexError("template string is never closed", line, col)


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


def lint_module(module: PolicyModule) -> list[Finding]:
    """Findings for one module; float literals at comparisons are allowed in ``*_test.rego``."""
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
    return sorted(set(findings), key=lambda f: (f.line or 0, f.column or 0, f.rule))


def lint_bundle(bundle: PolicyBundle) -> Report:
    """Every production and test module of ``bundle``."""
    report = Report()
    for module in [*bundle.modules, *bundle.tests]:
        report.files.append(module.path)
        report.findings.extend(lint_module(module))
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
            closing = _matching(tokens, i)
            if closing is None:
                return
            saw_bracket, i = True, closing + 1
        else:
            break
    while i < len(tokens) and tokens[i].kind == "newline":
        i += 1
    if saw_bracket and i < len(tokens) and tokens[i].text == "if":
        add(tokens[start], "rego.v0-partial-set", "`name[key] if` defines an object in regorus but is "
            "refused by OPA 1.x; write `name contains key if` (set) or `name[key] := value if` (object)")


def _matching(tokens: list[Token], i: int) -> int | None:
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind == "open":
            depth += 1
        elif tokens[j].kind == "close":
            depth -= 1
            if depth == 0:
                return j
    return None


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

