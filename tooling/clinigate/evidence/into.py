"""Write computed blocks into a manifest, leaving every other line as the author wrote it.

Only ``validation.overall``, ``validation.subgroups`` and ``validation.evidence`` are replaced; the
lines are found from the YAML node marks, so comments, quoting and order elsewhere survive, and
the comments just above the next key stay with it. The new text is checked by the loader before
the file is replaced (atomically), so a failed write leaves the manifest as it was.
"""

from __future__ import annotations

from typing import Any

import yaml

BLOCKS = ("overall", "subgroups", "evidence")


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text: str = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").strip()


def _lines(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        out = [f"{pad}{key}:"]
        for k, v in value.items():
            out += _lines(k, v, indent + 2)
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict):
        out = [f"{pad}{key}:"]
        for item in value:
            first, *rest = _lines_of_mapping(item, indent + 4)
            out.append(f"{pad}  - {first.lstrip()}")
            out += rest
        return out
    return [f"{pad}{key}: {_scalar(value)}"]


def _lines_of_mapping(mapping: dict[str, Any], indent: int) -> list[str]:
    out: list[str] = []
    for k, v in mapping.items():
        out += _lines(k, v, indent)
    return out


def _children(text: str) -> tuple[int, dict[str, tuple[int, int]], int]:
    """The ``validation`` mapping's indentation, each child key's (first, end) line, and its end line."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("the manifest is not a mapping")
    top = root.value
    at = next((i for i, (k, _) in enumerate(top) if k.value == "validation"), None)
    if at is None or not isinstance(top[at][1], yaml.MappingNode):
        raise ValueError("the manifest has no validation mapping")
    validation = top[at][1]
    end = top[at + 1][0].start_mark.line if at + 1 < len(top) else text.count("\n") + 1
    keys = validation.value
    spans = {}
    for i, (key, _) in enumerate(keys):
        stop = keys[i + 1][0].start_mark.line if i + 1 < len(keys) else end
        spans[key.value] = (key.start_mark.line, stop)
    return keys[0][0].start_mark.column, spans, end


def _keep_leading_comments(lines: list[str], first: int, stop: int) -> int:
    """Move ``stop`` up past the comment and blank lines that introduce the next key."""
    while stop - 1 > first and (not lines[stop - 1].strip() or lines[stop - 1].lstrip().startswith("#")):
        stop -= 1
    return stop


def splice(text: str, blocks: dict[str, Any]) -> str:
    """``text`` with each of ``blocks`` (keys of BLOCKS) written under ``validation``."""
    indent, spans, end = _children(text)
    lines = text.splitlines()
    edits = []
    for name in BLOCKS:
        if name not in blocks:
            continue
        new = _lines(name, blocks[name], indent)
        if name in spans:
            first, stop = spans[name]
            edits.append((first, _keep_leading_comments(lines, first, stop), new))
        else:  # a new block goes after the last computed one present, else at the end of validation
            after = max((spans[b][1] for b in BLOCKS if b in spans), default=end)
            first = _keep_leading_comments(lines, min(s for s, _ in spans.values()), after)
            edits.append((first, first, new))
    for first, stop, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[first:stop] = new
    return "\n".join(lines) + "\n"
