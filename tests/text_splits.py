"""Shared helpers for the text-integrity property tests (issue #17): texts with astral
characters and combining sequences, cut at any UTF-16 code unit (as JavaScript senders cut
strings) or at any byte, and JSON written the way JavaScript writes it (a lone surrogate as a
``\\udXXX`` escape, everything else raw UTF-8)."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from hypothesis import strategies as st

TRICKY = [
    "🚀",
    "👩‍👩‍👧",
    "e\u0301",
    "🇫🇷",
    "中文",
    "𝕏",
    "ä",
    "\u0915\u094d\u0937",
    " ",
    "\n",
    '"',
    "\\",
]
"""Astral characters, ZWJ and flag sequences, combining marks, CJK, JSON specials."""

texts = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(min_size=1, max_size=3)), min_size=1, max_size=12
).map("".join)
"""Texts (``st.text`` never draws a surrogate, so each is well formed)."""


def units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, cuts: list[int]) -> list[str]:
    """``text`` cut at these UTF-16 code unit offsets: a cut inside a pair leaves each half a
    lone surrogate in its piece. Empty pieces are left out."""
    data = text.encode("utf-16-le")
    bounds = sorted({0, units(text), *(c for c in cuts if 0 < c < units(text))})
    pieces = [
        data[2 * a : 2 * b].decode("utf-16-le", "surrogatepass")
        for a, b in itertools.pairwise(bounds)
    ]
    return [p for p in pieces if p]


def cut_bytes(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(c for c in cuts if 0 < c < len(data))})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


_LONE = re.compile("[\ud800-\udfff]")


def js_json(value: Any) -> bytes:
    """``JSON.stringify(value)`` as UTF-8: lone surrogates escaped, other text raw."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _LONE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


@st.composite
def split_texts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A text and its pieces cut at UTF-16 code units."""
    text = draw(texts)
    cuts = draw(st.lists(st.integers(0, units(text)), max_size=units(text)))
    return text, cut_utf16(text, cuts)
