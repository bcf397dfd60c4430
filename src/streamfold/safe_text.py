"""Make untrusted stream text safe to print on a terminal.

Everything a stream sends (assistant text, node names, ids, tool arguments and results, the raw
text kept in diagnostics) is attacker-controlled as far as a terminal is concerned: an ``ESC``
starts a control sequence (clear the screen, set the window title, write to the clipboard…),
``CR`` and backspace overwrite what was printed, bidi overrides reorder what the eye reads. None
of it may reach the terminal raw (``docs/concepts/data-flow.md#untrusted-text``).

:func:`printable` keeps the text readable and makes every such character *visible*:

* C0 controls (U+0000–U+001F except ``\\n`` and ``\\t``) become their Unicode "control picture"
  (``ESC`` → ``␛``, ``BEL`` → ``␇``, ``CR`` → ``␍``, backspace → ``␈``), DEL becomes ``␡``;
* C1 controls (U+0080–U+009F), bidi embeddings, overrides and isolates (U+202A–U+202E,
  U+2066–U+2069), bidi marks (U+200E, U+200F, U+061C) and lone surrogates become a ``\\x9b`` /
  ``\\u202e`` style escape.

:func:`inline` does the same for one-line fields (names, ids, previews): ``\\n`` and ``\\t``
become ``␊`` and ``␉`` too, so a hostile name cannot forge extra output lines.

Rich markup is a separate matter: callers put the result in :class:`rich.text.Text` objects (never
in a markup string), so ``[bold]`` in a stream is printed as it is.
"""

from __future__ import annotations

from typing import Final

__all__ = ["escape_json_output", "inline", "preview", "printable", "tail"]


def _build_table(*, keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # ␀ … ␟ (U+2400 + code is the control picture)
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = f"\\x{code:02x}"
    for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = f"\\u{code:04x}"
    for code in range(0xD800, 0xE000):
        table[code] = f"\\u{code:04x}"
    if keep_newlines:
        del table[0x0A], table[0x09]
    return table


_MULTILINE: Final = _build_table(keep_newlines=True)
_INLINE: Final = _build_table(keep_newlines=False)
# In JSON output only characters that are legal raw inside JSON strings need escaping: orjson
# already writes every C0 control as \uXXXX. DEL, C1, bidi controls and lone surrogates remain.
_JSON: Final = {
    code: f"\\u{code:04x}"
    for code in _MULTILINE
    if code >= 0x7F and code not in range(0xD800, 0xE000)
}


def printable(text: str) -> str:
    """``text`` with every control, escape and bidi character replaced by a visible stand-in.

    Newlines and tabs are kept. O(len(text)); the result never contains a character that a
    terminal interprets (other than ``\\n`` and ``\\t``).
    """
    return text.translate(_MULTILINE)


def inline(text: str) -> str:
    """Like :func:`printable`, for one-line fields: newlines and tabs become ``␊`` / ``␉``."""
    return text.translate(_INLINE)


def preview(text: str, limit: int = 80) -> str:
    """A one-line, safe preview of ``text`` at most ``limit`` characters long (``…`` marks a cut).

    Only the first ``limit`` characters are looked at, so a preview of a huge text is cheap.
    """
    if limit < 1:
        return ""
    cut = len(text) > limit
    head = text[: limit - 1] if cut else text
    return inline(head) + ("…" if cut else "")


def tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text``, made :func:`printable` (``…`` marks a cut)."""
    if len(text) <= limit:
        return printable(text)
    return "…" + printable(text[len(text) - limit + 1 :])


def escape_json_output(text: str) -> str:
    """Escape the characters orjson leaves raw in JSON text (DEL, C1 controls, bidi controls) as
    ``\\uXXXX``. They can only occur inside JSON strings, so the result is the same JSON value."""
    return text.translate(_JSON)
