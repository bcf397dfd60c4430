"""Well-formed text: lone UTF-16 surrogates out of every string the library keeps or writes.

A Python ``str`` can hold a *lone surrogate* (a code point U+D800–U+DFFF not part of a pair):
the standard ``json`` module turns ``"\\ud83d"`` into one, and JavaScript senders that cut a
string by UTF-16 code units send such halves (``docs/model.md``, "Text integrity"). orjson, the
UTF-8 codec and every JSON output refuse them. These pure helpers make text well formed:

* :func:`well_formed`: two surrogate code points that form a pair become the one character
  they encode; a lone one becomes U+FFFD. Returns the text and how many were replaced.
* :func:`json_safe`: the same applied to every string (keys too) of JSON-like data
  (dicts, lists, tuples), copying only what changes.
* :func:`dumps`: ``orjson.dumps`` that never fails on what a stream can put in the model: a lone
  surrogate (written as U+FFFD), an integer beyond 64 bits (a sum of usage reports near
  ``2**64``; written exactly) or nesting deeper than orjson's 254 levels (written by an
  iterative encoder). The slower paths run only after orjson refused the data, so ordinary data
  costs nothing extra (``docs/model.md``, "Limits").
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
    "object_after_prefix",
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


def dumps(value: Any, *, default: Any = None, option: int = 0) -> bytes:
    """``orjson.dumps(value, default=default, option=option)`` for any JSON-like data the model
    holds. Where orjson refuses, the same JSON text is written another way:

    * a lone surrogate: the data of :func:`json_safe` (each one becomes U+FFFD);
    * an integer outside 64 bits, or nesting past orjson's 254 levels: the standard library's
      encoder, or past its recursion limit an iterative one (integers are written exactly).

    ``option`` may hold ``OPT_INDENT_2`` and ``OPT_SORT_KEYS`` (the only options the slow paths
    honour). Raises ``TypeError`` for a value that is not JSON and that ``default`` does not
    turn into JSON."""
    try:
        return orjson.dumps(value, default=default, option=option)
    except orjson.JSONEncodeError as exc:
        if "surrogates" in str(exc):
            try:
                return orjson.dumps(json_safe(value), default=default, option=option)
            except (orjson.JSONEncodeError, RecursionError):
                pass  # also too wide or too deep: the wide path makes its text well formed
    return _dumps_wide(value, default, option)


def _dumps_wide(value: Any, default: Any, option: int) -> bytes:
    """What orjson cannot write: integers past 64 bits, nesting past 254 levels."""
    indent = 2 if option & orjson.OPT_INDENT_2 else None
    sort_keys = bool(option & orjson.OPT_SORT_KEYS)
    separators = (",", ": ") if indent else (",", ":")
    try:
        text = json.dumps(
            value,
            ensure_ascii=False,
            allow_nan=False,
            default=default,
            indent=indent,
            sort_keys=sort_keys,
            separators=separators,
        )
    except RecursionError:  # deeper than the standard library's encoder goes
        text = _dumps_iteratively(value, default, sort_keys)
    except ValueError as exc:
        if "ircular" in str(exc):  # a caller's object that contains itself: not JSON
            raise TypeError(str(exc)) from None
        text = _dumps_iteratively(value, default, sort_keys)  # NaN, infinity: null, as orjson
    return well_formed(text)[0].encode()


_INF: Final = float("inf")


def _dumps_iteratively(document: Any, default: Any = None, sort_keys: bool = False) -> str:
    """Compact JSON text of ``document`` by an explicit stack (any depth; no recursion)."""
    out: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, document)]  # (is literal text, item)
    write_scalar = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    while stack:
        literal, item = stack.pop()
        if literal:
            out.append(item)
            continue
        kind = type(item)
        if kind is dict or isinstance(item, dict):
            entries = sorted(item.items()) if sort_keys else list(item.items())
            pieces: list[tuple[bool, Any]] = [(True, "}")]
            for i in range(len(entries) - 1, -1, -1):
                key, child = entries[i]
                if type(key) is not str:
                    raise TypeError(f"object key {key!r} is not a string")
                pieces.append((False, child))
                pieces.append((True, ("," if i else "") + write_scalar(key) + ":"))
            out.append("{")
            stack += pieces
        elif kind is list or kind is tuple:
            pieces = [(True, "]")]
            for i in range(len(item) - 1, -1, -1):
                pieces.append((False, item[i]))
                if i:
                    pieces.append((True, ","))
            out.append("[")
            stack += pieces
        elif kind is str or kind is int or kind is bool or item is None:
            out.append(write_scalar(item))
        elif kind is float:
            out.append(write_scalar(item) if item == item and abs(item) != _INF else "null")
        elif default is not None:
            stack.append((False, default(item)))
        else:
            raise TypeError(f"a {kind.__name__} is not JSON")
    return "".join(out)


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
    except (ValueError, RecursionError):  # JSONDecodeError, NaN/Infinity; nested too deep
        return None


def object_after_prefix(text: str) -> tuple[dict[str, Any], int] | None:
    """The JSON object that starts at the first ``{`` of ``text`` and ends it, after text that
    is not JSON (a REPL's ``> `` prompt), and where it starts; ``None`` when there is none."""
    brace = text.find("{")
    if brace <= 0:
        return None
    try:
        frame = orjson.loads(text[brace:])
    except orjson.JSONDecodeError:
        return None
    return (frame, brace) if type(frame) is dict else None
