"""NNRP text that survives any split and lanes that stay apart (issue #17): token chunks cut
at any UTF-16 code unit (text) or any byte (raw bytes), in any order within the reorder
window, several lanes interleaved; OpenAI-profile deltas cut the same way."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streamfold import Reducer
from streamfold.model import RunStatus

from ...text_splits import cut_bytes, js_json, split_texts, texts
from .test_nnrp import Op, text_event


def lane_frames(op: Op, pieces: list[Any], order: list[int]) -> list[dict[str, Any]]:
    """One chunk per piece at ``[2i, 2i + 2)`` (two tokens each: never read as inclusive),
    the last one the terminal, sent in ``order``."""
    last = len(pieces) - 1
    frames = []
    for i in order:
        data = pieces[i]
        text, raw = (data, None) if isinstance(data, str) else (None, data)
        terminal = i == last
        frames.append(
            op.chunk(
                text,
                2 * i,
                2 * i + 2,
                terminal=terminal,
                stop="eos" if terminal else None,
                b64=raw,
            )
        )
    return frames


def fold_lines(frames: list[dict[str, Any]]) -> Reducer:
    reducer = Reducer()
    for frame in frames:
        reducer.feed_line(js_json(frame))
    reducer.close()
    assert reducer.frames_dropped == 0, [d.code for d in reducer.conversation.diagnostics]
    return reducer


def surrogate_codes(reducer: Reducer) -> list[str]:
    return [d.code for d in reducer.conversation.diagnostics if d.code == "unpaired_surrogate"]


@settings(max_examples=60, deadline=None)
@given(split=split_texts(), seed=st.randoms(use_true_random=False))
def test_property_text_chunks_cut_at_code_units_in_any_order(
    split: tuple[str, list[str]], seed: random.Random
) -> None:
    text, pieces = split
    order = list(range(len(pieces)))
    seed.shuffle(order)
    reducer = fold_lines(lane_frames(Op(), pieces, order))
    (run,) = reducer.conversation.runs
    assert run.text == text
    assert run.status is RunStatus.COMPLETED
    assert not surrogate_codes(reducer)


@settings(max_examples=60, deadline=None)
@given(text=texts, cuts=st.lists(st.integers(0, 200), max_size=12), seed=st.randoms())
@example(text="🚀" * 10, cuts=[37, 38], seed=random.Random(3))
def test_property_byte_chunks_cut_anywhere_in_any_order(
    text: str, cuts: list[int], seed: random.Random
) -> None:
    pieces = cut_bytes(text.encode(), cuts)
    order = list(range(len(pieces)))
    seed.shuffle(order)
    reducer = fold_lines(lane_frames(Op(), pieces, order))
    (run,) = reducer.conversation.runs
    assert run.text == text
    assert [d.code for d in reducer.conversation.diagnostics if d.code == "invalid_utf8"] == []


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_a_character_tail_spanning_chunks_waits_for_its_head(order: tuple[int, ...]) -> None:
    """The last rocket's bytes F0 | 9F | 9A 80: when 9F or 9A 80 arrive before F0, the tail
    (two chunks of continuation bytes) waits for the start window instead of being decoded
    alone (a spurious ``invalid_utf8``; found by the property test below)."""
    text = "🚀" * 10
    pieces = cut_bytes(text.encode(), [37, 38])
    reducer = fold_lines(lane_frames(Op(), pieces, list(order)))
    (run,) = reducer.conversation.runs
    assert run.text == text
    assert "invalid_utf8" not in [d.code for d in reducer.conversation.diagnostics]


@settings(max_examples=40, deadline=None)
@given(
    splits=st.lists(split_texts(), min_size=2, max_size=4),
    seed=st.randoms(use_true_random=False),
)
def test_property_interleaved_lanes_never_share_text(
    splits: list[tuple[str, list[str]]], seed: random.Random
) -> None:
    """Views of one frame and sessions that reuse a frame id are lanes of their own."""
    ops = [Op(view=0), Op(view=1), Op(session=0x35), Op(session=0x35, view=2)]
    lanes = []
    for op, (_, pieces) in zip(ops, splits, strict=False):
        order = list(range(len(pieces)))
        seed.shuffle(order)
        lanes.append(lane_frames(op, pieces, order))
    frames = []
    while any(lanes):
        lane = seed.choice([lane for lane in lanes if lane])
        frames.append(lane.pop(0))
    reducer = fold_lines(frames)
    runs = {run.run_id: run for run in reducer.conversation.runs}
    ids = [
        "nnrp:0x00000034:0x00000c21",
        "nnrp:0x00000034:0x00000c21:0x0001",
        "nnrp:0x00000035:0x00000c21",
        "nnrp:0x00000035:0x00000c21:0x0002",
    ]
    assert {run_id: runs[run_id].text for run_id in ids[: len(splits)]} == {
        run_id: text for run_id, (text, _) in zip(ids, splits, strict=False)
    }
    assert all(run.status is RunStatus.COMPLETED for run in runs.values())
    assert "late_frame" not in [d.code for d in reducer.conversation.diagnostics]


@settings(max_examples=50, deadline=None)
@given(split=split_texts())
def test_property_openai_profile_deltas_cut_at_code_units(split: tuple[str, list[str]]) -> None:
    text, pieces = split
    op = Op()
    frames = [op.event(text_event(piece), i + 1) for i, piece in enumerate(pieces)]
    frames.append(
        op.event({"type": "response.completed"}, kind="RESULT_PUSH", meta={"status_code": 200})
    )
    reducer = fold_lines(frames)
    (run,) = reducer.conversation.runs
    assert run.text == text
    assert not surrogate_codes(reducer)


def test_a_view_ending_does_not_end_the_frames_other_views() -> None:
    main, side = Op(view=0), Op(view=1)
    frames = [
        *lane_frames(main, ["a", "b"], [0, 1]),
        *lane_frames(side, ["x", "y"], [0, 1]),
        main.chunk("late", 0, 2),  # a duplicate after main's terminal: late for main only
    ]
    reducer = Reducer()
    for frame in frames:
        reducer.feed_line(js_json(frame))
    reducer.close()
    assert [r.text for r in reducer.conversation.runs] == ["ab", "xy"]
    late = [d for d in reducer.conversation.diagnostics if d.code == "late_frame"]
    assert [d.run_id for d in late] == ["nnrp:0x00000034:0x00000c21"]


def test_a_frame_cancel_ends_every_view_of_the_frame() -> None:
    main, side = Op(view=0), Op(view=1)
    frames = [main.chunk("a", 0, 2), side.chunk("x", 0, 2), main.control("FRAME_CANCEL")]
    reducer = fold_lines(frames)
    assert [r.status for r in reducer.conversation.runs] == [RunStatus.CANCELLED] * 2


def test_reordering_at_the_start_places_earlier_chunks_first() -> None:
    op = Op()
    frames = lane_frames(op, ["The ", "quick ", "brown ", "fox"], [2, 0, 3, 1])
    reducer = fold_lines(frames)
    (run,) = reducer.conversation.runs
    assert run.text == "The quick brown fox"
    assert "sequence_before_start" not in [d.code for d in reducer.conversation.diagnostics]


def test_resume_at_every_cut_keeps_the_start_window_and_pending_halves() -> None:
    """A snapshot between any two frames carries held early chunks, the start window and a
    pending surrogate half; the resumed reducer folds to the same text."""
    text = "go 🚀 ok 🎉"
    pieces = ["go \ud83d", "\ude80 ok \ud83c", "\udf89"]
    frames = lane_frames(Op(), pieces, [1, 2, 0])
    for cut in range(len(frames) + 1):
        reducer = Reducer()
        for i, frame in enumerate(frames):
            if i == cut:
                reducer = Reducer.from_snapshot(reducer.snapshot())
            reducer.feed_line(js_json(frame))
        reducer.close()
        (run,) = reducer.conversation.runs
        assert run.text == text, cut
        assert not surrogate_codes(reducer)
