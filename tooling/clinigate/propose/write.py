"""Writing the draft: a new file is created exclusively, a replaced one (``--force``) atomically."""

from __future__ import annotations

from pathlib import Path

from .._internal.files import write_text_atomically


def write_draft(path: Path, text: str, *, force: bool) -> None:
    """Without ``force`` an existing file is never replaced, even one that appeared after the check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not force:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        return
    write_text_atomically(path, text)
