"""What the TanStack decoder keeps of finished runs (``formats/tanstack.py``, "State of finished
runs"): their messages and calls are retired to untracked tuples, and frames that arrive after
the run's end still land where they did before."""

from __future__ import annotations

import gc
from typing import Any

import orjson

from streamfold import Reducer
from streamfold.formats.tanstack import TanStackDecoder
from streamfold.notifications import Notification

from .test_tanstack import call, codes, parts, run_ids


def agent_run(n: int) -> list[dict[str, Any]]:
    """One TanStack agent run (the bench's shape): text + a tool call, the intermediate
    RUN_FINISHED(tool_calls), the tool result, then the answer under the same runId."""
    run, m1, m2, c = f"run-{n}", f"m{n}a", f"m{n}b", f"call-{n}"
    return [
        {"type": "RUN_STARTED", "runId": run, "threadId": "t"},
        {"type": "TEXT_MESSAGE_START", "messageId": m1, "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": m1, "delta": "Let me "},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": m1, "delta": "check."},
        {"type": "TEXT_MESSAGE_END", "messageId": m1},
        {"type": "TOOL_CALL_START", "toolCallId": c, "toolCallName": "f", "parentMessageId": m1},
        {"type": "TOOL_CALL_ARGS", "toolCallId": c, "delta": '{"a":'},
        {"type": "TOOL_CALL_ARGS", "toolCallId": c, "delta": "1}"},
        {"type": "TOOL_CALL_END", "toolCallId": c},
        {"type": "RUN_FINISHED", "runId": run, "threadId": "t",
         "metadata": {"tanstack": {"finishReason": "tool_calls"}}},
        {"type": "TOOL_CALL_RESULT", "messageId": m1, "toolCallId": c, "content": '"ok"'},
        {"type": "TEXT_MESSAGE_START", "messageId": m2, "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": m2, "delta": "Done."},
        {"type": "TEXT_MESSAGE_END", "messageId": m2},
        {"type": "RUN_FINISHED", "runId": run, "threadId": "t",
         "metadata": {"tanstack": {"finishReason": "stop"}}},
    ]  # fmt: skip


def tracked_footprint(decoder: TanStackDecoder) -> int:
    """Objects the garbage collector tracks that are reachable from the decoder."""
    gc.collect()  # untracks the tuples and dicts that hold only atomic values
    seen = {id(decoder)}
    stack: list[Any] = [decoder]
    while stack:
        for ref in gc.get_referents(stack.pop()):
            if gc.is_tracked(ref) and not isinstance(ref, type) and id(ref) not in seen:
                seen.add(id(ref))
                stack.append(ref)
    return len(seen)


def feed(reducer: Reducer, *frames: dict[str, Any]) -> list[Notification]:
    notes: list[Notification] = []
    for frame in frames:
        notes += reducer.feed_line(orjson.dumps(frame))
    return notes


def test_finished_runs_leave_a_bounded_number_of_live_objects() -> None:
    decoder = TanStackDecoder()
    reducer = Reducer(format="tanstack", decoders={"tanstack": decoder})
    footprints = []
    for n in range(300):
        feed(reducer, *agent_run(n))
        if n in (9, 299):
            footprints.append(tracked_footprint(decoder))
    # Before: every run kept a _Run, and each message and call its object, lists and dicts
    # (12 tracked objects per run here). Now only what the last run left.
    assert footprints[1] == footprints[0] < 20
    assert run_ids(reducer.conversation)[-2:] == [
        ("run-299", "completed", "tool_calls"),
        ("run-299#2", "completed", "stop"),
    ]


def test_a_late_tool_result_lands_on_its_call_in_its_finished_run() -> None:
    reducer = Reducer()
    feed(reducer, *agent_run(0)[:10])  # up to the intermediate RUN_FINISHED(tool_calls)
    for n in range(1, 20):  # the call's run ended long ago: its state is retired
        feed(reducer, *agent_run(n))
    feed(
        reducer,
        {"type": "TOOL_CALL_RESULT", "messageId": "m0a", "toolCallId": "call-0",
         "content": '{"error":"late"}', "metadata": {"tanstack": {"state": "output-error"}}},
    )  # fmt: skip
    late = call(reducer, "call-0")
    assert (late.run_id, late.message_id, late.error) == ("run-0", "m0a", "late")
    assert parts(reducer.conversation, "m0a") == [
        ("text", "Let me check."),
        ("call", "call-0"),
        ("result", "call-0", '{"error":"late"}', True),
    ]
    assert codes(reducer) == []


def test_late_and_replayed_frames_after_the_run_ended() -> None:
    reducer = Reducer()
    frames = agent_run(0)
    feed(reducer, *frames, *agent_run(1))
    feed(
        reducer,
        # Era-B cumulative text for the finished message: only what it adds is appended
        # (the segment's text is kept for this), and a replay of a prefix adds nothing.
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m0b", "content": "Done. Really."},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m0b", "content": "Done."},
        # The same for a finished call's arguments, after its END: appended, with a diagnostic.
        {"type": "TOOL_CALL_ARGS", "toolCallId": "call-0", "args": '{"a":1} '},
        # Replayed START / END of the finished call.
        frames[5],
        frames[8],
    )
    assert parts(reducer.conversation, "m0b") == [("text", "Done. Really.")]
    late = call(reducer, "call-0")
    assert (late.run_id, late.name, late.arguments) == ("run-0", "f", '{"a":1} ')
    assert codes(reducer) == [
        "tool_args_after_end",
        "duplicate_tool_call_start",
        "duplicate_tool_call_end",
    ]
    # A late TEXT_MESSAGE_START makes the finished message active again: a call without a
    # parent goes to it, and it stays live while it is active, across later runs.
    feed(
        reducer,
        {"type": "TEXT_MESSAGE_START", "messageId": "m0a", "role": "assistant"},
        *agent_run(2),
        {"type": "TOOL_CALL_START", "toolCallId": "orphan", "toolCallName": "g"},
    )
    assert parts(reducer.conversation, "m0a")[-1] == ("call", "orphan")


def test_retired_state_survives_snapshot_and_restore() -> None:
    late = [
        {"type": "TOOL_CALL_RESULT", "messageId": "m0a", "toolCallId": "call-0", "content": "1"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m0a", "content": "Let me check. Now."},
        {"type": "RUN_FINISHED", "runId": "run-0", "threadId": "t"},
    ]
    straight = Reducer()
    feed(straight, *agent_run(0)[:10], *agent_run(1))
    resumed = Reducer.from_snapshot(orjson.dumps(straight.snapshot()))
    a, b = feed(straight, *late), feed(resumed, *late)
    assert [repr(n) for n in a] == [repr(n) for n in b]
    assert call(resumed, "call-0").result == "1"
    # The tool call restarted m0a's text segment, and the retired message remembers that: the
    # cumulative text is unrelated to the (empty) segment, so it is appended whole.
    assert parts(resumed.conversation, "m0a")[-1] == ("text", "Let me check. Now.")
    # The second RUN_FINISHED for run-0 opens the continuation after run-0's latest run.
    assert run_ids(resumed.conversation)[-1] == ("run-0#2", "completed", None)


def test_reruns_of_one_run_id_skip_ids_already_taken() -> None:
    finish = {"type": "RUN_FINISHED", "runId": "r", "threadId": "t"}
    reducer = Reducer()
    feed(
        reducer,
        {"type": "RUN_STARTED", "runId": "r#3", "threadId": "t"},  # a server's own id
        {"type": "RUN_FINISHED", "runId": "r#3", "threadId": "t"},
        {"type": "RUN_STARTED", "runId": "r", "threadId": "t"},
        *[finish] * 4,
    )
    assert [r[0] for r in run_ids(reducer.conversation)] == ["r#3", "r", "r#2", "r#4", "r#5"]
