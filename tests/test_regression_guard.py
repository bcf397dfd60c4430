"""Regression guard for the per-frame cost of the hot paths (issue #7). Not a timing test.

A frame's work must not grow with the stream. Timings are noisy, so this counts instead:

* **Python work**: ``sys.settrace`` counts every line (and call) of Python code that runs while a
  window of frames is fed. A per-frame scan over the parts, messages, runs or calls so far shows
  up as more lines per frame late in the stream.
* **C-level work**: ``tracemalloc`` takes each frame's peak allocation above what was allocated
  before it. Joining or copying the text so far on every delta (``"".join``, ``str +``, a list
  copy) shows up as a peak that grows with the stream. The median over the window is compared,
  so an occasional amortized resize (a dict or list doubling) does not count.

Each case feeds an early window of identical frames, then many more frames, then a late window
with the same content, and requires the late window to cost what the early one did. Two shapes
per hot path: one long message (or tool call, or operation) and many short ones (so state that
grows per message or per run is covered too).

The streams are tiny generators here, on purpose: bench/ is not importable from the tests.
The many-runs AG-UI cases caught the first version of ``TanStackDecoder._end_run``, which
looped over every message seen so far at each run end (O(messages) per run: 98 -> 135 lines
per frame after 300 runs here, and 3 -> 14 µs per frame over a 1M-frame bench stream). The
snapshot and repeated-step cases caught a MESSAGES_SNAPSHOT that visited every thread's messages
(85 -> 126 lines per frame) and a repeated step name searching its "#n" from #2 (73 -> 94).
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import orjson
import pytest

from streamfold import Reducer

DELTAS = (" the", " quick", " brown fox", " jumps", " over", " the lazy", " dog.", "\n")
ARGS = ('{"pa', 'th":"s', "rc/ma", 'in.rs"', ',"q":"', "x y", ' z"', "}")
WINDOW = 200  # frames per measured window (a multiple of len(DELTAS))
LONG_GAP = 20_000  # frames fed between the two windows in a long message
MANY_GAP = 300  # messages (turns, calls, operations) fed between the two windows
TURN = 40  # delta frames per short message (a multiple of len(DELTAS))

LINES_SLACK = 1.05  # late Python lines per frame <= early * this + 1
ALLOC_SLACK = 1.5  # late median per-frame peak allocation <= early * this + 512 bytes


def _dumps(frame: dict[str, Any]) -> bytes:
    return orjson.dumps(frame)


# --------------------------------------------------------------------------- stream shapes
# Each shape returns (prefix, early, gap, late), all in stream order: the prefix is fed
# unmeasured, then the early window is measured, the gap fed, and the late window measured.

Frames = list[bytes]
Shape = tuple[Frames, Frames, Iterator[bytes], Frames]


def _cycle(items: tuple[str, ...], n: int) -> Iterator[str]:
    for i in range(n):
        yield items[i % len(items)]


class Loom:
    """Loom ReAct think spans in one run: node_enter, message_chunk*, node_exit."""

    def __init__(self) -> None:
        self.event_id = 0
        self.seq = 0

    def frame(self, kind: str, **payload: Any) -> bytes:
        self.event_id += 1
        frame = {
            "session_id": "run-1",
            "node_id": f"run-think-{self.seq}",
            "event_id": self.event_id,
            "type": kind,
        }
        frame.update(payload)
        return _dumps(frame)

    def chunks(self, n: int) -> Iterator[bytes]:
        for delta in _cycle(DELTAS, n):
            yield self.frame("message_chunk", content=delta, id="think")

    def turn(self) -> Frames:
        self.seq += 1
        return [
            self.frame("node_enter", id="think"),
            *self.chunks(TURN),
            self.frame("node_exit", id="think", result="Ok"),
        ]

    def turns(self, n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield from self.turn()


def loom_long() -> Shape:
    s = Loom()
    prefix = [s.frame("node_enter", id="think"), *s.chunks(WINDOW)]
    early, gap = list(s.chunks(2 * WINDOW)), list(s.chunks(LONG_GAP))
    return prefix, early, iter(gap), list(s.chunks(2 * WINDOW))


def loom_many() -> Shape:
    s = Loom()
    prefix = s.turn()
    early = list(s.turns(2))
    gap = list(s.turns(MANY_GAP))
    return prefix, early, iter(gap), list(s.turns(2))


def _loom_tools(anonymous: bool, sessions: bool) -> Shape:
    """Loom tool calls, each with its result: in one think span of one run (every result goes
    into the same message), as id-less calls that learn their id at tool_start (adopted), or
    one session per call. A rescan of the message's parts per result (issue #23: 77 µs per
    frame at 1,000 results, 3 ms at 16,000) shows up as more lines per frame late."""
    s = Loom()
    count = 0

    def call() -> Frames:
        nonlocal count
        count += 1
        call_id = f"call_{count}"
        frames = []
        if sessions:
            s.event_id = 0
            s.seq = count  # a new session per call: a new run
            frames.append(s.frame("node_enter", id="act").replace(b'"run-1"', b'"run-%d"' % count))
        first = None if anonymous else call_id
        frames.append(s.frame("tool_call", call_id=first, name="read", arguments={"path": "a"}))
        frames.append(s.frame("tool_start", call_id=call_id, name="read"))
        frames.append(s.frame("tool_end", call_id=call_id, name="read", result='"ok"'))
        if sessions:
            frames[1:] = [f.replace(b'"run-1"', b'"run-%d"' % count) for f in frames[1:]]
        return frames

    def calls(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield from call()

    prefix = [] if sessions else [s.frame("node_enter", id="act")]
    prefix += call()
    early = list(calls(2 * len(DELTAS)))
    gap = list(calls(3 * MANY_GAP))
    return prefix, early, iter(gap), list(calls(2 * len(DELTAS)))


def loom_tool_results_one_message() -> Shape:
    return _loom_tools(anonymous=False, sessions=False)


def loom_tool_calls_adopted_ids() -> Shape:
    return _loom_tools(anonymous=True, sessions=False)


def loom_tool_calls_many_sessions() -> Shape:
    return _loom_tools(anonymous=False, sessions=True)


def agui_tool_results_one_message() -> Shape:
    """One AG-UI run whose assistant message gets many tool calls, each with its result."""
    s = AgUi()
    head, msg, _ = s.start()
    count = 0

    def call() -> Frames:
        nonlocal count
        count += 1
        call_id = f"tc-{count}"
        result = {"type": "TOOL_CALL_RESULT", "messageId": f"res-{count}", "toolCallId": call_id}
        return [
            s.call_start(msg, call_id),
            *s.args(call_id, len(ARGS)),
            _dumps({"type": "TOOL_CALL_END", "toolCallId": call_id}),
            _dumps({**result, "content": '{"ok":true}', "role": "tool"}),
        ]

    def calls(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield from call()

    prefix, early = [*head, *call()], list(calls(2))
    gap = list(calls(3 * MANY_GAP))
    return prefix, early, iter(gap), list(calls(2))


class AgUi:
    """TanStack AI (AG-UI) runs: RUN_STARTED, text message, tool call with streamed args."""

    def __init__(self) -> None:
        self.n = 0

    def contents(self, message_id: str, n: int) -> Iterator[bytes]:
        for delta in _cycle(DELTAS, n):
            yield _dumps({"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": delta})

    def args(self, call_id: str, n: int) -> Iterator[bytes]:
        for piece in _cycle(ARGS, n):
            yield _dumps({"type": "TOOL_CALL_ARGS", "toolCallId": call_id, "delta": piece})

    def start(self) -> tuple[Frames, str, str]:
        self.n += 1
        run, msg, call = f"run-{self.n}", f"msg-{self.n}", f"call-{self.n}"
        frames = [
            _dumps({"type": "RUN_STARTED", "runId": run, "threadId": "thread-1"}),
            _dumps({"type": "TEXT_MESSAGE_START", "messageId": msg, "role": "assistant"}),
        ]
        return frames, msg, call

    def call_start(self, msg: str, call: str) -> bytes:
        frame = {"type": "TOOL_CALL_START", "toolCallId": call, "toolCallName": "read"}
        return _dumps({**frame, "parentMessageId": msg})

    def turn(self, part: str) -> Frames:
        """One run as a TanStack server sends it: text, a tool call, the intermediate
        RUN_FINISHED(tool_calls), the tool result, a second message, RUN_FINISHED(stop).
        ``part`` ("text" or "args") says which deltas are many (the others are a few)."""
        head, msg, call = self.start()
        run = {"runId": f"run-{self.n}", "threadId": "thread-1"}
        frames = [*head, *self.contents(msg, TURN if part == "text" else len(DELTAS))]
        frames.append(_dumps({"type": "TEXT_MESSAGE_END", "messageId": msg}))
        frames.append(self.call_start(msg, call))
        frames += self.args(call, TURN if part == "args" else len(ARGS))
        frames.append(_dumps({"type": "TOOL_CALL_END", "toolCallId": call}))
        frames.append(_dumps({"type": "RUN_FINISHED", **run, "finishReason": "tool_calls"}))
        result = {"type": "TOOL_CALL_RESULT", "messageId": msg, "toolCallId": call}
        frames.append(_dumps({**result, "content": '{"ok":true}', "role": "tool"}))
        msg2 = msg + "-2"
        frames.append(
            _dumps({"type": "TEXT_MESSAGE_START", "messageId": msg2, "role": "assistant"})
        )
        frames += self.contents(msg2, len(DELTAS))
        frames.append(_dumps({"type": "TEXT_MESSAGE_END", "messageId": msg2}))
        frames.append(_dumps({"type": "RUN_FINISHED", **run, "finishReason": "stop"}))
        return frames

    def turns(self, n: int, part: str) -> Iterator[bytes]:
        for _ in range(n):
            yield from self.turn(part)


def agui_text_long() -> Shape:
    s = AgUi()
    head, msg, _ = s.start()
    prefix = [*head, *s.contents(msg, WINDOW)]
    early, gap = list(s.contents(msg, 2 * WINDOW)), list(s.contents(msg, LONG_GAP))
    return prefix, early, iter(gap), list(s.contents(msg, 2 * WINDOW))


def agui_args_long() -> Shape:
    s = AgUi()
    head, msg, call = s.start()
    prefix = [*head, s.call_start(msg, call), *s.args(call, WINDOW)]
    early, gap = list(s.args(call, 2 * WINDOW)), list(s.args(call, LONG_GAP))
    return prefix, early, iter(gap), list(s.args(call, 2 * WINDOW))


def agui_text_many() -> Shape:
    s = AgUi()
    prefix, early = s.turn("text"), list(s.turns(2, "text"))
    gap = list(s.turns(MANY_GAP, "text"))
    return prefix, early, iter(gap), list(s.turns(2, "text"))


def agui_args_many() -> Shape:
    s = AgUi()
    prefix, early = s.turn("args"), list(s.turns(2, "args"))
    gap = list(s.turns(MANY_GAP, "args"))
    return prefix, early, iter(gap), list(s.turns(2, "args"))


def agui_steps_repeated() -> Shape:
    """One long run of agent-loop steps that all have the same name, a message in each."""
    s = AgUi()
    head, _, _ = s.start()
    count = 0

    def step() -> Frames:
        nonlocal count
        count += 1
        msg = f"step-msg-{count}"
        return [
            _dumps({"type": "STEP_STARTED", "stepName": "think"}),
            _dumps({"type": "TEXT_MESSAGE_START", "messageId": msg, "role": "assistant"}),
            *s.contents(msg, TURN),
            _dumps({"type": "TEXT_MESSAGE_END", "messageId": msg}),
            _dumps({"type": "STEP_FINISHED", "stepName": "think"}),
        ]

    def steps(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield from step()

    prefix, early = [head[0], *step()], list(steps(2))
    gap = list(steps(MANY_GAP))
    return prefix, early, iter(gap), list(steps(2))


def agui_snapshot_many_threads() -> Shape:
    """Runs in a thread each, ending at an interrupt boundary: MESSAGES_SNAPSHOT of the thread
    (notes/tanstack.md §1.9), which must not visit the other threads' messages."""
    s = AgUi()

    def turn() -> Frames:
        head, msg, _ = s.start()
        thread = f"thread-{s.n}"
        frames = [head[0].replace(b'"thread-1"', f'"{thread}"'.encode()), head[1]]
        frames += s.contents(msg, TURN)
        frames.append(_dumps({"type": "TEXT_MESSAGE_END", "messageId": msg}))
        history = [
            {"id": f"user-{s.n}", "role": "user", "content": "Go on."},
            {"id": msg, "role": "assistant", "content": "".join(_cycle(DELTAS, TURN))},
        ]
        frames.append(_dumps({"type": "MESSAGES_SNAPSHOT", "messages": history}))
        frames.append(_dumps({"type": "RUN_FINISHED", "runId": f"run-{s.n}", "threadId": thread}))
        return frames

    def turns(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield from turn()

    prefix, early = turn(), list(turns(2))
    gap = list(turns(MANY_GAP))
    return prefix, early, iter(gap), list(turns(2))


class Nnrp:
    """NNRP token-profile operations (mock-dump JSON): FRAME_SUBMIT, in-order RESULT_PUSH."""

    def __init__(self) -> None:
        self.frame_id = 0
        self.position = 0

    def header(self, kind: str) -> dict[str, Any]:
        return {
            "version_major": 1,
            "msg_type": kind,
            "header_len": 40,
            "session_id": "0x00000034",
            "frame_id": f"0x{self.frame_id:08x}",
            "view_id": "0x00000000",
        }

    def submit(self) -> bytes:
        self.frame_id += 1
        self.position = 0
        return _dumps(
            {
                "message_type": "FRAME_SUBMIT",
                "common_header": self.header("FRAME_SUBMIT"),
                "fixed_metadata": {"operation_id": 0x1000 + self.frame_id},
            }
        )

    def push(self, chunk: str, terminal: bool = False) -> bytes:
        start = self.position
        self.position += 1
        return _dumps(
            {
                "message_type": "RESULT_PUSH",
                "common_header": self.header("RESULT_PUSH"),
                "fixed_metadata": {"result_status": "complete" if terminal else "partial"},
                "typed_payload_descriptor": {
                    "profile_id": "token",
                    "stream_semantics": "ordered_incremental",
                    "descriptor_flags": ["terminal" if terminal else "partial"],
                },
                "profile_body": {
                    "token": {
                        "sequence_start": start,
                        "sequence_end": start + 1,
                        "terminal": terminal,
                        "stop_reason": "eos" if terminal else "none",
                    }
                },
                "payload_frame": {"token_chunk": chunk},
            }
        )

    def pushes(self, n: int) -> Iterator[bytes]:
        for delta in _cycle(DELTAS, n):
            yield self.push(delta)

    def operation(self) -> Frames:
        return [self.submit(), *self.pushes(TURN), self.push(".", terminal=True)]

    def operations(self, n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield from self.operation()


def nnrp_long() -> Shape:
    s = Nnrp()
    prefix = [s.submit(), *s.pushes(WINDOW)]
    early, gap = list(s.pushes(2 * WINDOW)), list(s.pushes(LONG_GAP))
    return prefix, early, iter(gap), list(s.pushes(2 * WINDOW))


def nnrp_many() -> Shape:
    s = Nnrp()
    prefix, early = s.operation(), list(s.operations(2))
    gap = list(s.operations(MANY_GAP))
    return prefix, early, iter(gap), list(s.operations(2))


# ------------------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Cost:
    lines_per_frame: float
    median_peak_alloc: float  # bytes above the allocation before the frame


def _count_lines(feed: Callable[[bytes], object], frames: Frames) -> int:
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        for line in frames:
            feed(line)
    finally:
        sys.settrace(previous)
    return count


def _peak_allocs(feed: Callable[[bytes], object], frames: Frames) -> list[int]:
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    peaks = []
    try:
        for line in frames:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            feed(line)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peaks


def _cost(feed: Callable[[bytes], object], frames: Frames) -> Cost:
    """Measure a window of two identical halves (each frame is fed once): the first half's
    Python lines, the second half's allocations."""
    half = len(frames) // 2
    lines = _count_lines(feed, frames[:half])
    peaks = _peak_allocs(feed, frames[half:])
    return Cost(lines / half, statistics.median(peaks))


def _measure(fmt: str, shape: Shape) -> tuple[Cost, Cost, Reducer]:
    prefix, early, gap, late = shape
    reducer = Reducer(format=fmt)
    feed = reducer.feed_line
    for line in prefix:
        feed(line)
    early_cost = _cost(feed, early)
    for line in gap:
        feed(line)
    late_cost = _cost(feed, late)
    return early_cost, late_cost, reducer


def _case(fmt: str, make: Callable[[], Shape], case_id: str) -> Any:
    """A parametrized case, xfail while its format module does not exist (yet)."""
    module = f"streamfold.formats.{fmt}"
    marks = []
    if importlib.util.find_spec(module) is None:
        marks.append(pytest.mark.xfail(reason=f"{module} is missing", strict=False))
    return pytest.param(fmt, make, id=case_id, marks=marks)


CASES = [
    _case("loom", loom_long, "loom-text-long-message"),
    _case("loom", loom_many, "loom-text-many-spans"),
    _case("loom", loom_tool_results_one_message, "loom-tool-results-one-message"),
    _case("loom", loom_tool_calls_adopted_ids, "loom-tool-calls-adopted-ids"),
    _case("loom", loom_tool_calls_many_sessions, "loom-tool-calls-many-sessions"),
    _case("tanstack", agui_tool_results_one_message, "agui-tool-results-one-message"),
    _case("tanstack", agui_text_long, "agui-text-long-message"),
    _case("tanstack", agui_text_many, "agui-text-many-runs"),
    _case("tanstack", agui_args_long, "agui-args-long-call"),
    _case("tanstack", agui_args_many, "agui-args-many-calls"),
    _case("tanstack", agui_snapshot_many_threads, "agui-snapshot-many-threads"),
    _case("tanstack", agui_steps_repeated, "agui-steps-repeated"),
    _case("nnrp", nnrp_long, "nnrp-append-long-operation"),
    _case("nnrp", nnrp_many, "nnrp-append-many-operations"),
]


@pytest.mark.parametrize(("fmt", "make"), CASES)
def test_work_per_frame_does_not_grow(fmt: str, make: Callable[[], Shape]) -> None:
    early, late, reducer = _measure(fmt, make())
    # The stream folded cleanly, so the windows measured the hot path and not diagnostics.
    assert reducer.frames_dropped == 0
    assert not [d for d in reducer.conversation.diagnostics if d.severity.name != "INFO"]
    assert late.lines_per_frame <= early.lines_per_frame * LINES_SLACK + 1, (early, late)
    assert late.median_peak_alloc <= early.median_peak_alloc * ALLOC_SLACK + 512, (early, late)


def test_guard_catches_a_per_frame_scan() -> None:
    """The counter sees Python work that grows with the stream (a scan per frame)."""
    seen: list[str] = []

    def quadratic(line: bytes) -> None:
        seen.append(line.decode())
        for _ in seen:
            pass

    frames = [b"x"] * 100
    early = _count_lines(quadratic, frames)
    for _ in range(2000):
        quadratic(b"x")
    assert _count_lines(quadratic, frames) > early * LINES_SLACK + 100


def test_guard_catches_a_join_per_frame() -> None:
    """The allocation peak sees C-level work that grows with the stream (a join per frame)."""
    pieces: list[str] = []

    def joins(line: bytes) -> None:
        pieces.append(line.decode())
        "".join(pieces)

    frames = [b"some text"] * 50
    early = statistics.median(_peak_allocs(joins, frames))
    for _ in range(20_000):
        pieces.append("some text")
    late = statistics.median(_peak_allocs(joins, frames))
    assert late > early * ALLOC_SLACK + 512
