"""JSON text of a snapshot, and the checks on the stream's own JSON values inside it.

A model holds values from the wire as they came (run state, tool inputs, custom event values,
metadata). Two kinds of them are legal in the model but beyond what orjson writes: integers
outside 64 bits (a sum of usage reports near ``2**64``) and nesting deeper than 254 levels
(orjson reads 1,024). :func:`dumps` writes such a document with
:func:`streamfold.model.text.dumps` (the standard library's encoder, or past its recursion limit
an iterative one), and marks it
``"encoding": "wide"`` so that :func:`loads` reads it back exactly (orjson would read a large
integer as a float). Neither side recurses on the document's depth where it matters.

:func:`check_value` is the check every such value passes on restore: only JSON types
(``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``), at most
:data:`MAX_VALUE_DEPTH` levels, walked without recursion.
"""

from __future__ import annotations

import json
import math
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # (C, not in the stubs)
from typing import Any, Final

import orjson

from ..errors import SnapshotError
from ..model.text import dumps as text_dumps

__all__ = ["MAX_VALUE_DEPTH", "WIDE", "check_value", "dumps", "loads"]

MAX_VALUE_DEPTH: Final = 1100
"""Deepest nesting of a stream value a snapshot carries (orjson, which parses the frames,
stops at 1,024)."""

WIDE: Final = ("encoding", "wide")
"""The top-level key and value that mark a document written by the standard encoder."""

_SCALARS: Final = (str, int, float, bool, type(None))


def check_value(value: Any, where: str = "") -> Any:
    """``value`` itself when it is plain JSON no deeper than :data:`MAX_VALUE_DEPTH`; else
    :class:`SnapshotError`."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise SnapshotError("a non-finite number", where)
        return value
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict:
            children = item.values()
            if any(type(key) is not str for key in item):
                raise SnapshotError("an object key that is not a string", where)
        elif kind is list:
            children = item
        elif kind in _SCALARS:
            if kind is float and not math.isfinite(item):
                raise SnapshotError("a non-finite number", where)
            continue
        else:
            raise SnapshotError(f"a {kind.__name__} where a JSON value belongs", where)
        if depth > MAX_VALUE_DEPTH:
            raise SnapshotError(f"a value nested deeper than {MAX_VALUE_DEPTH} levels", where)
        for child in children:
            if type(child) in _SCALARS and type(child) is not float:
                continue
            stack.append((child, depth + 1))
    return value


# ------------------------------------------------------------------------------------ encode


def dumps(document: dict[str, Any]) -> bytes:
    """``document`` as compact JSON bytes (see the module docstring). Raises
    :class:`SnapshotError` for a value JSON cannot hold."""
    try:
        return orjson.dumps(document)
    except TypeError:
        pass  # an int beyond 64 bits, nesting past 254, or not JSON at all: the wide path
    try:
        return text_dumps({WIDE[0]: WIDE[1], **document})
    except (TypeError, ValueError) as exc:
        raise SnapshotError(f"the reducer holds a value that is not JSON: {exc}") from None


# ------------------------------------------------------------------------------------ decode


def loads(data: bytes) -> Any:
    """The document in ``data``. Raises :class:`SnapshotError` if it is not JSON."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None  # maybe nested deeper than orjson reads: the wide reader decides
    else:
        if type(document) is not dict or document.get(WIDE[0]) != WIDE[1]:
            return document
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        return _loads_iteratively(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"snapshot is not JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_TOKEN: Final = re.compile(
    r"""[ \t\r\n]*(?:
        (?P<punct>[\[\]{},:])
      | (?P<string>")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?P<frac>\.[0-9]+)?(?P<exp>[eE][+-]?[0-9]+)?)
      | (?P<word>true|false|null)
    )""",
    re.VERBOSE,
)
_WORDS: Final = {"true": True, "false": False, "null": None}


def _string(text: str, start: int) -> tuple[str, int]:
    """The JSON string whose opening quote ends at ``start``, and the position after it."""
    try:
        value, end = scanstring(text, start, True)
    except ValueError as exc:
        raise SnapshotError(f"snapshot is not JSON: {exc}") from None
    return value, end


def _loads_iteratively(data: bytes) -> Any:
    """A JSON reader with an explicit stack (for documents deeper than the recursion limit)."""
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"snapshot is not JSON: {exc}") from None
    containers: list[Any] = []  # the open lists and dicts, outermost first
    keys: list[str] = []  # per open dict, the key of the value being read
    # What may come next: "value" (or "value]" right after "["), "key" (or "key}" after "{"),
    # ":", "," (or the container's end), "end" (after the top-level value).
    expect = "value"
    result: Any = None
    pos = 0
    while expect != "end" or text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None or expect == "end":
            raise SnapshotError(f"snapshot is not JSON (at character {pos})")
        pos = match.end()
        punct = match.group("punct")
        value: Any
        if expect in ("key", "key}"):
            if punct == "}" and expect == "key}":
                value = containers.pop()
            elif match.group("string") is not None:
                key, pos = _string(text, pos)
                keys.append(key)
                expect = ":"
                continue
            else:
                raise SnapshotError(f"snapshot is not JSON (at character {match.start()})")
        elif expect == ":":
            if punct != ":":
                raise SnapshotError(f"snapshot is not JSON (at character {match.start()})")
            expect = "value"
            continue
        elif expect == ",":
            top = containers[-1]
            if punct == ",":
                expect = "key" if type(top) is dict else "value"
                continue
            if punct != ("}" if type(top) is dict else "]"):
                raise SnapshotError(f"snapshot is not JSON (at character {match.start()})")
            value = containers.pop()
        elif punct == "]" and expect == "value]":
            value = containers.pop()
        elif punct is None:
            if match.group("string") is not None:
                value, pos = _string(text, pos)
            elif match.group("number") is not None:
                number = match.group("number")
                is_float = match.group("frac") or match.group("exp")
                value = float(number) if is_float else int(number)
            else:
                value = _WORDS[match.group("word")]
        elif punct in "[{":
            new: Any = [] if punct == "[" else {}
            containers.append(new)
            expect = "value]" if punct == "[" else "key}"
            continue
        else:
            raise SnapshotError(f"snapshot is not JSON (at character {match.start()})")
        # A complete value: put it in its container, or it is the document.
        if not containers:
            result = value
            expect = "end"
            continue
        top = containers[-1]
        if type(top) is list:
            top.append(value)
        else:
            top[keys.pop()] = value
        expect = ","
    return result
