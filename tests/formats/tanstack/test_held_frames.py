"""Frames the TanStack decoder holds until a run starts (``CUSTOM``, ``RAW``, ``STATE_*`` before
any run) are accounted to themselves (issue #23, item 9): a held frame found unusable when its
run arrives is the dropped one, with its own index and text; the frame that released it is
applied and counted so."""

from __future__ import annotations

import json

import pytest

from streamfold import Reducer

BROKEN = '{"type":"CUSTOM","name":"tool-input-available","value":{"toolName":"x"}}'
GOOD = '{"type":"STATE_SNAPSHOT","snapshot":{"step":1}}'
RUN_STARTED = '{"type":"RUN_STARTED","threadId":"t","runId":"r"}'


def _check(reducer: Reducer, dropped_index: int) -> None:
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    assert reducer.frames_dropped == 1
    [dropped] = [d for d in reducer.conversation.diagnostics if d.dropped]
    assert (dropped.code, dropped.frame_index) == ("invalid_field", dropped_index)
    assert dropped.raw is not None and json.loads(dropped.raw) == json.loads(BROKEN)


def test_a_held_frame_found_broken_is_the_dropped_one() -> None:
    reducer = Reducer()
    for line in (GOOD, BROKEN, RUN_STARTED):
        reducer.feed_line(line)
    _check(reducer, dropped_index=1)
    [run] = reducer.conversation.runs
    assert run.run_id == "r" and run.state == {"step": 1}  # the good held frame applied


@pytest.mark.parametrize("end", ["close", "done", "snapshot"])
def test_a_held_frame_released_at_the_end_is_counted_too(end: str) -> None:
    reducer = Reducer()
    reducer.feed_line(GOOD)
    reducer.feed_line(BROKEN)
    if end == "snapshot":  # the held frames' indexes survive a snapshot
        reducer = Reducer.from_snapshot(reducer.snapshot())
    if end == "done":
        reducer.feed_sse(b"data: [DONE]\n\n")
    reducer.close()
    _check(reducer, dropped_index=1)
