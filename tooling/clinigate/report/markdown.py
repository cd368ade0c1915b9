"""Text from documents made inert in Markdown (PR pages, job summaries): the one place for it.

Manifests, ledger entries and pull requests are written by whoever opens a pull request; in a
rendered summary their words must read as written, never as a table cell break, emphasis, a
link or HTML (a group named ``<script>`` or ``| x |`` shows exactly that).
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the characters that
# start markup in GitHub-flavoured Markdown (| splits a table cell, ~ strikes through, & starts
# an entity). The backslash itself comes first in the class so an escape cannot be undone.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_BREAK = re.compile(r"[\r\n]+")


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown inside a line (a table cell, after a list marker); not for the
    start of a line, where ``#``, ``-`` or ``1.`` open a block."""
    return _MARKUP.sub(r"\\\1", _LINE_BREAK.sub(" ", text))


def markdown_code(text: str) -> str:
    """``text`` as one inline code span: no markdown or HTML in it takes effect."""
    return "`" + text.replace("`", "'") + "`"
