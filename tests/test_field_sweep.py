"""Every field of every event type, in every format, takes every JSON type (issue #23, item 1).

``tests/core/test_search.py`` sweeps the Loom vocabulary from its spec; this sweep takes the
real recordings of every format (Loom, NNRP, TanStack legacy and AG-UI eras, the AG-UI SDKs,
Vercel UI, OpenAI Chat and Responses, Anthropic) and, for the first frame of each event type,
sets each of its fields (and each field of an object-valued field) to each JSON type. The whole
recording is folded around the changed frame. Lenient mode never raises and no decoder fails
(``decoder_error`` is a streamfold bug); strict mode raises nothing but ``ProtocolError``; every
frame is accounted for, and every writer takes the result.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from streamfold import ProtocolError, Reducer

from .core.test_text_fields import case_paths, frames_of
from .support.mutations import replaced
from .test_adversarial import check_outputs

JSON_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**64 + 1,
    1.5,
    "",
    "x",
    [],
    [1, "a", None, {"k": 1}],
    {},
    {"k": [1, 2]},
]
_DISCRIMINATORS = ("type", "event", "object", "message_type")


def _kind(frame: dict[str, Any]) -> str:
    return "/".join(str(frame.get(key)) for key in _DISCRIMINATORS if key in frame) or "reply"


def sweep_points(frames: list[dict[str, Any]]) -> list[tuple[int, tuple[str, ...]]]:
    """(frame position, field path) for each field of the first frame of each event type, and
    each field of its object-valued fields."""
    points: list[tuple[int, tuple[str, ...]]] = []
    seen: set[str] = set()
    for position, frame in enumerate(frames):
        kind = _kind(frame)
        if kind in seen:
            continue
        seen.add(kind)
        for key, value in frame.items():
            points.append((position, (key,)))
            if isinstance(value, dict):
                points += [(position, (key, inner)) for inner in value]
    return points


def _accounted(reducer: Reducer) -> None:
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    bugs = [d for d in reducer.conversation.diagnostics if d.code == "decoder_error"]
    assert bugs == []


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.name)
def test_every_field_takes_every_json_type(path: Path) -> None:
    frames = frames_of(path)
    points = sweep_points(frames)
    assert points
    for position, field in points:
        for value in JSON_VALUES:
            changed = [*frames[:position], replaced(frames[position], field, value)]
            changed += frames[position + 1 :]
            where = (path.name, position, field, value)
            lenient = Reducer()
            for frame in changed:
                lenient.feed(frame)
            lenient.close()
            assert lenient.frames_in == len(changed), where
            _accounted(lenient)

            strict = Reducer(strict=True)
            with contextlib.suppress(ProtocolError):
                for frame in changed[: position + 2]:
                    strict.feed(frame)
    check_outputs(lenient)  # the last case's model, through every writer
