"""Session keys of raw frames (streamfold.batch.routing), per format."""

from __future__ import annotations

import orjson

from streamfold.batch.frames import Frame
from streamfold.batch.routing import PENDING, SessionRouter, nnrp_session


def keys(router: SessionRouter, *frames: dict[str, object] | str) -> list[str]:
    out = []
    for frame in frames:
        data = frame if isinstance(frame, str) else orjson.dumps(frame).decode()
        out.append(router.key(Frame(data)))
    return out


def test_loom_frames_follow_their_session_and_keyless_ones_the_last() -> None:
    r = SessionRouter()
    got = keys(
        r,
        {"session_id": "a", "event_id": 1, "type": "node_enter", "id": "think"},
        {"session_id": "b", "event_id": 1, "type": "node_enter", "id": "think"},
        {"type": "message_chunk", "content": "x", "id": "think"},
        '> {"session_id":"a","event_id":2,"type":"message_chunk","content":"y"}',
        "not json at all",
    )
    assert got == ["loom:a", "loom:b", "loom:b", "loom:a", "loom:a"]


def test_loom_reply_names_the_thread_and_goes_to_the_open_run_it_continues() -> None:
    r = SessionRouter()
    keys(
        r,
        {"session_id": "s1", "node_id": "n1", "event_id": 4, "type": "node_exit", "id": "think"},
        {"session_id": "s2", "node_id": "n2", "event_id": 9, "type": "node_exit", "id": "think"},
    )
    # The reply's session_id is the CLI thread; event_id 5 = s1's last + 1.
    assert keys(r, {"session_id": "thread-1", "event_id": 5, "reply": "done"}) == ["loom:s1"]
    # s1's run ended: the next reply goes to the only open run, s2.
    assert keys(r, {"session_id": "thread-2", "event_id": 77, "reply": "ok"}) == ["loom:s2"]
    # No open run: a run of its own in the named session.
    assert keys(r, {"session_id": "thread-3", "reply": "late"}) == ["loom:thread-3"]


def test_agui_frames_follow_their_thread_run_message_and_tool_call() -> None:
    r = SessionRouter()
    got = keys(
        r,
        {"type": "CUSTOM", "name": "run.accepted", "value": {}},
        {"type": "RUN_STARTED", "threadId": "t1", "runId": "r1"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant"},
        {"type": "RUN_STARTED", "threadId": "t2", "runId": "r2"},
        {"type": "TOOL_CALL_START", "toolCallId": "c2", "toolCallName": "x"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": "hi"},
        {"id": "7", "chunk": {"type": "RUN_FINISHED", "runId": "r1"}},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c2", "delta": "{}"},
        {"type": "content", "id": "legacy", "delta": "x", "content": "x"},
    )
    assert got == [
        PENDING,  # before any thread: held for the first one
        "tanstack:t1",
        "tanstack:t1",
        "tanstack:t2",
        "tanstack:t2",  # no id seen before: the thread of the frame before
        "tanstack:t1",  # its message was started in t1
        "tanstack:t1",  # runId r1 (inside the durable envelope)
        "tanstack:t2",  # its call was started in t2
        "tanstack:default",  # legacy chunks: session "default"
    ]
    fresh = SessionRouter()
    assert keys(fresh, {"type": "CUSTOM", "name": "run.accepted"}) == [PENDING]
    assert fresh.pending_key() is None
    assert fresh.pending_key(final=True) == "tanstack:default"


def test_nnrp_sessions_are_normalised_like_the_decoder() -> None:
    assert nnrp_session(17) == nnrp_session("17") == nnrp_session("0x11") == "0x00000011"
    assert nnrp_session(None) == "0x00000000"
    assert nnrp_session("alpha") == "alpha"
    r = SessionRouter()
    got = keys(
        r,
        {"message_type": "RESULT_PUSH", "common_header": {"session_id": 17, "frame_id": 1}},
        {"message_type": "RESULT_PUSH", "common_header": {"session_id": "0x12", "frame_id": 1}},
        {
            "message_type": "ERROR",
            "common_header": {"session_id": 0},
            "fixed_metadata": {"related_session_id": "17", "is_fatal": True},
        },
        "data: [DONE]",
    )
    assert got == ["nnrp:0x00000011", "nnrp:0x00000012", "nnrp:0x00000011", "nnrp:0x00000011"]
