"""``--log``: sessions routed across files and folded in log order equal one reducer over the
concatenated log (docs/batch.md "--log")."""

from __future__ import annotations

from pathlib import Path

from streamfold.batch.work import LogRouter, SessionFolder, fold_path
from streamfold.tables import Rows

from .support import RECORDINGS, canonical, interleave, split_bytes

# Sessions of three formats running at the same time, interleaved line by line: Loom
# (sub-agents, parallel tools, a failed run, replies naming the thread, REPL prompt lines,
# event_id gaps and duplicates), NNRP (concurrent operations, reordered and retransmitted
# chunks) and an AG-UI durable stream (its frames name no thread but the first).
MIXED = [
    "loom-multi-agent.ndjson",
    "loom-react-parallel-tools.ndjson",
    "loom-failed-run.ndjson",
    "loom-gap-duplicate.ndjson",
    "loom-repl-session.ndjson",
    "loom-approval-stop.ndjson",
    "nnrp-concurrent.ndjson",
    "nnrp-reorder.ndjson",
    "nnrp-retransmit.ndjson",
    "nnrp-openai.ndjson",
    "tanstack-agui-client-tool.ndjson",
]
# AG-UI over SSE: one response after another (the wire does not say whose a message is, so
# AG-UI streams are logged a response at a time).
SSE = [
    "tanstack-agui-tools.sse",
    "tanstack-agui-reasoning.sse",
    "tanstack-agui-tool-error.sse",
    "tanstack-agui-approval.sse",
]


def fold_log(paths: list[Path], source: str = "log") -> Rows:
    router = LogRouter(name=str(paths[0]), source=source)
    folder = SessionFolder()
    for i, path in enumerate(paths):
        folder.feed_many(router.route_file(str(path), last=i == len(paths) - 1))
    rows = folder.rows(source, router.frames)
    rows["diagnostics"] += router.errors
    return rows


def test_log_split_inside_lines_equals_one_reducer_over_the_whole_log(tmp_path: Path) -> None:
    data = interleave([RECORDINGS / name for name in MIXED])
    whole = tmp_path / "whole.ndjson"
    whole.write_bytes(data)
    pieces = split_bytes(data, 5, tmp_path)
    assert not pieces[0].read_bytes().endswith(b"\n")  # a line is cut between two files
    expected = fold_path(str(whole), "log").rows
    got = fold_log(pieces)
    assert canonical(got) == canonical(expected)
    sessions = {row["session_id"] for row in got["runs"]}
    assert len(sessions) >= 10
    assert len(got["runs"]) >= 15 and got["tool_calls"] and got["diagnostics"]


def test_sse_log_split_inside_events_equals_one_reducer(tmp_path: Path) -> None:
    data = b"".join((RECORDINGS / name).read_bytes() for name in SSE)
    whole = tmp_path / "whole.sse"
    whole.write_bytes(data)
    pieces = split_bytes(data, 7, tmp_path, ".sse")
    assert not pieces[2].read_bytes().endswith(b"\n\n")  # an event is cut between two files
    expected = fold_path(str(whole), "log").rows
    got = fold_log(pieces)
    assert canonical(got) == canonical(expected)
    assert {row["status"] for row in got["runs"]} >= {"completed", "awaiting_approval"}


def test_folding_each_piece_alone_is_not_the_same(tmp_path: Path) -> None:
    """The test above can fail: the pieces folded one by one lose the sessions that cross."""
    data = interleave([RECORDINGS / name for name in MIXED])
    pieces = split_bytes(data, 5, tmp_path)
    alone: Rows = {}
    for piece in pieces:
        for table, rows in fold_path(str(piece), "log").rows.items():
            alone.setdefault(table, []).extend(rows)
    assert canonical(alone) != canonical(fold_log(pieces))


def test_nnrp_terminal_grace_is_counted_in_the_sessions_own_frames(tmp_path: Path) -> None:
    """The documented difference: an NNRP operation whose terminal waits for missing chunks
    ends at its session's next frame after the grace window (a reducer over the whole log ends
    it at the connection's next NNRP frame). Only that end frame differs."""
    data = interleave([RECORDINGS / "nnrp-gap.ndjson", RECORDINGS / "nnrp-concurrent.ndjson"], 1)
    whole = tmp_path / "whole.ndjson"
    whole.write_bytes(data)
    expected = canonical(fold_path(str(whole), "log").rows)
    got = canonical(fold_log(split_bytes(data, 3, tmp_path)))
    differing = {table for table in expected if expected[table] != got[table]}
    assert differing <= {"runs", "diagnostics"}
    assert len(set(expected["runs"]) - set(got["runs"])) <= 1
