"""What ``policy lint`` knows about the rules of a Rego bundle, read from tokens, not parsed.

    >>> outline = BundleOutline.of(bundle.modules)                  # doctest: +SKIP
    >>> outline.is_total("clinigate.classify", "known_classes")     # doctest: +SKIP
    True

For each module: its package, what its imports name, and the rules it defines. A rule is
*total* (always defined) when it has a ``default``, is a partial set or object (empty, not
undefined, when nothing matches), or has an unconditional definition (``x := v`` or a final
``else := v``) whose value is itself always defined: literals, comprehensions, locals, total
rules, builtin calls on defined arguments. A :class:`Scope` answers, for the tokens of an
expression inside a rule body, which of its terms may be undefined there.

The reading is lexical and errs towards "defined" where it cannot tell: an identifier that is
neither ``input``, ``data``, an import nor a rule of the package is taken to be a local
variable, and a call to anything but a rule of the bundle is taken to be a builtin.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .bundle import PolicyModule
from .rego_tokens import LexError, Token, tokenize

KEYWORDS = frozenset({"if", "not", "some", "in", "every", "contains", "else", "default", "with", "as",
                      "package", "import", "true", "false", "null"})
_LITERAL_WORDS = frozenset({"true", "false", "null"})
# A line that follows one of these continues the statement (`x := a +` / `y` is one statement).
_CONTINUES = frozenset({"if", "else", "contains", "not", "in", "with", "as", "some", "every"})

Tokens = tuple[Token, ...]


@dataclass(frozen=True)
class Term:
    """One operand of an expression: a literal, a reference, a call, or a bracketed group."""

    kind: str  # literal ref call composite comprehension group
    tokens: Tokens
    root: str = ""  # ref and call: the first identifier
    fields: tuple[str | None, ...] = ()  # ref and call: `.name` segments, None for `[index]`
    indexes: tuple[Tokens, ...] = ()  # ref and call: the contents of each `[...]`
    args: tuple[Tokens, ...] = ()  # call: the arguments; composite and group: the contents

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)


def split_terms(tokens: Sequence[Token]) -> list[Term]:
    """The terms of an expression, in order; operators and keywords between them are dropped."""
    code = [t for t in tokens if t.kind != "newline"]
    terms: list[Term] = []
    i = 0
    while i < len(code):
        term, i = _term_at(code, i)
        if term is not None:
            terms.append(term)
    return terms


def _term_at(tokens: Sequence[Token], i: int) -> tuple[Term | None, int]:
    token = tokens[i]
    if token.kind in ("number", "string", "template") or token.text in _LITERAL_WORDS:
        return Term("literal", (token,)), i + 1
    if token.kind == "open":
        end = closing(tokens, i)
        inner = tuple(tokens[i + 1:end])
        kind = "group" if token.text == "(" else "comprehension" if _has_bar(inner) else "composite"
        return Term(kind, tuple(tokens[i:end + 1]), args=(inner,)), end + 1
    if token.kind == "ident" and token.text not in KEYWORDS:
        return _ref_at(tokens, i)
    return None, i + 1


def _ref_at(tokens: Sequence[Token], start: int) -> tuple[Term, int]:
    fields: list[str | None] = []
    indexes: list[Tokens] = []
    i = start + 1
    while i < len(tokens):
        if tokens[i].text == "." and i + 1 < len(tokens) and tokens[i + 1].kind == "ident":
            fields.append(tokens[i + 1].text)
            i += 2
        elif tokens[i].text == "[":
            end = closing(tokens, i)
            fields.append(None)
            indexes.append(tuple(tokens[i + 1:end]))
            i = end + 1
        else:
            break
    root = tokens[start].text
    if i < len(tokens) and tokens[i].text == "(":
        end = closing(tokens, i)
        args = tuple(split_commas(tokens[i + 1:end]))
        return Term("call", tuple(tokens[start:end + 1]), root, tuple(fields), tuple(indexes), args), end + 1
    return Term("ref", tuple(tokens[start:i]), root, tuple(fields), tuple(indexes)), i


def closing(tokens: Sequence[Token], i: int) -> int:
    """Index of the bracket that closes the one at ``i`` (``len(tokens)`` if it never closes)."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind == "open":
            depth += 1
        elif tokens[j].kind == "close":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens)


def split_commas(tokens: Sequence[Token]) -> Iterator[Tokens]:
    depth, start = 0, 0
    for j, token in enumerate(tokens):
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
        elif depth == 0 and token.text == ",":
            yield tuple(tokens[start:j])
            start = j + 1
    if start < len(tokens):
        yield tuple(tokens[start:])


def _has_bar(inner: Sequence[Token]) -> bool:
    """A `|` at the top of a `{...}` or `[...]`: a comprehension, defined even when nothing matches."""
    depth = 0
    for token in inner:
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
        elif depth == 0 and token.text == "|":
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Modules and rules
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Definition:
    """An unconditional value of a rule, with the function parameters it may use."""

    value: Tokens
    params: frozenset[str]
    module: ModuleOutline


@dataclass
class RuleInfo:
    name: str
    kind: str = "complete"  # complete function set object ref
    has_default: bool = False
    definitions: list[Definition] = field(default_factory=list)


@dataclass(eq=False)
class ModuleOutline:
    path: str
    package: str = ""
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)  # alias -> path below data
    rules: dict[str, RuleInfo] = field(default_factory=dict)
    statements: list[Tokens] = field(default_factory=list)  # each rule's tokens, newlines kept

    @classmethod
    def of(cls, path: str, tokens: Sequence[Token]) -> ModuleOutline:
        outline = cls(path)
        for statement in _statements(tokens):
            code = [t for t in statement if t.kind != "newline"]
            if not code:
                continue
            if code[0].text == "package":
                outline.package = ".".join(t.text for t in code[1:] if t.kind == "ident")
            elif code[0].text == "import":
                outline._add_import(code)
            elif code[0].kind == "ident":
                outline.statements.append(statement)
                outline._add_rule(code)
        return outline

    def _add_import(self, code: list[Token]) -> None:
        names = [t.text for t in code[1:] if t.kind == "ident"]
        if not names or names[0] != "data":  # rego.v1, future.keywords, input
            return
        path = names[1:names.index("as")] if "as" in names else names[1:]
        if path:
            self.imports[names[-1] if "as" in names else path[-1]] = tuple(path)

    def _add_rule(self, code: list[Token]) -> None:
        if code[0].text == "default":
            if len(code) > 1:
                self.rules.setdefault(code[1].text, RuleInfo(code[1].text)).has_default = True
            return
        info = self.rules.setdefault(code[0].text, RuleInfo(code[0].text))
        after = code[1].text if len(code) > 1 else ""
        info.kind = {"(": "function", "contains": "set", "[": "object", ".": "ref"}.get(after, info.kind)
        params = _params(code) if after == "(" else frozenset()
        for segment in _else_segments(code):
            value = _unconditional_value(segment)
            if value is not None:
                info.definitions.append(Definition(value, params, self))


def _statements(tokens: Sequence[Token]) -> Iterator[Tokens]:
    """Top-level statements: each starts with a name at the start of a line, outside brackets."""
    current: list[Token] = []
    depth, line_start, previous = 0, True, None
    for token in tokens:
        if token.kind == "newline":
            line_start = True
            current.append(token)
            continue
        starts = depth == 0 and line_start and token.kind == "ident" and token.text != "else"
        if starts and previous is not None and not _continues(previous):
            yield tuple(current)
            current = []
        current.append(token)
        if token.kind in ("open", "close"):
            depth = max(0, depth + (1 if token.kind == "open" else -1))
        line_start, previous = False, token
    if any(t.kind != "newline" for t in current):
        yield tuple(current)


def _continues(previous: Token | None) -> bool:
    return previous is not None and (previous.kind == "op" or previous.text in _CONTINUES)


def _params(code: list[Token]) -> frozenset[str]:
    """The plain variable parameters of a function head ``f(a, "literal", b)``."""
    end = closing(code, 1)
    return frozenset(part[0].text for part in split_commas(code[2:end])
                     if len(part) == 1 and part[0].kind == "ident" and part[0].text not in KEYWORDS)


def _else_segments(code: list[Token]) -> Iterator[list[Token]]:
    depth, start = 0, 0
    for j, token in enumerate(code):
        if token.kind in ("open", "close"):
            depth += 1 if token.kind == "open" else -1
        elif depth == 0 and token.text == "else":
            yield code[start:j]
            start = j + 1
    yield code[start:]


def _unconditional_value(segment: list[Token]) -> Tokens | None:
    """The value of ``name := v`` or ``else := v`` without ``if`` (() for a bare name); else None."""
    depth, assign = 0, None
    for j, token in enumerate(segment):
        if token.kind in ("open", "close"):
            depth += 1 if token.kind == "open" else -1
        elif depth == 0 and token.text == "if":
            return None
        elif depth == 0 and assign is None and token.text in (":=", "="):
            assign = j
    return () if assign is None else tuple(segment[assign + 1:])


# ---------------------------------------------------------------------------------------------
# The bundle
# ---------------------------------------------------------------------------------------------

class BundleOutline:
    """Every rule of a set of modules by package, and which of them are always defined."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleOutline] = {}
        self.packages: dict[str, dict[str, RuleInfo]] = {}
        self._total: dict[tuple[str, str], bool] = {}

    @classmethod
    def of(cls, modules: Iterable[PolicyModule]) -> BundleOutline:
        outline = cls()
        for module in modules:
            try:
                outline.add(ModuleOutline.of(module.path, list(tokenize(module.source))))
            except LexError:  # reported as rego.syntax by the lint; its rules stay unknown
                continue
        return outline

    def add(self, module: ModuleOutline) -> None:
        self.modules[module.path] = module
        rules = self.packages.setdefault(module.package, {})
        for name, info in module.rules.items():
            merged = rules.setdefault(name, RuleInfo(name, info.kind))
            merged.kind = info.kind if info.kind != "complete" else merged.kind
            merged.has_default = merged.has_default or info.has_default
            merged.definitions.extend(info.definitions)
        self._total.clear()

    def is_total(self, package: str, name: str) -> bool:
        key = (package, name)
        if key not in self._total:
            self._total[key] = False  # a rule defined through itself is not known to be total
            info = self.packages.get(package, {}).get(name)
            self._total[key] = info is not None and (
                info.has_default or info.kind in ("set", "object")
                or any(not Scope(self, d.module, d.params).offenders(d.value) for d in info.definitions))
        return self._total[key]

    def resolve(self, module: ModuleOutline, term: Term,
                local: frozenset[str]) -> tuple[str, str, tuple[str | None, ...]] | None:
        """(package, rule, the fields below it) when ``term`` names a rule of the bundle."""
        if term.root in local:
            return None
        if term.root == "data":
            path: tuple[str | None, ...] = term.fields
        elif term.root in module.imports:
            path = (*module.imports[term.root], *term.fields)
        elif term.root in self.packages.get(module.package, {}):
            return module.package, term.root, term.fields
        else:
            return None
        for cut in range(len(path) - 1, 0, -1):
            package, rule = path[:cut], path[cut]
            if None not in package and rule is not None and ".".join(map(str, package)) in self.packages:
                return ".".join(map(str, package)), rule, path[cut + 1:]
        return None


@dataclass(frozen=True)
class Scope:
    """Where an expression is evaluated: its module, local variables and already-checked terms."""

    bundle: BundleOutline
    module: ModuleOutline
    local: frozenset[str] = frozenset()
    guards: frozenset[str] = frozenset()  # terms an earlier expression of the body already required

    def offenders(self, tokens: Sequence[Token]) -> list[Term]:
        """The terms of ``tokens`` that may be undefined, innermost first."""
        return [o for term in split_terms(tokens) for o in self.term_offenders(term)]

    def term_offenders(self, term: Term) -> list[Term]:
        if term.kind in ("literal", "comprehension"):
            return []
        if term.kind in ("composite", "group"):
            return self.offenders(term.args[0])
        return self.nested_offenders(term) + ([] if self.defined(term) else [term])

    def nested_offenders(self, term: Term) -> list[Term]:
        """What may be undefined inside ``term``: its indexes and its arguments, not itself."""
        return [o for part in (*term.indexes, *term.args) for o in self.offenders(part)]

    def defined(self, term: Term) -> bool:
        """Whether a reference or call is known to be defined here (its parts aside)."""
        if term.text in self.guards:
            return True
        target = self.bundle.resolve(self.module, term, self.local)
        if target is not None:
            package, rule, below = target
            return not below and self.bundle.is_total(package, rule)
        if term.kind == "call":  # a builtin (defined when its arguments are), unless it names a module
            return term.root != "data" and term.root not in self.module.imports
        return not term.fields and term.root != "data"  # input itself, or a local variable
