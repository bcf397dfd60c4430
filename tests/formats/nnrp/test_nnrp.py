"""The NNRP decoder (token profile JSON + OpenAI-compatible events) through the Reducer."""

from __future__ import annotations

import base64
import copy
import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamfold import ProtocolError, Reducer, RunStatus, ToolCallState, UsageError
from streamfold.events import AppendText, Diagnose, EndRun, Event, MarkMissing, StartRun
from streamfold.formats import detect_format
from streamfold.formats.nnrp import NnrpDecoder
from streamfold.formats.nnrp.reassembly import RangeMode
from streamfold.io.sync import fold_file
from streamfold.model import Run, Severity, TextPart, ToolCallPart
from streamfold.notifications import RunFinished, TextDelta, TextReplaced
from streamfold.snapshot import to_bytes

from ...summary import summarize

# The overview page's mock dump, verbatim (specs/nnrp-token-profile.txt).
MOCK: dict[str, Any] = {
    "message_type": "RESULT_PUSH",
    "common_header": {
        "version_major": 1,
        "wire_format": 0,
        "msg_type": "RESULT_PUSH",
        "header_len": 40,
        "meta_len": 24,
        "body_len": 96,
        "session_id": "0x00000034",
        "frame_id": "0x00000c21",
        "view_id": "0x00000000",
        "route_id": "0x00000009",
        "trace_id": "0x8e6a6e6db54a11af",
    },
    "fixed_metadata": {"result_status": "partial", "flow_scope": "session", "flow_credit_delta": 1},
    "typed_payload_descriptor": {
        "profile_id": "token",
        "schema_id": "llm.chat.delta.v1",
        "schema_version": 1,
        "stream_semantics": "ordered_incremental",
        "offset": 128,
        "length": 36,
        "descriptor_flags": ["stop_reason_present"],
    },
    "profile_body": {
        "token": {
            "token_unit": "bpe",
            "sequence_start": 128,
            "sequence_end": 136,
            "terminal": False,
            "stop_reason": "none",
        }
    },
    "payload_frame": {"token_chunk": " and then retries over TCP"},
}


class Op:
    """Builds frames of one operation (session, frame, view)."""

    def __init__(self, session: Any = 0x34, frame: Any = 0xC21, view: Any = 0) -> None:
        self.session, self.frame, self.view = session, frame, view

    def header(self, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "msg_type": kind,
            "session_id": self.session,
            "frame_id": self.frame,
            "view_id": self.view,
            **extra,
        }

    def chunk(
        self,
        text: str | None,
        start: int | None = None,
        end: int | None = None,
        *,
        kind: str = "RESULT_PUSH",
        terminal: bool | None = False,
        stop: str | None = None,
        status: Any = ...,
        flags: Any = None,
        dflags: Any = None,
        semantics: Any = None,
        b64: bytes | None = None,
        hexdata: bytes | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        token: dict[str, Any] = {"token_unit": "bpe"}
        if start is not None:
            token["sequence_start"] = start
        if end is not None:
            token["sequence_end"] = end
        if terminal is not None:
            token["terminal"] = terminal
        if stop is not None:
            token["stop_reason"] = stop
        descriptor: dict[str, Any] = {"profile_id": "token", "schema_id": "llm.chat.delta.v1"}
        if semantics is not None:
            descriptor["stream_semantics"] = semantics
        if dflags is not None:
            descriptor["descriptor_flags"] = dflags
        if status is ...:
            status = None if terminal else "partial"
        fixed: dict[str, Any] = {} if status is None else {"result_status": status}
        fixed.update(meta or {})
        payload: dict[str, Any] = {}
        if b64 is not None:
            payload["token_chunk_base64"] = base64.b64encode(b64).decode()
        elif hexdata is not None:
            payload["token_chunk_hex"] = hexdata.hex()
        elif text is not None:
            payload["token_chunk"] = text
        header = self.header(kind)
        if flags is not None:
            header["flags"] = flags
        frame: dict[str, Any] = {
            "message_type": kind,
            "common_header": header,
            "fixed_metadata": fixed,
            "typed_payload_descriptor": descriptor,
            "profile_body": {"token": token},
        }
        if payload:
            frame["payload_frame"] = payload
        return frame

    def event(
        self,
        event: dict[str, Any] | str | None,
        seq: int | None = None,
        *,
        kind: str = "PARTIAL_RESULT",
        meta: dict[str, Any] | None = None,
        flags: Any = None,
        key: str = "event",
    ) -> dict[str, Any]:
        fixed: dict[str, Any] = {"operation_id": 7}
        if seq is not None:
            fixed["result_sequence"] = seq
            fixed["delta_sequence"] = seq
        fixed.update(meta or {})
        header = self.header(kind)
        if flags is not None:
            header["flags"] = flags
        frame: dict[str, Any] = {
            "message_type": kind,
            "common_header": header,
            "fixed_metadata": fixed,
        }
        if event is not None:
            frame[key] = event
        return frame

    def control(self, kind: str, **meta: Any) -> dict[str, Any]:
        return {"message_type": kind, "common_header": self.header(kind), "fixed_metadata": meta}


def words(text: str, start: int = 0) -> list[tuple[str, int, int]]:
    """Split text into word chunks with sequence ranges (one token per chunk character count)."""
    out, pos = [], start
    for piece in text.split(" "):
        chunk = piece + " "
        out.append((chunk, pos, pos + len(chunk)))
        pos += len(chunk)
    return out


def stream(op: Op, text: str, *, stop: str = "eos", start: int = 0) -> list[dict[str, Any]]:
    parts = words(text, start)
    frames = [op.chunk(t, s, e) for t, s, e in parts[:-1]]
    t, s, e = parts[-1]
    frames.append(op.chunk(t, s, e, terminal=True, stop=stop, status=None))
    return frames


def fold(frames: Iterable[dict[str, Any]], **options: Any) -> Reducer:
    reducer = Reducer(**options)
    for frame in frames:
        reducer.feed_line(orjson.dumps(frame))
    reducer.close()
    return reducer


def codes(reducer: Reducer) -> list[str]:
    return [d.code for d in reducer.conversation.diagnostics]


def only_run(reducer: Reducer) -> Run:
    runs = reducer.conversation.runs
    assert len(runs) == 1, [r.run_id for r in runs]
    return runs[0]


def summary(run: Run) -> dict[str, Any]:
    for event in run.custom_events:
        if event.name == "nnrp.operation":
            value: dict[str, Any] = event.value
            return value
    raise AssertionError("no nnrp.operation summary")


def decode_all(decoder: NnrpDecoder, frames: Iterable[dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for i, frame in enumerate(frames):
        events += decoder.decode(frame, i)
    return events + decoder.finish()


def fold_with(decoder: NnrpDecoder, frames: Iterable[dict[str, Any]]) -> Reducer:
    """Fold with a configured decoder (the reducer builds decoders with defaults)."""
    reducer = Reducer()
    reducer.apply(decode_all(decoder, frames))
    return reducer


# ------------------------------------------------------------------------ the mock dump


def test_mock_dump_is_detected_and_decoded() -> None:
    assert detect_format(MOCK) == "nnrp"
    assert NnrpDecoder.detect({"message_type": "RESULT_PUSH"})
    assert not NnrpDecoder.detect({"type": "message_chunk"})
    reducer = Reducer()
    notes = reducer.feed_line(orjson.dumps(MOCK))
    deltas = [n for n in notes if isinstance(n, TextDelta)]
    assert [d.delta for d in deltas] == [" and then retries over TCP"]
    run = only_run(reducer)
    assert run.session_id == "0x00000034"
    assert run.run_id == "nnrp:0x00000034:0x00000c21"
    assert run.status is RunStatus.RUNNING
    assert run.metadata["trace_id"] == "0x8e6a6e6db54a11af"
    assert run.metadata["route_id"] == "0x00000009"
    assert run.metadata["schema_id"] == "llm.chat.delta.v1"
    assert run.metadata["token_unit"] == "bpe"
    assert len(run.messages) == 1
    assert run.messages[0].role == "assistant"
    assert run.messages[0].metadata == {"view_id": "0x0000"}
    assert list(reducer.conversation.diagnostics) == []
    reducer.close()
    assert only_run(reducer).status == RunStatus.INCOMPLETE
    assert run.error_code == "no_terminal"
    assert codes(reducer) == ["missing_terminal"]


def test_mock_stream_with_terminal() -> None:
    last = copy.deepcopy(MOCK)
    last["profile_body"]["token"].update(sequence_start=136, sequence_end=139, terminal=True)
    last["profile_body"]["token"]["stop_reason"] = "eos"
    last["fixed_metadata"]["result_status"] = "complete"
    last["typed_payload_descriptor"]["offset"] = 136
    last["payload_frame"]["token_chunk"] = " again."
    reducer = fold([MOCK, last])
    run = only_run(reducer)
    assert run.text == " and then retries over TCP again."
    assert run.status is RunStatus.COMPLETED
    assert run.finish_reason == "stop"
    assert run.stop_reason == "eos"
    # The lane starts at 128 and first_sequence is unknown: the terminal waits while the start
    # window is open, in case chunks before 128 are in flight (docs/nnrp.md, issue #17).
    assert codes(reducer) == ["terminal_deferred"]
    assert codes(fold([MOCK, last], decoders={"nnrp": NnrpDecoder(first_sequence=128)})) == []
    stats = summary(run)
    assert stats["flow"] == {"frames": 2, "credit_delta_sum": 2, "scopes": ["session"]}
    assert stats["lanes"]["0x0000"]["frontier"] == 139
    assert stats["lanes"]["0x0000"]["range_mode"] == "half_open"


# -------------------------------------------------------------------------- ids and keys


@pytest.mark.parametrize(
    ("session", "frame"),
    [(52, 3105), ("0x34", "0xc21"), ("52", "3105"), ("0x00000034", "0x00000C21")],
)
def test_ids_as_integers_or_hex_or_decimal_strings(session: Any, frame: Any) -> None:
    frames = [Op().chunk("Hello ", 0, 6), Op(session, frame).chunk("world", 6, 11, terminal=True)]
    run = only_run(fold(frames))
    assert run.run_id == "nnrp:0x00000034:0x00000c21"
    assert run.text == "Hello world"


def test_non_numeric_string_ids_are_kept() -> None:
    run = only_run(fold(stream(Op("sess-a", "op-1"), "hi there")))
    assert run.run_id == "nnrp:sess-a:op-1"
    assert run.session_id == "sess-a"


def test_interleaved_operations_and_sessions() -> None:
    ops = {
        ("a", 1): (Op(1, 1), "one two three four"),
        ("a", 2): (Op(1, 2), "alpha beta gamma"),
        ("b", 1): (Op(2, 1), "uno dos tres cuatro cinco"),
    }
    streams = {k: stream(op, text) for k, (op, text) in ops.items()}
    interleaved: list[dict[str, Any]] = []
    while any(streams.values()):
        for frames in streams.values():
            if frames:
                interleaved.append(frames.pop(0))
    reducer = fold(interleaved)
    conversation = reducer.conversation
    assert list(conversation.sessions) == ["0x00000001", "0x00000002"]
    runs = {r.run_id: r for r in conversation.runs}
    assert runs["nnrp:0x00000001:0x00000001"].text == "one two three four "
    assert runs["nnrp:0x00000001:0x00000002"].text == "alpha beta gamma "
    assert runs["nnrp:0x00000002:0x00000001"].text == "uno dos tres cuatro cinco "
    assert all(r.status is RunStatus.COMPLETED for r in runs.values())
    assert all(len(r.messages) == 1 for r in runs.values())
    assert codes(reducer) == []


def test_views_are_lanes_with_their_own_runs() -> None:
    """Each view of a frame is its own operation (issue #17): separate text, terminal and
    late-frame bookkeeping; view 0 keeps the frame's run id."""
    main, side = Op(view=0), Op(view=1)
    frames = [
        main.chunk("main ", 0, 5),
        side.chunk("side ", 0, 5),  # same sequence positions: separate buffers
        main.chunk("lane", 5, 9, terminal=True, stop="eos"),
        side.chunk("view", 5, 9, terminal=True, stop="eos"),  # after main's terminal: not late
    ]
    reducer = fold(frames)
    runs = {r.run_id: r for r in reducer.conversation.runs}
    assert list(runs) == ["nnrp:0x00000034:0x00000c21", "nnrp:0x00000034:0x00000c21:0x0001"]
    assert [r.text for r in runs.values()] == ["main lane", "side view"]
    assert [r.messages[0].metadata["view_id"] for r in runs.values()] == ["0x0000", "0x0001"]
    assert [r.metadata["view_id"] for r in runs.values()] == ["0x0000", "0x0001"]
    assert all(r.status is RunStatus.COMPLETED for r in runs.values())
    assert codes(reducer) == []


def test_frame_id_reused_after_a_new_submit_is_a_new_run() -> None:
    op = Op()
    frames = [*stream(op, "first run"), op.control("FRAME_SUBMIT"), *stream(op, "second run")]
    reducer = fold(frames)
    runs = reducer.conversation.runs
    assert [r.run_id for r in runs] == [
        "nnrp:0x00000034:0x00000c21",
        "nnrp:0x00000034:0x00000c21#2",
    ]
    assert [r.text for r in runs] == ["first run ", "second run "]


def test_operation_id_mismatch_is_flagged() -> None:
    op = Op()
    frames = [
        op.event({"type": "response.output_text.delta", "index": 0, "delta": "a"}, 1),
        op.event(
            {"type": "response.output_text.delta", "index": 0, "delta": "b"},
            2,
            meta={"operation_id": 8},
        ),
    ]
    reducer = fold(frames)
    assert "operation_id_mismatch" in codes(reducer)
    assert only_run(reducer).metadata["operation_id"] == 7


# -------------------------------------------------------------------------- reassembly


def test_reorder_within_the_window() -> None:
    op = Op()
    frames = stream(op, "the quick brown fox jumps over")
    order = [frames[0], frames[2], frames[3], frames[1], frames[5], frames[4]]
    reducer = fold(order)
    run = only_run(reducer)
    assert run.text == "the quick brown fox jumps over "
    assert run.status is RunStatus.COMPLETED
    # the terminal itself arrived early: the run waits for the chunk before it
    assert codes(reducer) == ["chunk_out_of_order"] * 3 + ["terminal_deferred"]
    assert all(d.severity is Severity.INFO for d in reducer.conversation.diagnostics)
    assert summary(run)["lanes"]["0x0000"]["held_peak"] == 2


def test_text_deltas_arrive_in_sequence_order() -> None:
    op = Op()
    reducer = Reducer()
    reducer.feed(op.chunk("a", 0, 1))
    assert [n for n in reducer.feed(op.chunk("c", 2, 3)) if isinstance(n, TextDelta)] == []
    notes = reducer.feed(op.chunk("b", 1, 2))
    assert [n.delta for n in notes if isinstance(n, TextDelta)] == ["b", "c"]


def test_duplicates_and_retransmits_are_dropped_idempotently() -> None:
    op = Op()
    frames = stream(op, "one two three")
    dup = copy.deepcopy(frames[0])
    retransmit = copy.deepcopy(frames[1])
    retransmit["common_header"]["flags"] = ["retransmit"]
    reducer = fold([frames[0], frames[1], dup, retransmit, frames[2]])
    run = only_run(reducer)
    assert run.text == "one two three "
    diagnostics = list(reducer.conversation.diagnostics)
    assert [(d.code, d.severity, d.dropped, d.frame_index) for d in diagnostics] == [
        ("duplicate_chunk", Severity.WARNING, True, 2),
        ("duplicate_chunk", Severity.INFO, True, 3),
    ]
    assert reducer.frames_dropped == 2
    stats = summary(run)
    assert stats["retransmit_flagged"] == 1
    assert stats["lanes"]["0x0000"]["duplicates"] == 2


def test_retransmit_flag_as_bits_fills_a_hole() -> None:
    op = Op()
    frames = stream(op, "one two three")
    hole = copy.deepcopy(frames[1])
    hole["common_header"]["flags"] = 0x10
    reducer = fold([frames[0], frames[2], hole])
    run = only_run(reducer)
    assert run.text == "one two three "
    assert run.status is RunStatus.COMPLETED


def test_partial_overlap_is_a_conflict_without_splicing() -> None:
    op = Op()
    frames = [
        op.chunk("Hello", 0, 5),
        op.chunk("lo, world", 3, 12),  # overlaps [3, 5)
        op.chunk("!", 12, 13, terminal=True, stop="eos"),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.text == "Hello!"
    assert codes(reducer) == [
        "sequence_overlap",
        "chunk_out_of_order",
        "terminal_deferred",
        "sequence_gap",
    ]
    assert run.status is RunStatus.INCOMPLETE
    assert run.missing == [(5, 12)]
    assert run.lossy
    assert summary(run)["lanes"]["0x0000"]["conflicts"] == 1


def test_permanent_gap_finalizes_incomplete_with_missing_ranges() -> None:
    op = Op()
    frames = stream(op, "a b c d e f")
    delivered = [frames[0], frames[2], frames[4], frames[5]]  # b and d never arrive
    reducer = fold(delivered)
    run = only_run(reducer)
    assert run.status is RunStatus.INCOMPLETE
    assert run.finish_reason == "stop"
    assert run.stop_reason == "eos"
    assert run.missing == [(2, 4), (6, 8)]
    assert run.lossy
    assert run.text == "a c e f "  # held text kept, in order, after the gaps
    gaps = [d for d in reducer.conversation.diagnostics if d.code == "sequence_gap"]
    assert len(gaps) == 2
    assert "[2, 4)" in gaps[0].message
    assert summary(run)["lanes"]["0x0000"]["missing"] == [[2, 4], [6, 8]]


def test_reorder_window_overflow_gives_up_a_gap() -> None:
    op = Op()
    frames = stream(op, " ".join("w" + str(i) for i in range(80)))
    delivered = frames[:1] + frames[2:]  # frames[1] lost; 64 held chunks max
    reducer = fold(delivered)
    run = only_run(reducer)
    assert "reorder_overflow" in codes(reducer)
    assert run.status is RunStatus.INCOMPLETE
    assert run.missing == [(3, 6)]
    stats = summary(run)["lanes"]["0x0000"]
    assert stats["overflows"] == 1
    assert stats["held_peak"] == 65
    expected = "".join(t for t, _, _ in words(" ".join("w" + str(i) for i in range(80)))[2:])
    assert run.text == "w0 " + expected


def test_late_frames_after_the_terminal_are_ignored() -> None:
    op = Op()
    frames = stream(op, "done now")
    late = op.chunk("extra", 9, 14)
    reducer = fold([*frames, late])
    run = only_run(reducer)
    assert run.text == "done now "
    late_diag = reducer.conversation.diagnostics[-1]
    assert (late_diag.code, late_diag.severity, late_diag.dropped) == (
        "late_frame",
        Severity.WARNING,
        True,
    )
    assert late_diag.run_id == run.run_id


@pytest.mark.parametrize("semantics", ["snapshot", "replace", 1, 3, "0x0001"])
def test_snapshot_semantics_replace_the_text(semantics: Any) -> None:
    op = Op()
    frames = [
        op.chunk("Hel", 0, 1, semantics=semantics),
        op.chunk("Hello wor", 0, 3, semantics=semantics),
        op.chunk("Hello world", 0, 4, semantics=semantics, terminal=True, stop="eos"),
    ]
    reducer = Reducer()
    notes = []
    for frame in frames:
        notes += reducer.feed(frame)
    reducer.close()
    run = only_run(reducer)
    assert run.text == "Hello world"
    assert len([n for n in notes if isinstance(n, TextReplaced)]) == 3
    assert codes(reducer) == []


@pytest.mark.parametrize("semantics", ["ordered_incremental", "append", 2, "default", 0])
def test_append_semantics(semantics: Any) -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1, semantics=semantics),
        op.chunk("b", 1, 2, semantics=semantics, terminal=True),
    ]
    reducer = fold(frames)
    assert only_run(reducer).text == "ab"
    assert codes(reducer) == []


def test_unknown_stream_semantics_appends_with_one_warning() -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1, semantics="region_partial"),
        op.chunk("b", 1, 2, semantics="region_partial", terminal=True),
    ]
    reducer = fold(frames)
    assert only_run(reducer).text == "ab"
    assert codes(reducer) == ["unknown_value"]


def test_inclusive_sender_is_auto_detected() -> None:
    op = Op()
    frames = [
        op.chunk(" and then", 128, 135),
        op.chunk(" retries", 136, 139),
        op.chunk(" over TCP", 140, 142, terminal=True, stop="eos"),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.text == " and then retries over TCP"
    assert run.status is RunStatus.COMPLETED
    assert "inclusive_ranges" in codes(reducer)
    assert summary(run)["lanes"]["0x0000"]["range_mode"] == "inclusive"


def test_configured_range_mode_and_window() -> None:
    op = Op()
    frames = [op.chunk("a", 0, 0), op.chunk("b", 1, 1), op.chunk("c", 2, 2, terminal=True)]
    reducer = fold_with(NnrpDecoder(range_mode="inclusive"), frames)
    run = only_run(reducer)
    assert run.text == "abc"
    assert run.missing == []
    reducer = fold_with(NnrpDecoder(range_mode="half_open"), frames)
    assert only_run(reducer).text == ""
    assert codes(reducer).count("invalid_range") == 3
    # window 0: every early chunk cuts a gap at once
    frames = stream(op, "a b c")
    reducer = fold_with(NnrpDecoder(max_held_chunks=0), [frames[0], frames[2], frames[1]])
    run = only_run(reducer)
    assert run.missing == [(2, 4)]
    assert codes(reducer) == ["chunk_out_of_order", "reorder_overflow", "late_frame"]


def test_first_sequence_option_and_gap_marker() -> None:
    op = Op()
    frames = [op.chunk("b", 5, 6), op.chunk("c", 6, 7, terminal=True)]
    reducer = fold_with(NnrpDecoder(first_sequence=0, gap_marker="[…]"), frames)
    run = only_run(reducer)
    assert run.text == "[…]bc"
    assert run.missing == [(0, 5)]
    assert run.status is RunStatus.INCOMPLETE


def test_bad_decoder_options() -> None:
    with pytest.raises(UsageError, match="range_mode"):
        NnrpDecoder(range_mode="closed")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="max_ended"):
        NnrpDecoder(max_ended_operations=-1)


def test_chunks_without_a_range_append_in_arrival_order() -> None:
    op = Op()
    frames = [op.chunk("Hel"), op.chunk("lo"), op.chunk("", terminal=True, stop="eos")]
    reducer = fold(frames)
    assert only_run(reducer).text == "Hello"
    assert codes(reducer) == []


def test_bad_sequence_fields_fall_back_to_arrival_order() -> None:
    op = Op()
    frame = op.chunk("x", 0, 1)
    frame["profile_body"]["token"]["sequence_end"] = "1"
    reducer = fold([frame])
    assert only_run(reducer).text == "x"
    assert "invalid_field" in codes(reducer)


# ---------------------------------------------------------------------------- raw bytes


def test_multibyte_character_split_across_base64_chunks() -> None:
    data = "héllo 日本 🎉".encode()
    op = Op()
    frames = [op.chunk(None, i, i + 1, b64=data[i : i + 1]) for i in range(len(data))]
    frames.append(op.chunk(None, len(data), len(data), terminal=True, stop="eos"))
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.text == "héllo 日本 🎉"
    assert codes(reducer) == []


def test_hex_and_byte_list_payloads() -> None:
    data = "日本語".encode()
    op = Op()
    list_frame = op.chunk(None, 6, 9)
    list_frame["payload_frame"] = {"token_chunk": list(data[6:9])}
    frames = [op.chunk(None, 0, 4, hexdata=data[0:4]), op.chunk(None, 4, 6, hexdata=data[4:6])]
    frames += [list_frame, op.chunk("", 9, 9, terminal=True)]
    reducer = fold(frames)
    assert only_run(reducer).text == "日本語"
    assert codes(reducer) == []


def test_reordered_byte_chunks_decode_in_sequence_order() -> None:
    data = "a€b".encode()  # € is 3 bytes: positions 1..4
    op = Op()
    first = op.chunk(None, 0, 2, b64=data[0:2])
    middle = op.chunk(None, 2, 4, b64=data[2:4])
    last = op.chunk(None, 4, 5, b64=data[4:5], terminal=True)
    # the terminal arrives before the middle chunk: the run waits for it
    reducer = fold([first, last, middle])
    run = only_run(reducer)
    assert run.text == "a€b"
    assert run.status is RunStatus.COMPLETED
    # the middle byte never arrives: the cut character becomes U+FFFD
    reducer = fold([first, last])
    run = only_run(reducer)
    assert run.text == "a\ufffdb"
    assert run.status is RunStatus.INCOMPLETE
    assert run.missing == [(2, 4)]
    assert "invalid_utf8" in codes(reducer)


def test_bad_payload_encodings() -> None:
    op = Op()
    bad64 = op.chunk(None, 0, 1)
    bad64["payload_frame"] = {"token_chunk_base64": "not base64!"}
    badhex = op.chunk(None, 0, 1)
    badhex["payload_frame"] = {"token_chunk_hex": "zz"}
    badtype = op.chunk(None, 0, 1)
    badtype["payload_frame"] = {"token_chunk": {"a": 1}}
    reducer = fold([bad64, badhex, badtype, op.chunk("ok", 0, 2, terminal=True)])
    assert codes(reducer) == ["invalid_field"] * 3
    assert reducer.frames_dropped == 3
    assert only_run(reducer).text == "ok"


# ------------------------------------------------------------------------ terminal rules


@pytest.mark.parametrize(
    ("dflags", "header_flags", "status"),
    [
        (["terminal"], None, "partial"),
        (["TERMINAL", "stop_reason_present"], None, None),
        (0x1, None, None),
        ("0x01", None, None),
        (None, ["eos"], None),
        (None, 0x08, None),
        (None, None, "complete"),
        (None, None, "completed"),
        (None, None, 0),  # result_class complete
    ],
)
def test_terminal_signals(dflags: Any, header_flags: Any, status: Any) -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1),
        op.chunk("b", 1, 2, terminal=None, dflags=dflags, flags=header_flags, status=status),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.status is RunStatus.COMPLETED
    assert run.finish_reason == "stop"
    assert run.text == "ab"


def test_partial_and_terminal_conflict_terminal_wins() -> None:
    op = Op()
    reducer = fold([op.chunk("a", 0, 1, terminal=True, status="partial")])
    assert only_run(reducer).status is RunStatus.COMPLETED
    assert codes(reducer) == ["terminal_conflict"]


def test_non_terminal_result_push_keeps_the_run_open() -> None:
    op = Op()
    reducer = Reducer()
    reducer.feed(op.chunk("a", 0, 1))
    reducer.feed(op.chunk("b", 1, 2, dflags=["partial"]))
    assert only_run(reducer).status is RunStatus.RUNNING


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("eos", "stop"),
        ("tool_call", "tool_calls"),
        ("length", "length"),
        ("max_tokens", "length"),
        ("content_filter", "content_filter"),
        ("none", "stop"),
    ],
)
def test_stop_reasons(stop: str, finish: str) -> None:
    op = Op()
    reducer = fold([op.chunk("x", 0, 1, terminal=True, stop=stop)])
    run = only_run(reducer)
    assert run.status is RunStatus.COMPLETED
    assert run.finish_reason == finish
    assert run.stop_reason == (None if stop == "none" else stop)


def test_stop_reason_on_a_non_terminal_chunk_is_ignored() -> None:
    op = Op()
    reducer = fold([op.chunk("x", 0, 1, stop="eos"), op.chunk("y", 1, 2, terminal=True)])
    run = only_run(reducer)
    assert run.stop_reason is None
    assert codes(reducer) == ["early_stop_reason"]


def test_stop_reason_without_its_descriptor_flag_is_used_with_a_note() -> None:
    op = Op()
    frame = op.chunk("x", 0, 1, terminal=True, stop="tool_call", dflags=["coverage_present"])
    reducer = fold([frame])
    assert only_run(reducer).finish_reason == "tool_calls"
    assert codes(reducer) == ["stop_reason_unflagged"]


@pytest.mark.parametrize("status", ["degraded", "stale_reuse", 2, 3])
def test_quality_statuses_are_final_with_a_flag(status: Any) -> None:
    op = Op()
    reducer = fold([op.chunk("x", 0, 1, terminal=None, status=status)])
    run = only_run(reducer)
    assert run.status is RunStatus.COMPLETED
    assert summary(run)["quality"] in (["degraded"], ["stale_reuse"])


def test_unknown_result_status_is_kept_and_non_terminal() -> None:
    op = Op()
    reducer = fold([op.chunk("x", 0, 1, status="warming"), op.chunk("y", 1, 2, status="warming")])
    run = only_run(reducer)
    assert run.status is RunStatus.INCOMPLETE  # no terminal before close
    assert codes(reducer) == ["unknown_value", "missing_terminal"]
    assert summary(run)["result_status"] == "warming"


def test_preview4_result_push_after_partial_results_is_the_terminal() -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1, kind="PARTIAL_RESULT", status=None, terminal=None),
        op.chunk("b", 1, 2, kind="PARTIAL_RESULT", status=None, terminal=None),
        op.chunk("", 2, 2, kind="RESULT_PUSH", status=None, terminal=None),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.status is RunStatus.COMPLETED
    assert run.text == "ab"


def test_empty_result_push_is_a_terminal() -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1),
        {"message_type": "RESULT_PUSH", "common_header": op.header("RESULT_PUSH")},
    ]
    reducer = fold(frames)
    assert only_run(reducer).status is RunStatus.COMPLETED


@pytest.mark.parametrize(
    ("kind", "meta", "status", "code"),
    [
        ("RESULT_DROP", {}, RunStatus.FAILED, None),
        ("RESULT_DROP_REASON", {"drop_reason": 1}, RunStatus.FAILED, "deadline_expired"),
        ("RESULT_DROP_REASON", {"drop_reason": 3}, RunStatus.CANCELLED, "peer_cancelled"),
        ("RESULT_DROP_REASON", {"reason_code": "superseded"}, RunStatus.CANCELLED, "superseded"),
    ],
)
def test_result_drops(kind: str, meta: dict[str, Any], status: RunStatus, code: str) -> None:
    op = Op()
    reducer = fold([op.chunk("partial text", 0, 2), op.control(kind, **meta)])
    run = only_run(reducer)
    assert run.status is status
    assert run.finish_reason == "dropped"
    assert run.error_code == code
    assert run.text == "partial text"


def test_frame_scoped_error_fails_the_operation() -> None:
    op = Op()
    error = op.control("ERROR", error_code=0xC, error_scope="frame", is_fatal=1)
    error["diagnostic"] = "worker crashed"
    reducer = fold([op.chunk("a", 0, 1), error])
    run = only_run(reducer)
    assert run.status is RunStatus.FAILED
    assert run.error_code == "internal_error"
    assert run.error == "worker crashed"
    assert run.finish_reason == "error"


def test_error_frame_cancelled_code_is_a_cancel() -> None:
    op = Op()
    reducer = fold([op.chunk("a", 0, 1), op.control("ERROR", error_code=9)])
    assert only_run(reducer).status is RunStatus.CANCELLED


def test_fatal_session_error_ends_every_operation_of_the_session() -> None:
    a, b, other = Op(1, 1), Op(1, 2), Op(2, 1)
    error = {
        "message_type": "ERROR",
        "common_header": {"session_id": 1, "frame_id": 0},
        "fixed_metadata": {"error_code": "server_busy", "error_scope": "session", "is_fatal": True},
    }
    reducer = fold([a.chunk("a", 0, 1), b.chunk("b", 0, 1), other.chunk("c", 0, 1), error])
    statuses = {r.run_id: (r.status, r.error_code) for r in reducer.conversation.runs}
    assert statuses == {
        "nnrp:0x00000001:0x00000001": (RunStatus.FAILED, "server_busy"),
        "nnrp:0x00000001:0x00000002": (RunStatus.FAILED, "server_busy"),
        "nnrp:0x00000002:0x00000001": (RunStatus.INCOMPLETE, "no_terminal"),
    }


def test_non_fatal_error_is_only_reported() -> None:
    op = Op()
    error = op.control("ERROR", error_code=0xB, error_scope="session", is_fatal=0)
    reducer = Reducer()
    reducer.feed(op.chunk("a", 0, 1))
    reducer.feed(error)
    assert only_run(reducer).status is RunStatus.RUNNING
    assert codes(reducer) == ["sender_error"]


@pytest.mark.parametrize("kind", ["CANCEL", "ABORT", "FRAME_CANCEL"])
def test_cancel_finalizes_cancelled_and_late_frames_are_expected(kind: str) -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1),
        op.control(kind, operation_id=7, reason_code=3),
        op.chunk("b", 1, 2),
        op.control("RESULT_DROP_REASON", drop_reason=3),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.status is RunStatus.CANCELLED
    assert run.finish_reason == "cancelled"
    assert run.error_code == kind.lower()
    assert run.text == "a"
    late = [d for d in reducer.conversation.diagnostics if d.code == "late_frame"]
    assert [(d.severity, d.dropped) for d in late] == [(Severity.INFO, True)] * 2


def test_session_scoped_cancel() -> None:
    a, b = Op(1, 1), Op(1, 2)
    cancel = {
        "message_type": "CANCEL",
        "common_header": {"session_id": 1, "frame_id": 0},
        "fixed_metadata": {"cancel_scope": 3},
    }
    reducer = fold([a.chunk("a", 0, 1), b.chunk("b", 0, 1), cancel])
    assert {r.status for r in reducer.conversation.runs} == {RunStatus.CANCELLED}


def test_supersede() -> None:
    op = Op()
    reducer = fold([op.chunk("a", 0, 1), op.control("SUPERSEDE")])
    run = only_run(reducer)
    assert (run.status, run.finish_reason) == (RunStatus.CANCELLED, "superseded")


# ------------------------------------------------------------------------ flow and metrics


def test_flow_fields_are_metrics_only() -> None:
    op = Op()
    frames = [
        op.chunk("a", 0, 1, meta={"flow_scope": 2, "flow_credit_delta": 3}),
        op.control("FLOW_UPDATE", scope_kind=1, session_credit=4),
        op.chunk("b", 1, 2, meta={"flow_scope": "session", "flow_credit_delta": -1}),
        op.chunk("c", 2, 3, terminal=True, meta={"flow_credit_delta": "x"}),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.text == "abc"
    stats = summary(run)
    assert stats["flow"] == {"frames": 3, "credit_delta_sum": 2, "scopes": ["operation", "session"]}
    assert stats["control"] == {"FLOW_UPDATE": 1}
    assert codes(reducer) == ["invalid_field"]


def test_connection_level_messages_are_recorded_not_applied() -> None:
    ping = {"message_type": "PING", "common_header": {"session_id": 0}}
    flow = {"message_type": "FLOW_UPDATE", "common_header": {"session_id": 1}}
    reducer = fold([ping, flow])
    assert codes(reducer) == ["ignored_message", "ignored_message"]
    assert reducer.conversation.runs == []
    assert reducer.frames_dropped == 0


# ---------------------------------------------------------------------------- bad frames


@pytest.mark.parametrize("kind", [0x12, "18", "0x12", "result_push", "Result-Push"])
def test_message_type_names_and_codes(kind: Any) -> None:
    frame = Op().chunk("x", 0, 1, terminal=True)
    frame["message_type"] = kind
    frame["common_header"]["msg_type"] = kind
    reducer = fold([frame])
    assert only_run(reducer).status is RunStatus.COMPLETED
    assert codes(reducer) == []


def test_malformed_frames_are_dropped_with_diagnostics() -> None:
    good = Op().chunk("x", 0, 1)
    no_frame_id = copy.deepcopy(good)
    del no_frame_id["common_header"]["frame_id"]
    bad_header = {"message_type": "RESULT_PUSH", "common_header": "nope"}
    no_type: dict[str, Any] = {"common_header": {"session_id": 1, "frame_id": 1}}
    unknown = {"message_type": "RESULT_TELEPORT", "common_header": {"session_id": 1}}
    bad_type = {"message_type": 1.5, "common_header": {}}
    bad_body = copy.deepcopy(good)
    bad_body["profile_body"] = []
    reducer = fold([no_frame_id, bad_header, no_type, unknown, bad_type, bad_body])
    assert codes(reducer) == [
        "missing_field",
        "invalid_field",
        "missing_field",
        "unknown_message_type",
        "invalid_field",
        "invalid_field",
    ]
    assert reducer.frames_dropped == 6
    assert reducer.conversation.runs == []


def test_message_type_mismatch_is_flagged() -> None:
    frame = Op().chunk("x", 0, 1, terminal=True)
    frame["common_header"]["msg_type"] = "PARTIAL_RESULT"
    reducer = fold([frame])
    assert codes(reducer) == ["message_type_mismatch"]


def test_unknown_flag_names_are_noted_once() -> None:
    op = Op()
    frames = [op.chunk("a", 0, 1, dflags=["shiny"]), op.chunk("b", 1, 2, dflags=["shiny"])]
    reducer = fold(frames)
    assert codes(reducer) == ["unknown_value", "missing_terminal"]


def test_strict_mode() -> None:
    op = Op()
    frames = stream(op, "a b c")
    retransmit = copy.deepcopy(frames[0])
    retransmit["common_header"]["flags"] = {"retransmit": True}
    # held chunks, deferred terminals and flagged retransmits are INFO: strict mode goes on
    fold([frames[0], retransmit, frames[2], frames[1]], strict=True)
    with pytest.raises(ProtocolError) as info:
        fold([frames[0], frames[0]], strict=True)
    assert info.value.code == "duplicate_chunk"


def test_missing_terminal_at_close() -> None:
    op = Op()
    reducer = fold([op.chunk("ab", 0, 2), op.chunk("ef", 4, 6)])
    run = only_run(reducer)
    assert run.status is RunStatus.INCOMPLETE
    assert run.missing == [(2, 4)]
    assert codes(reducer) == ["chunk_out_of_order", "missing_terminal", "sequence_gap"]


def test_ended_operations_are_forgotten_beyond_the_bound() -> None:
    a, b = Op(1, 1), Op(1, 2)
    frames = [*stream(a, "x"), *stream(b, "y"), a.chunk("late", 2, 6)]
    reducer = fold_with(NnrpDecoder(max_ended_operations=1), frames)
    runs = reducer.conversation.runs
    # the first key was forgotten: its late frame starts a new run (id kept unique)
    assert [r.run_id for r in runs][-1] == "nnrp:0x00000001:0x00000001#2"


# ------------------------------------------------------------------- OpenAI-compatible


def text_event(delta: str, index: int = 0) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "index": index, "delta": delta}


def tool_events(call_id: str, name: str, parts: list[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {
            "type": "response.tool_call.started",
            "index": 1,
            "item_id": "item_" + call_id,
            "call_id": call_id,
            "name": name,
        }
    ]
    events += [
        {
            "type": "response.tool_call.delta",
            "index": 1,
            "item_id": "item_" + call_id,
            "call_id": call_id,
            "arguments_delta": p,
        }
        for p in parts
    ]
    events.append(
        {
            "type": "response.tool_call.completed",
            "index": 1,
            "item_id": "item_" + call_id,
            "call_id": call_id,
            "name": name,
            "arguments": "".join(parts),
        }
    )
    return events


def openai_stream(op: Op) -> list[dict[str, Any]]:
    events = [text_event("Let me "), text_event("check.")]
    events += tool_events("call_1", "get_weather", ['{"city":', '"Paris"}'])
    events.append(
        {
            "type": "response.usage",
            "usage": {"input_tokens": 12, "output_tokens": 9, "total_tokens": 21},
        }
    )
    frames = [op.event(e, i + 1) for i, e in enumerate(events)]
    frames.append(
        op.event(
            {"type": "response.completed", "body": {"choices": [{"finish_reason": "tool_calls"}]}},
            kind="RESULT_PUSH",
            meta={"status_code": 200},
        )
    )
    return frames


def test_openai_text_tool_call_usage_and_completion() -> None:
    op = Op()
    submit = op.event(
        {
            "schema_version": "openai-compatible/1",
            "operation": "chat.completions.create",
            "request_id": "req_1",
            "body": {
                "model": "m1",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Weather in Paris?"},
                ],
            },
        },
        kind="FRAME_SUBMIT",
    )
    reducer = fold([submit, *openai_stream(op)])
    run = only_run(reducer)
    assert run.input_text == "Weather in Paris?"
    assert run.metadata["model"] == "m1"
    assert run.metadata["operation"] == "chat.completions.create"
    assert run.status is RunStatus.COMPLETED
    assert run.finish_reason == "tool_calls"
    assert run.text == "Let me check."
    call = run.tool_calls["call_1"]
    assert call.name == "get_weather"
    assert call.state is ToolCallState.INPUT_COMPLETE
    assert call.arguments == '{"city":"Paris"}'
    assert call.input == {"city": "Paris"}
    assert call.metadata == {"item_id": "item_call_1", "index": 1}
    assistant = run.messages[-1]
    assert [type(p) for p in assistant.parts] == [TextPart, ToolCallPart]
    assert (run.usage.prompt_tokens, run.usage.completion_tokens, run.usage.total_tokens) == (
        12,
        9,
        21,
    )
    assert codes(reducer) == []


def test_openai_events_are_deduplicated_by_result_sequence() -> None:
    op = Op()
    frames = openai_stream(op)
    replayed = [copy.deepcopy(f) for f in frames[:4]]  # a resume re-delivers applied events
    for f in replayed[2:]:
        f["common_header"]["flags"] = ["retransmit"]
    reducer = fold([*frames[:4], *replayed, *frames[4:]])
    run = only_run(reducer)
    assert run.text == "Let me check."
    assert run.tool_calls["call_1"].arguments == '{"city":"Paris"}'
    diagnostics = [(d.code, d.severity) for d in reducer.conversation.diagnostics]
    assert (
        diagnostics
        == [("duplicate_result", Severity.WARNING)] * 2 + [("duplicate_result", Severity.INFO)] * 2
    )
    assert summary(run)["duplicate_results"] == 4


def test_openai_result_sequence_gap_is_reported() -> None:
    op = Op()
    frames = [op.event(text_event("a"), 1), op.event(text_event("c"), 3)]
    reducer = fold(frames)
    assert codes(reducer) == ["result_sequence_gap", "missing_terminal"]


def test_openai_body_as_json_text() -> None:
    op = Op()
    frames = [
        op.event(orjson.dumps(text_event("hi")).decode(), 1, key="body"),
        op.event(None, kind="RESULT_PUSH", meta={"status_code": 200}),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.text == "hi"
    assert run.status is RunStatus.COMPLETED


def test_openai_error_and_cancel_terminals() -> None:
    a, b, c = Op(1, 1), Op(1, 2), Op(1, 3)
    error = {
        "type": "response.error",
        "error": {"type": "invalid_request_error", "code": "unsupported_model", "message": "no"},
    }
    frames = [
        a.event(text_event("x"), 1),
        a.event(error, kind="RESULT_PUSH", meta={"status_code": 500}),
        b.event({"type": "response.cancelled", "reason": "client"}, kind="RESULT_PUSH"),
        c.event(None, kind="RESULT_PUSH", meta={"status_code": 503}),
    ]
    reducer = fold(frames)
    runs = {r.run_id[-1]: r for r in reducer.conversation.runs}
    assert (runs["1"].status, runs["1"].error, runs["1"].error_code) == (
        RunStatus.FAILED,
        "no",
        "unsupported_model",
    )
    assert (runs["2"].status, runs["2"].error) == (RunStatus.CANCELLED, "client")
    assert (runs["3"].status, runs["3"].error_code) == (RunStatus.FAILED, "503")


def test_openai_status_499_is_cancelled() -> None:
    op = Op()
    reducer = fold(
        [
            op.event(text_event("x"), 1),
            op.event(None, kind="RESULT_PUSH", meta={"status_code": 499}),
        ]
    )
    assert only_run(reducer).status is RunStatus.CANCELLED


def test_openai_terminal_event_in_a_partial_result_waits_for_the_result_push() -> None:
    op = Op()
    frames = [
        op.event(text_event("x"), 1),
        op.event({"type": "response.error", "error": {"code": "c", "message": "m"}}, 2),
    ]
    reducer = Reducer()
    for frame in frames:
        reducer.feed(frame)
    assert only_run(reducer).status is RunStatus.RUNNING
    reducer.feed(op.event(None, kind="RESULT_PUSH"))
    run = only_run(reducer)
    assert (run.status, run.error_code) == (RunStatus.FAILED, "c")
    # and at end of input without a RESULT_PUSH, the pending outcome is used
    reducer = fold(frames)
    assert only_run(reducer).status is RunStatus.FAILED
    assert "missing_terminal" not in codes(reducer)


def test_openai_tool_call_error_and_order_problems() -> None:
    op = Op()
    events: list[dict[str, Any]] = [
        {"type": "response.tool_call.delta", "call_id": "c1", "arguments_delta": "{"},
        {
            "type": "response.tool_call.error",
            "call_id": "c1",
            "error": {"type": "t", "code": "bad_args", "message": "invalid arguments"},
        },
        {"type": "response.tool_call.delta", "call_id": "c1", "arguments_delta": "}"},
        {"type": "response.tool_call.started", "call_id": "c2", "name": "f"},
        {"type": "response.tool_call.started", "call_id": "c2", "name": "f"},
        {"type": "response.tool_call.completed", "call_id": "c2", "arguments": {"a": 1}},
    ]
    frames = [op.event(e, i + 1) for i, e in enumerate(events)]
    frames.append(op.event(None, kind="RESULT_PUSH"))
    reducer = fold(frames)
    run = only_run(reducer)
    c1, c2 = run.tool_calls["c1"], run.tool_calls["c2"]
    assert c1.state is ToolCallState.ERROR
    assert c1.error == "invalid arguments"
    assert c1.arguments == "{"
    assert c2.input == {"a": 1}
    assert codes(reducer) == ["tool_call_order", "tool_call_order", "tool_call_order"]


def test_openai_non_streaming_completed_body() -> None:
    op = Op()
    body = {
        "id": "chatcmpl_example",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "hello",
                    "tool_calls": [
                        {"id": "call_9", "function": {"name": "f", "arguments": '{"x":1}'}}
                    ],
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
    reducer = fold([op.event({"type": "response.completed", "body": body}, kind="RESULT_PUSH")])
    run = only_run(reducer)
    assert run.text == "hello"
    assert run.reply == "hello"
    assert run.messages[0].text == "hello"
    assert run.finish_reason == "stop"
    assert run.usage.total_tokens == 13
    assert run.tool_calls["call_9"].input == {"x": 1}


def test_openai_unknown_event_and_diagnostics_event() -> None:
    op = Op()
    frames = [
        op.event({"type": "response.reasoning.delta", "delta": "hm"}, 1),
        op.event({"type": "response.diagnostics", "queue_ms": 3}, 2),
        op.event({"no_type": True}, 3),
        op.event(text_event("x", index=1), 4),
        op.event({"type": "response.usage", "usage": {"input_tokens": "many"}}, 5),
        op.event(None, kind="RESULT_PUSH"),
    ]
    reducer = fold(frames)
    run = only_run(reducer)
    assert run.unknown_events == [{"type": "response.reasoning.delta", "delta": "hm"}]
    assert [e.name for e in run.custom_events] == ["nnrp.diagnostics", "nnrp.operation"]
    assert codes(reducer) == ["unknown_event_type", "invalid_field", "invalid_field"]
    assert [m.metadata.get("index") for m in run.messages] == [None, 1]


def test_openai_unsequenced_retransmit_is_dropped() -> None:
    op = Op()
    frames = [op.event(text_event("a")), op.event(text_event("a"), flags=["retransmit"])]
    reducer = fold(frames)
    assert only_run(reducer).text == "a"
    assert codes(reducer)[0] == "duplicate_result"


# ---------------------------------------------------------------------- decoder events


def test_decoder_events_for_a_gap() -> None:
    op = Op()
    frames = [op.chunk("a", 0, 1), op.chunk("c", 2, 3, terminal=True)]
    events = decode_all(NnrpDecoder(range_mode="half_open"), frames)
    assert [type(e).__name__ for e in events][:3] == ["StartRun", "StartMessage", "AppendText"]
    assert isinstance(events[0], StartRun)
    missing = [e for e in events if isinstance(e, MarkMissing)]
    assert [(m.start, m.end) for m in missing] == [(1, 2)]
    end = events[-1]
    assert isinstance(end, EndRun)
    assert end.status is RunStatus.INCOMPLETE
    texts = [e.delta for e in events if isinstance(e, AppendText)]
    assert texts == ["a", "c"]
    diags = [e.code for e in events if isinstance(e, Diagnose)]
    assert diags == ["chunk_out_of_order", "terminal_deferred", "sequence_gap"]


def test_finish_events_order() -> None:
    events = decode_all(NnrpDecoder(), [Op().chunk("a", 0, 1)])
    assert [type(e).__name__ for e in events][-3:] == ["Diagnose", "RecordCustom", "EndRun"]


# ---------------------------------------------------------------------- property tests


@given(
    text=st.text(min_size=1, max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=15),
    as_bytes=st.booleans(),
    data=st.data(),
)
def test_any_permutation_within_the_window_plus_duplicates_matches_in_order(
    text: str, cuts: list[int], as_bytes: bool, data: st.DataObject
) -> None:
    """Frames of one operation in any order within the reorder window, with any number of
    duplicated (optionally RETRANSMIT-flagged) frames, give the in-order text. With
    ``range_mode="auto"`` chunks span two positions or more: a one-position hole is what an
    inclusive sender looks like (docs/nnrp.md)."""
    raw: str | bytes = text.encode() if as_bytes else text
    mode: RangeMode = "auto" if data.draw(st.booleans()) else "half_open"
    points = [0]
    for p in sorted({c % (len(raw) + 1) for c in cuts}):
        if mode == "half_open" or (p - points[-1] >= 2 and len(raw) - p >= 2):
            points.append(p)
    points = sorted(set(points) | {len(raw)})
    op = Op()
    frames = []
    for a, b in itertools.pairwise(points):
        if as_bytes:
            assert isinstance(raw, bytes)
            frames.append(op.chunk(None, a, b, b64=raw[a:b]))
        else:
            assert isinstance(raw, str)
            frames.append(op.chunk(raw[a:b], a, b))
    terminal = op.chunk("", len(raw), len(raw), terminal=True, stop="eos")
    in_order = fold([*frames, terminal])
    assert only_run(in_order).text == text
    shuffled = list(data.draw(st.permutations(frames)))
    for _ in range(data.draw(st.integers(min_value=0, max_value=6))):
        dup = copy.deepcopy(data.draw(st.sampled_from(frames)))
        if data.draw(st.booleans()):
            dup["common_header"]["flags"] = ["retransmit"]
        shuffled.insert(data.draw(st.integers(0, len(shuffled))), dup)
    # the terminal (an empty marker at the end position) is delivered anywhere too
    shuffled.insert(data.draw(st.integers(0, len(shuffled))), terminal)
    reducer = fold_with(NnrpDecoder(first_sequence=0, range_mode=mode), shuffled)
    run = only_run(reducer)
    assert run.text == text
    assert run.status is RunStatus.COMPLETED
    assert run.missing == []
    notes = [d.code for d in reducer.conversation.diagnostics]
    # duplicates delivered after the run ended are late frames
    allowed = {"chunk_out_of_order", "duplicate_chunk", "terminal_deferred", "late_frame"}
    assert set(notes) <= allowed


def test_in_order_notifications_carry_only_the_new_text() -> None:
    """The hot path emits each chunk's text once, as its own delta (no re-joining)."""
    op = Op()
    reducer = Reducer()
    total = 0
    for i in range(2000):
        notes = reducer.feed(op.chunk("tok ", 4 * i, 4 * i + 4))
        deltas = [n for n in notes if isinstance(n, TextDelta)]
        assert [d.delta for d in deltas] == ["tok "]
        total += len(deltas[0].delta)
    reducer.close()
    assert len(only_run(reducer).text) == total
    assert codes(reducer) == ["missing_terminal"]


def test_in_order_fast_path_and_a_late_chunk_give_the_same_model() -> None:
    """In-order chunks take the reassembler's fast path (``append_next``); the same stream
    with one chunk a step late goes through the general path for a while. Both give the same
    model, and a snapshot taken after any frame resumes to the same result."""
    op = Op()
    frames = stream(op, "the quick brown fox jumps over the lazy dog", stop="length")
    late = [*frames[:3], frames[4], frames[3], *frames[5:]]
    models = []
    for order in (frames, late):
        whole = fold(order)
        model = summarize(whole.conversation)
        for cut in range(len(order) + 1):
            first = Reducer()
            for frame in order[:cut]:
                first.feed_line(orjson.dumps(frame))
            resumed = Reducer.from_snapshot(to_bytes(first))
            for frame in order[cut:]:
                resumed.feed_line(orjson.dumps(frame))
            resumed.close()
            assert summarize(resumed.conversation) == model, f"cut after frame {cut}"
        assert model["sessions"]["0x00000034"]["runs"][0]["status"] == "completed"
        models.append(model["sessions"])
    assert models[0] == models[1]
    assert only_run(fold(late)).text == "the quick brown fox jumps over the lazy dog "
    assert codes(fold(late)) == ["chunk_out_of_order"]


def test_run_finished_notification() -> None:
    op = Op()
    reducer = Reducer()
    notes = []
    for frame in stream(op, "a b"):
        notes += reducer.feed(frame)
    finished = [n for n in notes if isinstance(n, RunFinished)]
    assert [(n.status, n.finish_reason, n.stop_reason) for n in finished] == [
        (RunStatus.COMPLETED, "stop", "eos")
    ]


def test_deferred_terminal_expires_after_the_grace_period() -> None:
    a, b = Op(1, 1), Op(1, 2)
    frames = [a.chunk("ab", 0, 2), a.chunk("ef", 4, 6, terminal=True)]
    frames += [b.chunk(f"{i} ", 2 * i, 2 * i + 2) for i in range(3)]
    reducer = Reducer()
    decoder = NnrpDecoder(terminal_grace_frames=2)
    finished: list[RunFinished] = []
    for i, frame in enumerate(frames):
        finished += [
            n for n in reducer.apply(decoder.decode(frame, i)) if isinstance(n, RunFinished)
        ]
    # the terminal came at frame 1; at frame 4 (more than 2 frames later) the gap is permanent
    assert [(n.run_id, n.status) for n in finished] == [
        ("nnrp:0x00000001:0x00000001", RunStatus.INCOMPLETE)
    ]
    run = reducer.run("nnrp:0x00000001:0x00000001")
    assert run.missing == [(2, 4)]
    assert run.text == "abef"
    assert run.finish_reason == "stop"


def test_a_cancel_ends_a_deferred_terminal_at_once() -> None:
    op = Op()
    frames = [op.chunk("ab", 0, 2), op.chunk("ef", 4, 6, terminal=True), op.control("CANCEL")]
    run = only_run(fold(frames))
    assert run.status is RunStatus.CANCELLED
    assert run.missing == [(2, 4)]


# --------------------------------------------------------------------------- recordings

RECORDINGS = Path(__file__).resolve().parents[3] / "examples" / "recordings"
EXPECTED = orjson.loads((RECORDINGS / "nnrp-expected.json").read_bytes())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recordings_fold_to_their_expected_facts(name: str) -> None:
    expected = EXPECTED[name]
    reducer = Reducer()
    fold_file(RECORDINGS / name, reducer)
    assert reducer.frames_in == expected["frames"]
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    runs = reducer.conversation.runs
    facts = []
    for run, want in zip(runs, expected["runs"], strict=False):
        fact: dict[str, Any] = {
            "run_id": run.run_id,
            "status": str(run.status),
            "text": run.text,
            "finish_reason": run.finish_reason,
            "stop_reason": run.stop_reason,
            "missing": [list(r) for r in run.missing],
            "error_code": run.error_code,
        }
        if "input_text" in want:
            fact["input_text"] = run.input_text
        if "tool_calls" in want:
            fact["tool_calls"] = {
                cid: [c.name, str(c.state), c.input] for cid, c in run.tool_calls.items()
            }
        if "usage" in want:
            fact["usage"] = [
                run.usage.prompt_tokens,
                run.usage.completion_tokens,
                run.usage.total_tokens,
            ]
        facts.append(fact)
    assert facts == expected["runs"]
    assert len(runs) == len(expected["runs"])
    counts: dict[str, int] = {}
    for diagnostic in reducer.conversation.diagnostics:
        counts[diagnostic.code] = counts.get(diagnostic.code, 0) + 1
    assert counts == expected["diagnostics"]


def test_recordings_are_what_the_script_writes(tmp_path: Path) -> None:
    """The committed files match a fresh run of the (deterministic) generator."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "make_nnrp_recordings", RECORDINGS / "make_nnrp_recordings.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    module.__dict__["HERE"] = tmp_path
    module.__dict__["EXPECTED_FILE"] = tmp_path / "nnrp-expected.json"
    module.main()
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (RECORDINGS / path.name).read_bytes(), path.name


def test_a_cancel_racing_the_end_is_only_noted() -> None:
    op = Op()
    reducer = fold([*stream(op, "done"), op.control("CANCEL")])
    assert only_run(reducer).status is RunStatus.COMPLETED
    late = reducer.conversation.diagnostics[-1]
    assert (late.code, late.severity) == ("late_frame", Severity.INFO)


# ------------------------------------------------------------------------- adversarial

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["0x12", "0xzz", "", "partial", "terminal", "retransmit", "snapshot"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _base_frames() -> list[dict[str, Any]]:
    op = Op()
    return [
        copy.deepcopy(MOCK),
        op.chunk("x", 0, 1, terminal=True, stop="eos", b64=b"\xe6\x97"),
        op.event(text_event("hi"), 1),
        op.event({"type": "response.completed", "body": {"choices": [{}]}}, kind="RESULT_PUSH"),
        op.control("ERROR", error_code=3, error_scope="session", is_fatal=True),
        op.control("CANCEL", cancel_scope=3),
        op.control("RESULT_DROP_REASON", drop_reason=3),
        op.event(
            {"body": {"messages": [{"role": "user", "content": [{"text": "a"}]}]}},
            kind="FRAME_SUBMIT",
        ),
    ]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


@given(data=st.data())
def test_mutated_frames_never_break_the_decoder(data: st.DataObject) -> None:
    frames = _base_frames()
    reducer = Reducer()
    for _ in range(data.draw(st.integers(1, 6))):
        frame = copy.deepcopy(data.draw(st.sampled_from(frames)))
        for _ in range(data.draw(st.integers(1, 3))):
            path = data.draw(st.sampled_from([p for p in _paths(frame) if p]))
            target: Any = frame
            for key in path[:-1]:
                target = target[key]
            if isinstance(target, dict) and data.draw(st.booleans()):
                del target[path[-1]]
            else:
                target[path[-1]] = data.draw(JSON_VALUES)
        reducer.feed_line(json.dumps(frame))  # json: orjson refuses integers beyond 64 bits
    reducer.close()
    assert "decoder_error" not in codes(reducer), [
        d.message for d in reducer.conversation.diagnostics if d.code == "decoder_error"
    ]
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    for run in reducer.conversation.runs:
        assert run.status.is_terminal


def test_frame_scoped_error_without_a_frame_is_session_level() -> None:
    error = {
        "message_type": "ERROR",
        "common_header": {"session_id": 0x34},
        "fixed_metadata": {"error_code": 3, "error_scope": 2},
    }
    reducer = fold([Op().chunk("a", 0, 1), error])
    assert codes(reducer)[0] == "sender_error"  # not fatal: the operation goes on
    assert [r.run_id for r in reducer.conversation.runs] == ["nnrp:0x00000034:0x00000c21"]
