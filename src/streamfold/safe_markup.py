"""Make untrusted stream text safe inside Markdown and HTML (the sibling of
:mod:`streamfold.safe_text`, which does terminals and JSON).

Every function first makes control, escape and bidi characters visible
(:func:`streamfold.safe_text.printable` / :func:`~streamfold.safe_text.inline`), then escapes for
its medium (``docs/transcript.md``, "Stream text is inert"):

* :func:`md_inline`: a one-line field (a name, an id) as Markdown text: every ASCII punctuation
  character is backslash-escaped (CommonMark lets any of them be), so nothing in it is markup;
* :func:`md_code`: a literal value (tool arguments, results, raw frames) in a fenced code block
  whose fence is longer than any backtick run inside, so no line of it can close the block;
* :func:`md_quote`: the model's own Markdown, rendered, but inside a block quote that every line
  is prefixed for, so nothing in it can reach the document's structure: its code fences are
  rewritten as canonical fences that its own lines cannot close (an unclosed fence is closed at
  the end of the quote); outside them ``<`` becomes ``&lt;`` (no raw HTML, no autolinks) and
  ``javascript:`` / ``vbscript:`` / ``data:`` lose their meaning as link schemes;
* :func:`html_text`: text for HTML element content or a quoted attribute value.
"""

from __future__ import annotations

import html
import re
from typing import Final

from .safe_text import inline, printable

__all__ = ["fold", "html_text", "md_code", "md_inline", "md_quote"]

_PUNCTUATION: Final = re.compile(r"([!-/:-@\[-`{-~])")
_BACKTICKS: Final = re.compile(r"`+")
_FENCE: Final = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_SCHEME: Final = re.compile(r"(?i)\b(javascript|vbscript|data)(\s*):")
_LANGUAGE: Final = re.compile(r"^[A-Za-z0-9_+.-]{1,32}$")


def fold(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a note of how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters folded)"


def md_inline(text: str) -> str:
    """A one-line Markdown-inert rendering of ``text`` (controls visible, newlines as ``␊``)."""
    return _PUNCTUATION.sub(r"\\\1", inline(text))


def _fence_for(lines: list[str], char: str = "`") -> str:
    longest = 0
    for line in lines:
        for run in _BACKTICKS.findall(line) if char == "`" else re.findall("~+", line):
            longest = max(longest, len(run))
    return char * max(3, longest + 1)


def md_code(text: str, language: str = "") -> str:
    """``text`` as a fenced code block (no trailing newline). Nothing in it is markup and no line
    of it can end the block."""
    lines = printable(text).split("\n")
    fence = _fence_for(lines)
    lang = language if _LANGUAGE.match(language) else ""
    return "\n".join([fence + lang, *lines, fence])


def _outside_fence(line: str) -> str:
    line = line.replace("&", "&amp;").replace("<", "&lt;")
    return _SCHEME.sub(lambda m: f"{m.group(1)}\u200b{m.group(2)}:", line)


def md_quote(text: str) -> str:
    """The model's Markdown ``text`` contained in a block quote (no trailing newline); see the
    module docstring for what is rewritten. O(len(text))."""
    lines = printable(text).split("\n")
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        match = _FENCE.match(lines[i])
        if match is None:
            out.append(_outside_fence(lines[i]))
            i += 1
            continue
        opener, info = match.group(1), match.group(2).strip()
        char, size = opener[0], len(opener)
        j = i + 1
        while j < n:
            close = _FENCE.match(lines[j])
            if (
                close is not None
                and close.group(1)[0] == char
                and len(close.group(1)) >= size
                and not close.group(2).strip()
            ):
                break
            j += 1
        body = lines[i + 1 : j]
        fence = _fence_for(body)
        word = info.split()[0] if info else ""
        out.append(fence + (word if _LANGUAGE.match(word) else ""))
        out.extend(body)
        out.append(fence)
        i = j + 1
    return "\n".join(">" if not line else "> " + line for line in out)


def html_text(text: str) -> str:
    """``text`` escaped for HTML content or a quoted attribute (controls made visible)."""
    return html.escape(printable(text), quote=True)
