"""Text from documents stays literal in Markdown summaries, checked by a CommonMark renderer."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from clinigate.report.markdown import markdown_text

_RENDERER = MarkdownIt("commonmark", {"html": True}).enable("table")


def _cell(text: str) -> str:
    """What a reader sees of ``text`` in the second cell of a table row, and the row's cell count."""
    rendered = _RENDERER.render(f"| a | b | c |\n|---|---|---|\n| x | {markdown_text(text)} | z |\n")
    body = rendered.split("<tbody>", 1)[1]
    cells = re.findall(r"<td>(.*?)</td>", body, re.S)
    assert len(cells) == 3, rendered
    return html.unescape(cells[1])


def test_markup_characters_are_escaped_with_a_backslash() -> None:
    assert markdown_text("| <script>alert(1)</script> **x** [y](z) `c` _u_ ~~s~~ &amp; \\") == (
        r"\| \<script\>alert(1)\</script\> \*\*x\*\* \[y\](z) \`c\` \_u\_ \~\~s\~\~ \&amp; \\")
    assert markdown_text("two\nlines\r\n") == "two lines "


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=40))
def test_any_printable_text_renders_literally_in_one_cell(text: str) -> None:
    assert _cell(text) == text.strip()
