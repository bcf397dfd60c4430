from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold.safe_text import escape_json_output, inline, preview, printable, tail

# Every character a terminal may interpret, besides newline and tab.
_C0 = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)]
_C1 = [chr(c) for c in range(0x80, 0xA0)]
_BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
_UNSAFE = frozenset([*_C0, "\x7f", *_C1, *_BIDI])


def test_escape_sequences_become_visible() -> None:
    hostile = "a\x1b[2J\x1b]0;pwned\x07b"
    assert printable(hostile) == "a␛[2J␛]0;pwned␇b"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\r", "␍"),
        ("\b", "␈"),
        ("\x00", "␀"),
        ("\x7f", "␡"),
        ("\x9b", "\\x9b"),
        ("\x85", "\\x85"),
        ("\u202e", "\\u202e"),
        ("\u2066", "\\u2066"),
        ("\u2069", "\\u2069"),
        ("\u200f", "\\u200f"),
        ("\ud800", "\\ud800"),
    ],
)
def test_each_control_has_a_visible_stand_in(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert inline(raw) == shown


def test_printable_keeps_newlines_and_tabs_inline_does_not() -> None:
    assert printable("a\nb\tc") == "a\nb\tc"
    assert inline("a\nb\tc") == "a␊b␉c"


def test_ordinary_text_is_unchanged() -> None:
    text = "Héllo wörld — 日本語 🙂 [bold]x[/] \\x1b"
    assert printable(text) == text
    assert inline(text) == text


def test_preview_and_tail_cut_and_stay_safe() -> None:
    assert preview("abcdef", 4) == "abc…"
    assert preview("abc", 4) == "abc"
    assert preview("a\x1bb\nc", 10) == "a␛b␊c"
    assert preview("x", 0) == ""
    assert tail("abcdef", 4) == "…def"
    assert tail("ab\x1b", 4) == "ab␛"


def test_json_escape_keeps_the_value() -> None:
    value = {"k\u202e": "a\x7f\x9b\u202e\x1b\u2066"}
    text = orjson.dumps(value).decode()
    escaped = escape_json_output(text)
    assert orjson.loads(escaped) == value
    assert not set(escaped) & _UNSAFE


@given(st.text())
def test_nothing_unsafe_survives(text: str) -> None:
    assert not set(inline(text)) & (_UNSAFE | {"\n", "\t"})
    assert not set(printable(text)) & _UNSAFE
    assert not set(preview(text, 20)) & (_UNSAFE | {"\n", "\t"})
