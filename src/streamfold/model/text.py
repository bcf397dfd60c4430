"""Well-formed text: lone UTF-16 surrogates out of every string the library keeps or writes.

A Python ``str`` can hold a *lone surrogate* (a code point U+D800–U+DFFF not part of a pair):
the standard ``json`` module turns ``"\\ud83d"`` into one, and JavaScript senders that cut a
string by UTF-16 code units send such halves (``docs/model.md``, "Text integrity"). orjson, the
UTF-8 codec and every JSON output refuse them. These pure helpers make text well formed:

* :func:`well_formed`: two surrogate code points that form a pair become the one character
  they encode; a lone one becomes U+FFFD. Returns the text and how many were replaced.
* :func:`json_safe`: the same applied to every string (keys too) of JSON-like data
  (dicts, lists, tuples), copying only what changes.
* :func:`dumps`: ``orjson.dumps`` that never fails on a lone surrogate (the cleaning walk runs
  only after orjson refused the data, so well-formed data costs nothing extra).
* :func:`loads_with_surrogates`: the reducer's fallback parse of JSON orjson refused.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import orjson

__all__ = [
    "REPLACEMENT",
    "dumps",
    "has_surrogate",
    "json_safe",
    "loads_with_surrogates",
    "well_formed",
]

REPLACEMENT: Final = "\ufffd"
"""U+FFFD REPLACEMENT CHARACTER: what a surrogate half that can't be paired becomes."""

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
has_surrogate: Final = _SURROGATE.search
"""``has_surrogate(text)``: a match object when ``text`` holds a surrogate code point."""


def well_formed(text: str) -> tuple[str, int]:
    """``text`` with surrogate pairs joined and lone surrogates replaced by U+FFFD, and the
    number of lone surrogates replaced. O(len(text)); the text itself when it has none."""
    if text.isascii() or not _SURROGATE.search(text):
        return text, 0
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return fixed, fixed.count(REPLACEMENT) - text.count(REPLACEMENT)


def json_safe(value: Any) -> Any:
    """``value`` with :func:`well_formed` applied to every string in it (dict keys included);
    containers are copied only where something changed. Other objects are returned as they are."""
    kind = type(value)
    if kind is str:
        return well_formed(value)[0]
    if kind is dict or isinstance(value, dict):
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key, new_item = json_safe(key), json_safe(item)
            changed = changed or new_key is not key or new_item is not item
            out[new_key] = new_item
        return out if changed else value
    if kind is list or kind is tuple:
        items = [json_safe(item) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items if kind is list else tuple(items)
        return value
    return value


def dumps(value: Any, **options: Any) -> bytes:
    """``orjson.dumps(value, **options)``; when orjson refuses a lone surrogate, the same of
    :func:`json_safe` ``(value)`` (each one written as U+FFFD)."""
    try:
        return orjson.dumps(value, **options)
    except orjson.JSONEncodeError as exc:
        if "surrogates" not in str(exc):
            raise
    return orjson.dumps(json_safe(value), **options)


_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
"""A JSON escape of a UTF-16 surrogate: what makes orjson refuse a frame a JavaScript sender cut
between the halves of a pair."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_with_surrogates(text: str) -> Any:
    """The reducer's fallback parse: ``text`` as JSON when it is JSON apart from lone
    surrogates (which orjson refuses and the standard library keeps), else ``None``. Meant for
    text orjson refused; text without a surrogate escape costs one substring test."""
    if "\\u" not in text or not _SURROGATE_ESCAPE.search(text):
        return None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError:  # JSONDecodeError, NaN/Infinity
        return None
