"""Writing and editing small file trees under a test's directory."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (text dedented) and return ``root``."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def replace_in(root: Path, path: str, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in the file ``root / path`` (``count`` times), asserting ``old`` is there."""
    target = root / path
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, count), encoding="utf-8")
