"""How deep a frame nests, checked in time proportional to the frame (see the limits in
``docs/how-to/bound-memory.md``).

orjson reads JSON nested 1,024 levels deep, more than a reader downstream may take (orjson
itself writes 254, Python's recursion limit is about 1,000). The reducer refuses a frame nested
deeper than its ``max_json_depth`` (default :data:`DEFAULT_MAX_JSON_DEPTH`) with a dropped
``too_deep`` diagnostic that keeps the frame's text.

Most frames are checked without a walk: a JSON text of ``n`` characters nests at most
``n // 2`` levels, so a line up to twice the limit is not looked at (short text deltas); a
longer one nests at most as many levels as it has ``[`` and ``{`` characters, counted by two
``bytes.count`` calls (about 1 ns per byte on CPython 3.11: 7% of the cost of a frame with a
~750-byte envelope, ``bench/results.md``). Only a text past both bounds has its parsed value
walked, by an explicit stack.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["DEFAULT_MAX_JSON_DEPTH", "nesting_depth", "text_too_deep", "value_too_deep"]

DEFAULT_MAX_JSON_DEPTH: Final = 128
"""The reducer's default ``max_json_depth`` (serde_json's default recursion limit): far above
what any sender's frame needs, and low enough that the model's JSON (the frame's values inside
sessions, runs, messages and parts) stays within what orjson writes."""


def nesting_depth(value: Any, limit: int) -> int:
    """The nesting depth of JSON-like ``value`` (a scalar is 0, ``[]`` and ``{}`` are 1), or
    ``limit + 1`` as soon as it is known to be deeper than ``limit``. No recursion."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if depth > limit:
                return limit + 1
        children = item.values() if type(item) is dict else item
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
    return deepest


def value_too_deep(value: Any, limit: int) -> bool:
    """Whether JSON-like ``value`` nests deeper than ``limit`` levels. O(containers)."""
    return nesting_depth(value, limit) > limit


def text_too_deep(text: bytes | str, value: Any, limit: int) -> bool:
    """Whether ``value``, parsed from the JSON ``text``, nests deeper than ``limit`` levels;
    the text's length and bracket count settle most frames without a walk."""
    if len(text) <= 2 * limit:
        return False
    if isinstance(text, bytes):
        brackets = text.count(b"[") + text.count(b"{")
    else:
        brackets = text.count("[") + text.count("{")
    return brackets > limit and value_too_deep(value, limit)
