"""``streamfold.model.text.dumps``: the one JSON writer every output uses (issue #23, items 3
and 4). It writes what orjson refuses — integers past 64 bits, nesting past 254 levels, lone
surrogates — and refuses only what is not JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest

from streamfold.model.text import dumps


def nested(depth: int, leaf: Any) -> list[Any]:
    root: list[Any] = []
    inner = root
    for _ in range(depth - 1):
        child: list[Any] = []
        inner.append(child)
        inner = child
    inner.append(leaf)
    return root


@pytest.mark.parametrize(
    "value",
    [
        {"tokens": 2**64 - 1 + 2**64 - 1, "negative": -(2**70)},
        nested(300, 1),  # past orjson's writer, within the standard library's
        nested(5_000, 10**30),  # past the recursion limit: the iterative writer
    ],
    ids=["big-int", "deep", "deeper-than-recursion"],
)
def test_what_orjson_refuses_is_written_exactly(value: Any) -> None:
    with pytest.raises(TypeError):
        orjson.dumps(value)
    text = dumps(value)
    if isinstance(value, dict):
        assert json.loads(text) == value  # exact integers, not floats
    else:
        depth = len(text) - len(text.lstrip(b"["))
        assert depth == text.count(b"[") == text.count(b"]") and text.count(b"[") in (300, 5_000)


def test_the_iterative_writer_writes_what_the_standard_library_would() -> None:
    leaf = {"k": [1.5, None, True, "\u00e9\u4e2d\n", 2**70], "e": {}}
    inner = json.dumps(leaf, ensure_ascii=False, separators=(",", ":"))
    expected = "[" * 2_000 + inner + "]" * 2_000
    assert dumps(nested(2_000, leaf)).decode() == expected


def test_options_and_default_on_the_slow_path() -> None:
    value = {"b": 2**70, "a": math.nan, "when": object}
    text = dumps(value, default=lambda o: "obj", option=orjson.OPT_SORT_KEYS).decode()
    assert text == '{"a":null,"b":1180591620717411303424,"when":"obj"}'
    indented = dumps({"x": [2**70]}, option=orjson.OPT_INDENT_2).decode()
    assert indented == '{\n  "x": [\n    1180591620717411303424\n  ]\n}'


def test_lone_surrogates_become_replacement_characters_at_any_depth() -> None:
    assert dumps({"t": "a\ud800"}) == '{"t":"a\ufffd"}'.encode()
    deep = dumps(nested(3_000, "x\udfff"))
    assert "x\ufffd".encode() in deep


def test_what_is_not_json_is_refused() -> None:
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(TypeError, match="Circular"):
        dumps({"x": circular, "n": 2**70})
    with pytest.raises(TypeError):
        dumps({"n": 2**70, "o": object()})
