"""The OpenAI profile's in-order fast path gives exactly what the full path gives.

``NnrpDecoder._result`` takes a shortcut for a ``PARTIAL_RESULT`` that only carries an event
for an open operation (issue #24). Each stream here is folded twice, with the shortcut and with
it switched off, and every frame's notifications and the final model must be equal: on the
recordings, on variants that put into partial results each field the shortcut must leave to
the full path (header flags, result statuses, token-profile fields, terminal events, duplicates,
broken event text), and on seeded random mutations of the OpenAI-profile recording.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from streamfold import Reducer
from streamfold.export.json import to_json
from streamfold.formats.nnrp import decoder as nnrp_decoder

from ...support.mutations import RECORDINGS, RandomPick, mutate, recording_lines

OPENAI = recording_lines(RECORDINGS / "nnrp-openai.ndjson")


def fold(lines: list[bytes]) -> tuple[list[str], bytes]:
    reducer = Reducer(format="nnrp")
    seen = [repr(reducer.feed_line(line)) for line in lines]
    seen.append(repr(reducer.close()))
    return seen, to_json(reducer.conversation)


def both(lines: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = fold(lines)
    with monkeypatch.context() as patch:
        patch.setattr(nnrp_decoder, "_plain_event", lambda *_: False)
        full = fold(lines)
    assert fast == full


def partials(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if b'"PARTIAL_RESULT"' in line]


def edited(lines: list[bytes], at: int, edit: Callable[[dict[str, Any]], object]) -> list[bytes]:
    frame = orjson.loads(lines[at])
    edit(frame)
    return [*lines[:at], json.dumps(frame).encode(), *lines[at + 1 :]]


def test_the_fast_path_is_taken_on_the_openai_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bool] = []
    real = nnrp_decoder._plain_event

    def counted(*args: Any) -> bool:
        taken.append(real(*args))
        return taken[-1]

    monkeypatch.setattr(nnrp_decoder, "_plain_event", counted)
    fold(OPENAI)
    resent = [i for i in partials(OPENAI) if b'"flags":["retransmit"]' in OPENAI[i]]
    assert len(resent) == 3
    assert sum(taken) == len(partials(OPENAI)) - len(resent)  # the resent ones take the full path


@pytest.mark.parametrize(
    "name", sorted(p.name for p in RECORDINGS.glob("nnrp-*.ndjson")), ids=lambda n: n[5:-7]
)
def test_recordings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    both(recording_lines(RECORDINGS / name), monkeypatch)


EDITS: dict[str, Callable[[dict[str, Any]], object]] = {
    "header EOS flag": lambda f: f["common_header"].__setitem__("flags", ["EOS"]),
    "header flags 1": lambda f: f["common_header"].__setitem__("flags", 1),
    "header flags '0x0'": lambda f: f["common_header"].__setitem__("flags", "0x0"),
    "header flags bad": lambda f: f["common_header"].__setitem__("flags", {"x": 1.5}),
    "header flags 0": lambda f: f["common_header"].__setitem__("flags", 0),
    "retransmit": lambda f: f["common_header"].__setitem__("flags", ["RETRANSMIT"]),
    "status complete": lambda f: f["fixed_metadata"].__setitem__("result_status", "complete"),
    "status partial": lambda f: f["fixed_metadata"].__setitem__("result_status", "partial"),
    "class final": lambda f: f["fixed_metadata"].__setitem__("result_class", 3),
    "descriptor": lambda f: f.__setitem__(
        "typed_payload_descriptor", {"descriptor_flags": ["terminal"]}
    ),
    "profile body": lambda f: f.__setitem__("profile_body", {"token": {"terminal": True}}),
    "payload frame": lambda f: f.__setitem__("payload_frame", {"token_chunk": "x"}),
    "no event": lambda f: (f.pop("body", None), f.pop("event", None)),
    "event not json": lambda f: f.__setitem__("body", "{not json"),
    "event not object": lambda f: f.__setitem__("body", "[1, 2]"),
    "completed in a partial": lambda f: f.__setitem__(
        "body", json.dumps({"type": "response.completed", "response": {"status": "completed"}})
    ),
    "sequence repeated": lambda f: f["fixed_metadata"].__setitem__("result_sequence", 1),
    "sequence jump": lambda f: f["fixed_metadata"].__setitem__("result_sequence", 90),
    "sequence text": lambda f: f["fixed_metadata"].__setitem__("result_sequence", "7"),
    "operation id changed": lambda f: f["fixed_metadata"].__setitem__("operation_id", 1),
    "flow credit": lambda f: f["fixed_metadata"].update(flow_scope="session", flow_credit_delta=2),
    "flow credit bad": lambda f: f["fixed_metadata"].__setitem__("flow_credit_delta", "2"),
    "unknown event": lambda f: f.__setitem__("body", json.dumps({"type": "response.new_thing"})),
    "other view": lambda f: f["common_header"].__setitem__("view_id", "0x00000001"),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_fields_that_leave_the_fast_path(what: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = partials(OPENAI)
    for i in (at[0], at[len(at) // 2], at[-1]):
        both(edited(OPENAI, i, EDITS[what]), monkeypatch)


def test_after_a_deferred_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # a token-profile operation whose terminal waits for a gap, then OpenAI events for it
    lines = recording_lines(RECORDINGS / "nnrp-gap.ndjson")
    both(lines + OPENAI, monkeypatch)
    both(OPENAI[:5] + lines + OPENAI[5:], monkeypatch)


@pytest.mark.parametrize("seed", range(40))
def test_random_mutations(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    both(mutate(OPENAI, RandomPick(random.Random(seed))), monkeypatch)
