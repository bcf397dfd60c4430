"""Loom with many sessions: a reply line is routed among the open runs only.

The real emitter writes its reply line with the thread's ``session_id``, not the run's
(docs/loom.md), so the decoder routes it to an open run. It used to look for one among every
session it had ever seen: with 10^5 finished sessions in one stream, each reply walked all of
them and the fold went quadratic (20 µs per frame at 8,000 sessions against 10 at 2,000; issue
#24). These tests hold the decoder to what the routing needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from streamfold import Reducer
from streamfold.formats.loom.decoder import LoomDecoder
from streamfold.formats.loom.state import _Session


def session_frames(k: int) -> list[dict[str, Any]]:
    """One finished session as the CLI writes it: the reply line carries the thread's id."""
    sid = f"run-{k}"
    frames: list[dict[str, Any]] = [
        {
            "event_id": 1,
            "node_id": f"{sid}-think",
            "session_id": sid,
            "type": "node_enter",
            "id": "think",
        },
        {
            "event_id": 2,
            "node_id": f"{sid}-think",
            "session_id": sid,
            "type": "message_chunk",
            "content": f"answer {k}",
            "id": "think",
        },
        {
            "event_id": 3,
            "node_id": f"{sid}-think",
            "session_id": sid,
            "type": "node_exit",
            "id": "think",
            "result": "Ok",
        },
    ]
    frames.append(
        {
            "event_id": 4,
            "node_id": f"{sid}-think",
            "session_id": "thread-main",
            "reply": f"answer {k}",
            "stop_reason": "end_turn",
        }
    )
    return frames


class CountingSessions(dict[str, _Session]):
    """The decoder's session table, counting how often all of it is walked."""

    walks = 0

    def values(self) -> Any:
        CountingSessions.walks += 1
        return super().values()


def test_replies_look_only_at_open_runs() -> None:
    decoder = LoomDecoder()
    decoder._sessions = CountingSessions()
    index = 0

    def feed(frames: list[dict[str, Any]]) -> Iterator[Any]:
        nonlocal index
        for frame in frames:
            yield from decoder.decode(frame, index)
            index += 1

    for k in range(2_000):
        events = list(feed(session_frames(k)))
        assert [type(e).__name__ for e in events][-2:] == ["SetReply", "EndRun"]
        assert decoder._open == {}  # the run ended with its reply
    assert CountingSessions.walks == 0
    assert len(decoder._sessions) == 2_000

    # Two runs open at once: the reply goes to the one its event_id and node_id continue.
    a, b = session_frames(5_000), session_frames(5_001)
    list(feed(a[:3] + b[:3]))
    assert set(decoder._open) == {"run-5000", "run-5001"}
    (reply_b,) = [e for e in feed([b[3]]) if type(e).__name__ == "SetReply"]
    assert reply_b.run_id.startswith("run-5001") and reply_b.text == "answer 5001"
    assert set(decoder._open) == {"run-5000"}


def test_each_reply_reaches_its_own_run_in_the_model() -> None:
    reducer = Reducer(format="loom")
    for k in range(300):
        for frame in session_frames(k):
            reducer.feed_line(orjson.dumps(frame))
    runs = [run for s in reducer.conversation.sessions.values() for run in s.runs]
    assert len(runs) == 300
    assert all(run.reply == f"answer {run.session_id[4:]}" for run in runs)
    assert all(run.status.value == "completed" for run in runs)
