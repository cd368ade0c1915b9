"""Strict YAML: bounded, tag-free, alias-bounded, duplicate-free, UTF-8 only (DESIGN §3, §12).

Two parsers, one verdict. The happy path uses yaml-rs (Rust, ~15x faster than PyYAML's C
loader) for values; it treats unknown tags as plain strings and multi-document streams as a
list, so any text that could hold a tag, an anchor, an alias, a directive, a document marker
or a complex key is first checked event by event with PyYAML's C parser, which never expands
aliases and never builds objects. Values always come from yaml-rs (YAML 1.2 core schema:
``yes`` is a string, dates stay strings until the models parse them), so both paths agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
import yaml_rs

try:  # the C parser; the pure-Python one is 8x slower but behaves the same
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 256 * 1024
    max_aliases: int = 16
    max_depth: int = 24
    max_replayed_events: int = 10_000


DEFAULT_LIMITS = Limits()


class YamlProblem(Exception):
    def __init__(self, rule: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.rule, self.message, self.line, self.column = rule, message, line, column


# Anything that could introduce a tag (!), anchor (&), alias (*), directive (%), merge key (<<),
# complex key (?), a document marker, deep indentation or nested flow collections sends the
# text through the event-level check first, so depth and aliases are bounded on both paths.
# Each pattern starts with a literal so that re can skip ahead fast (this runs on every file).
_RISKY_CHARS = "!&*%<"
_RISKY_PATTERNS = tuple(re.compile(p) for p in (
    r"\n(?:---|\.\.\.)",          # a document marker after the first line
    r"\n[ \t-]*\?[ \t\n]",         # a complex mapping key
    r"\n[ -]{40}",                 # indentation deep enough to nest beyond the limit
    r"\[[^\]}\n]*[\[{]",             # nested flow collections on one line
    r"\{[^\]}\n]*[\[{]",
))


def needs_event_check(text: str) -> bool:
    return (
        any(c in text for c in _RISKY_CHARS)
        or text.startswith(("---", "...", "?"))
        or any(p.search(text) for p in _RISKY_PATTERNS)
    )


_RS_POSITION = re.compile(r"line (\d+), column (\d+)")


def parse(text: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse one YAML document strictly, or raise :class:`YamlProblem`."""
    if needs_event_check(text):
        check_structure(text, limits)
    try:
        return yaml_rs.loads(
            text,
            parse_datetime=False,
            alias_limits=yaml_rs.AliasLimits(
                max_total_replayed_events=limits.max_replayed_events,
                max_replay_stack_depth=limits.max_depth,
                max_alias_expansions_per_anchor=limits.max_aliases,
            ),
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )
    except yaml_rs.YAMLDecodeError as exc:
        raise _from_rs_error(str(exc), text) from None
    except RecursionError:
        raise YamlProblem("yaml.depth", f"nesting is deeper than {limits.max_depth} levels") from None


def _from_rs_error(message: str, text: str) -> YamlProblem:
    if message.startswith("duplicate mapping key"):
        key = message.split(":", 1)[1].strip()
        line, column = find_duplicate_key(text)
        return YamlProblem(
            "yaml.duplicate-key",
            f"key {key} appears twice in the same mapping; YAML would silently keep only one",
            line, column,
        )
    position = _RS_POSITION.search(message)
    reason = message.strip().splitlines()[-1].strip()
    if "recursion" in reason or "depth" in reason:
        return YamlProblem("yaml.depth", f"nesting is too deep ({reason})",
                           *_position(position))
    return _syntax_problem(reason, text, *_position(position))


def _syntax_problem(reason: str, text: str, line: int | None, column: int | None) -> YamlProblem:
    """A parser's complaint as a finding; a tab gets its own rule at the tab, not the parser's words."""
    if "tab" not in reason:
        return YamlProblem("yaml.syntax", f"not valid YAML: {reason}", line, column)
    tab = _tab_indent(text, line)
    if tab:
        return YamlProblem("yaml.tab", "this line is indented with a tab character; YAML indents with "
                           "spaces only (replace the tab with spaces)", *tab)
    return YamlProblem("yaml.tab", f"a tab character where YAML does not allow one ({reason})", line, column)


def _tab_indent(text: str, until: int | None) -> tuple[int, int] | None:
    """(line, column) of the first tab in a line's indentation, up to the line the parser stopped at.

    The parser reports where it gave up (often the end of the scalar before the tab, or the
    line above): the first tab-indented line is what the author has to change.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if until is not None and number > until + 1:
            return None
        indent = line[:len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            return number, indent.index("\t") + 1
    return None


def _position(match: re.Match[str] | None) -> tuple[int | None, int | None]:
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def check_structure(text: str, limits: Limits) -> None:
    """Walk the event stream: no tags, few aliases, one document, bounded depth."""
    loader = _EventLoader(text)
    counts = {"depth": 0, "aliases": 0, "documents": 0}
    try:
        while loader.check_event():
            event = loader.get_event()
            assert event is not None
            _check_event(event, counts, limits)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        if _is_nesting_limit(exc):
            raise YamlProblem("yaml.depth", f"nesting is deeper than {limits.max_depth} levels",
                              line, column) from None
        raise _syntax_problem(str(exc.problem), text, line, column) from None
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        raise YamlProblem("yaml.syntax", f"not valid YAML: {exc}".splitlines()[0]) from None
    finally:
        loader.dispose()


def _is_nesting_limit(exc: yaml.MarkedYAMLError) -> bool:
    """PyYAML >= 6.0.3 refuses very deep flow nesting in its scanner, before any event reaches
    :func:`_check_event` (its simple-key look-ahead scans every ``[`` first). That is the same
    finding as ours, whichever limit trips first, so the rule must not depend on the version."""
    said = f"{exc.context or ''} {exc.problem or ''}".lower()
    return "nesting" in said or "flow level" in said


def _check_event(event: yaml.Event, counts: dict[str, int], limits: Limits) -> None:
    mark = event.start_mark
    where = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    if isinstance(event, yaml.DocumentStartEvent):
        counts["documents"] += 1
        if counts["documents"] > 1:
            raise YamlProblem("yaml.multiple-documents",
                              "a clinigate file holds exactly one YAML document", *where)
    elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
        counts["depth"] += 1
        if counts["depth"] > limits.max_depth:
            raise YamlProblem("yaml.depth", f"nesting is deeper than {limits.max_depth} levels", *where)
    elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
        counts["depth"] -= 1
    elif isinstance(event, yaml.AliasEvent):
        counts["aliases"] += 1
        if counts["aliases"] > limits.max_aliases:
            raise YamlProblem(
                "yaml.aliases",
                f"more than {limits.max_aliases} aliases (*name): refused as a possible "
                "'billion laughs' expansion bomb", *where)
    _check_tag(event, where)


def _check_tag(event: object, where: tuple[int, int]) -> None:
    tag = getattr(event, "tag", None)
    implicit = getattr(event, "implicit", True)
    explicit = tag is not None and (implicit is False or implicit == (False, False))
    if explicit and not isinstance(event, yaml.DocumentStartEvent):
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        kind = "Python object" if "python/" in shown else "explicit"
        raise YamlProblem(
            "yaml.tag",
            f"{kind} tag {shown} is not allowed: clinigate documents hold plain data only", *where)


def find_duplicate_key(text: str) -> tuple[int | None, int | None]:
    """Line and column of the first repeated key (yaml-rs does not say where)."""
    try:
        root = yaml.compose(text, Loader=_EventLoader)
    except yaml.YAMLError:
        return None, None
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if key.value in seen:
                    return key.start_mark.line + 1, key.start_mark.column + 1
                seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None, None


class Locator:
    """Maps field paths to line and column; composes the node tree once, only when asked."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: yaml.Node | None = None
        self._composed = False

    def __call__(self, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
        """Position of the node at ``path`` (or of its deepest existing ancestor)."""
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self._text, Loader=_EventLoader)
            except yaml.YAMLError:
                self._root = None
        node = self._root
        if node is None:
            return None, None
        mark = node.start_mark
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node, mark = child
        return mark.line + 1, mark.column + 1


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node, yaml.Mark] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(step):
                # Point at the key for scalars (the line people look for), at the value otherwise.
                return value, key.start_mark
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        item = node.value[step]
        return item, item.start_mark
    return None
