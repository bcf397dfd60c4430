"""The process stays bounded with ``max_sessions`` (issue #23, items 5 and 6).

Each soak runs in a fresh interpreter (so the test process's own memory does not blur the
numbers) and folds many short sessions with ``max_sessions=100``: the model keeps 100, and every
decoder releases the state of a session that leaves (``session_evicted``), so resident memory
after the first tenth of the sessions stays within 10%. ``STREAMFOLD_SOAK_SESSIONS`` sets the
number (the issue's soak is 1,000,000; the default keeps the suite fast). Without the hooks the
Loom decoder grew by ~240 B and TanStack's by ~700 B per session, which these sizes show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import orjson
import pytest

from streamfold import Reducer

from .cli.run import env

SESSIONS = int(os.environ.get("STREAMFOLD_SOAK_SESSIONS", "60000"))

SOAK = r"""
import gc, json, sys
from streamfold import Reducer

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

fmt, n = sys.argv[1], int(sys.argv[2])
reducer = Reducer(max_sessions=100)
marks = []
for i in range(n):
    if fmt == "loom":
        s = b"s%d" % i
        reducer.feed_line(b'{"type":"node_enter","id":"think","session_id":"%s","event_id":1}' % s)
        chunk = b'{"type":"message_chunk","content":"hi","id":"think","session_id":"%s"' % s
        reducer.feed_line(chunk + b',"event_id":2}')
        reducer.feed_line(b'{"reply":"hi","session_id":"%s","event_id":3}' % s)
    else:
        t, r, m, c = f"t{i}", f"r{i}", f"m{i}", f"c{i}"
        for frame in (
            {"type": "RUN_STARTED", "threadId": t, "runId": r},
            {"type": "TEXT_MESSAGE_START", "messageId": m, "role": "assistant"},
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": m, "delta": "hi"},
            {"type": "TEXT_MESSAGE_END", "messageId": m},
            {"type": "TOOL_CALL_START", "toolCallId": c, "toolCallName": "x", "parentMessageId": m},
            {"type": "TOOL_CALL_END", "toolCallId": c},
            {"type": "TOOL_CALL_RESULT", "messageId": "x" + c, "toolCallId": c, "content": "ok"},
            {"type": "RUN_FINISHED", "threadId": t, "runId": r},
        ):
            reducer.feed(frame)
    if (i + 1) % (n // 10) == 0:
        gc.collect()
        marks.append(rss_mib())
print(json.dumps({"marks": marks, "sessions": len(reducer.conversation.sessions),
                  "dropped": reducer.frames_dropped}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
@pytest.mark.parametrize("fmt", ["loom", "agui"])
def test_memory_stays_flat_over_many_sessions(fmt: str) -> None:
    n = SESSIONS if fmt == "loom" else SESSIONS // 2
    proc = subprocess.run(
        [sys.executable, "-c", SOAK, fmt, str(n)],
        capture_output=True,
        text=True,
        env=env(),
        timeout=3600,
        check=True,
    )
    result = json.loads(proc.stdout)
    assert result["sessions"] == 100 and result["dropped"] == 0
    first, last = result["marks"][0], result["marks"][-1]
    assert last <= first * 1.10, result["marks"]


def _line(session: str, event_id: int, kind: str, **fields: object) -> bytes:
    return orjson.dumps({"type": kind, "session_id": session, "event_id": event_id, **fields})


def test_an_evicted_run_reaches_the_decoder() -> None:
    """Issue #23, item 5: past ``max_open_runs`` the oldest open run ends ``incomplete``; the
    Loom decoder forgets it, so a later frame of its session starts a new run (it used to feed
    the ended run silently), and the end of input adds nothing for evicted runs (it used to add
    ``unknown_span`` and ``run_already_ended`` for each: 180,000 warnings at 10^5 runs)."""
    runs = 2_000
    reducer = Reducer(max_open_runs=10)
    for i in range(runs):
        reducer.feed_line(_line(f"s{i}", 1, "node_enter", id="think"))
    reducer.feed_line(_line("s0", 2, "message_chunk", content="late", id="think"))
    reducer.close()
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert codes.count("run_evicted") == runs - 10 + 1  # the late frame's run evicts one more
    assert {"unknown_span", "run_already_ended"}.isdisjoint(codes)
    first, late = reducer.conversation.sessions["s0"].runs
    assert first.status.value == "incomplete" and first.messages == []
    assert [m.text for m in late.messages] == ["late"]


def test_a_session_can_come_back_after_it_left() -> None:
    """A session id seen again after its session was evicted starts afresh in every layer."""
    reducer = Reducer(max_sessions=1)
    for session in ("a", "b", "a"):
        reducer.feed_line(_line(session, 1, "node_enter", id="think"))
        reducer.feed_line(orjson.dumps({"reply": session, "session_id": session, "event_id": 2}))
    assert list(reducer.conversation.sessions) == ["a"]
    [run] = reducer.conversation.sessions["a"].runs
    assert (run.run_id, run.reply, run.status.value) == ("a#1", "a", "completed")
    assert [d.code for d in reducer.conversation.diagnostics] == []
