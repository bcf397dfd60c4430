"""Every real TanStack recording (examples/recordings/tanstack-*, eras A/B/C) through every
framing streamfold reads — SSE, NDJSON (plain and durable envelope), ChunkRecording JSON —
and through ``inspect`` / ``replay``; plus the SSE details TanStack and AG-UI servers use."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold import Reducer, fold, fold_file
from streamfold.cli import main
from streamfold.export.json import to_dict
from streamfold.export.tanstack import to_ui_messages, to_ui_threads
from streamfold.framing import detect_framing
from streamfold.model import Conversation, Severity

ROOT = Path(__file__).resolve().parents[3]
RECORDINGS = sorted(
    p
    for p in (ROOT / "examples" / "recordings").glob("tanstack-*")
    if not p.name.endswith(".manifest.json")
)
CORPUS = sorted((ROOT / "conformance" / "scenarios").glob("legacy-corpus-*.json"))

# What each recording is (conformance/README.md "Real recordings"): runs as
# (run_id, status, finish_reason, total tokens), the exported messages' part types.
FACTS: dict[str, tuple[list[tuple[str, str, str | None, int]], list[list[str]]]] = {
    "tanstack-agui-approval.sse": (
        [("run-tanstack-agui-approval", "awaiting_approval", "tool_calls", 110)],
        [["text"], ["text", "tool-call"]],
    ),
    "tanstack-agui-client-tool.ndjson": (
        [("run-tanstack-agui-client-tool", "interrupted", "tool_calls", 85)],
        [["text"], ["text", "tool-call"]],
    ),
    "tanstack-agui-error.sse": (
        [("run-tanstack-agui-error", "failed", None, 0)],
        [["text"]],
    ),
    "tanstack-agui-reasoning.sse": (
        [("run-tanstack-agui-reasoning", "completed", "stop", 52)],
        [["thinking", "text"]],
    ),
    "tanstack-agui-text.sse": (
        [("run-tanstack-agui-text", "completed", "stop", 17)],
        [["text"]],
    ),
    "tanstack-agui-tool-error.sse": (
        [
            ("run-tanstack-agui-tool-error", "completed", "tool_calls", 65),
            ("run-tanstack-agui-tool-error#2", "completed", "stop", 100),
        ],
        [["tool-call", "tool-result"], ["text"]],
    ),
    "tanstack-agui-tools.sse": (
        [
            ("run-tanstack-agui-tools", "completed", "tool_calls", 160),
            ("run-tanstack-agui-tools#2", "completed", "stop", 218),
        ],
        [["text", "tool-call", "tool-call", "tool-result", "tool-result"], ["text"]],
    ),
    "tanstack-eraB-text-tools.sse": (
        [
            ("anthropic-1795235675794-x035om", "completed", "tool_calls", 168),
            ("anthropic-1795235675800-f4x04k", "completed", "stop", 218),
        ],
        [["thinking", "text", "tool-call", "tool-call", "tool-result", "tool-result"], ["text"]],
    ),
    "tanstack-legacy-tools.sse": (
        [("tanstack-legacy#1", "completed", "stop", 378)],
        [["text", "tool-call", "tool-call", "tool-result", "tool-result", "text"]],
    ),
}


def _facts(conversation: Conversation) -> tuple[list[tuple[Any, ...]], list[list[str]]]:
    runs = [
        (r.run_id, str(r.status), r.finish_reason, r.usage.total_tokens) for r in conversation.runs
    ]
    messages = [[p["type"] for p in m["parts"]] for m in to_ui_messages(conversation)]
    return runs, messages


def _frames(path: Path) -> list[dict[str, Any]]:
    """The chunks of a recording, read independently of streamfold's framing code."""
    frames = []
    for line in path.read_text().splitlines():
        line = line.removeprefix("data: ")
        if line.startswith("{"):
            frame = orjson.loads(line)
            frames.append(frame["chunk"] if "chunk" in frame and "type" not in frame else frame)
    return frames


def test_every_recording_has_facts() -> None:
    assert {p.name for p in RECORDINGS} == set(FACTS)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_fold_file_detects_and_reads_every_recording(path: Path) -> None:
    conversation = fold_file(path)
    assert _facts(conversation) == FACTS[path.name]
    assert all(d.severity is Severity.INFO for d in conversation.diagnostics), [
        (d.code, d.message) for d in conversation.diagnostics
    ]
    # Strict mode has nothing to object to in a real server's output.
    fold_file(path, strict=True)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_any_byte_split_gives_the_same_model(path: Path) -> None:
    data = path.read_bytes()
    framing = detect_framing(data, path.name)
    whole = to_ui_messages(fold([data], framing=framing))
    rng = random.Random(path.name)
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(data)), 40))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        assert to_ui_messages(fold(pieces, framing=framing)) == whole
    one_byte = [data[i : i + 1] for i in range(len(data))]
    assert to_ui_messages(fold(one_byte, framing=framing)) == whole


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_same_chunks_in_every_framing(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SSE, plain NDJSON, durable-envelope NDJSON and ChunkRecording JSON of the same chunks
    all give the same model (what streamfold detects by itself)."""
    frames = _frames(path)
    expected = to_ui_threads(fold_file(path))
    ndjson = tmp_path / "plain.ndjson"
    ndjson.write_bytes(b"".join(orjson.dumps(f) + b"\n" for f in frames))
    envelope = tmp_path / "durable.ndjson"
    envelope.write_bytes(
        b"".join(orjson.dumps({"id": f"memory:v1:r:{i}", "chunk": f}) + b"\n"
                 for i, f in enumerate(frames))
    )  # fmt: skip
    sse = tmp_path / "events.sse"
    sse.write_bytes(b"".join(b"data: " + orjson.dumps(f) + b"\n\n" for f in frames))
    recording = tmp_path / "recording.json"
    recording.write_bytes(
        orjson.dumps(
            {
                "version": "1.0",
                "timestamp": 0,
                "chunks": [{"chunk": f, "timestamp": i, "index": i} for i, f in enumerate(frames)],
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    framings = {
        ndjson: "ndjson",
        envelope: "ndjson",
        sse: "sse",
        recording: "chunk-recording",
    }
    for file, framing in framings.items():
        assert detect_framing(file.read_bytes()[:65536], str(file)) == framing
        # [DONE] is SSE-only: without it a legacy or era-B stream ends at end of input.
        assert to_ui_threads(fold_file(file)) == expected, file.name
    _inspect_and_replay(recording, capsys)  # a ChunkRecording of every era


@pytest.mark.parametrize("path", [*RECORDINGS, *CORPUS], ids=lambda p: p.name)
def test_inspect_and_replay(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _inspect_and_replay(path, capsys)


def _inspect_and_replay(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(path)]) == 0
    run_ids = [r.run_id for r in fold_file(path).runs]
    report = capsys.readouterr().out
    assert all(run_id in report for run_id in run_ids)
    assert main(["inspect", "--json", str(path)]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert document["stats"]["frames_dropped"] == 0
    assert document.pop("recording")["problems"] == []
    assert document == orjson.loads(orjson.dumps(to_dict(fold_file(path), stats=document["stats"])))
    assert main(["replay", "--instant", "--plain", str(path)]) == 0
    log = capsys.readouterr().out
    assert all(run_id in log for run_id in run_ids)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_decoder_state_survives_a_reducer_snapshot_mid_stream(path: Path) -> None:
    from streamfold.snapshot import to_bytes

    data = path.read_bytes()
    framing = detect_framing(data, path.name)
    whole = to_ui_messages(fold([data], framing=framing))
    for cut in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        first = Reducer()
        feed = first.feed_sse if framing == "sse" else first.feed_bytes
        feed(data[:cut])
        second = Reducer.from_snapshot(to_bytes(first))
        (second.feed_sse if framing == "sse" else second.feed_bytes)(data[cut:])
        second.close()
        assert to_ui_messages(second.conversation) == whole


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_chunk_recording_corpus(path: Path) -> None:
    assert detect_framing(path.read_bytes(), str(path)) == "chunk-recording"
    conversation = fold_file(path)
    (run,) = conversation.runs
    assert run.status.is_terminal and not conversation.diagnostics


# ------------------------------------------------------------------------------- SSE rules


def _sse(data: bytes) -> Reducer:
    reducer = Reducer()
    reducer.feed_sse(data)
    reducer.close()
    return reducer


def test_sse_multi_line_data_is_joined_with_newlines() -> None:
    # The standard joins data lines with "\n": a JSON object may be split across lines.
    stream = (
        b'data: {"type":"RUN_STARTED","runId":"r",\n'
        b'data: "threadId":"t"}\n\n'
        b'data: {"type":"TEXT_MESSAGE_CONTENT","messageId":"m",\n'
        b'data:  "delta":"two\\nlines"}\n\n'
    )
    reducer = _sse(stream)
    (run,) = reducer.conversation.runs
    assert (run.run_id, run.text) == ("r", "two\nlines")


def test_sse_id_cursor_event_retry_and_comments() -> None:
    stream = (
        b": keep-alive\r\n\r\n"
        b"retry: 3000\r\n"
        b"id: memory:v1:r:1\r\nevent: message\r\n"
        b'data:{"type":"RUN_STARTED","runId":"r"}\r\n\r\n'
        b"id: memory:v1:r:2\r\n"
        b'data: {"type":"RUN_FINISHED","runId":"r"}\r\n\r\n'
    )
    reducer = Reducer()
    reducer.feed_sse(stream)
    assert reducer.sse_last_event_id == "memory:v1:r:2"
    reducer.close()
    (run,) = reducer.conversation.runs
    assert str(run.status) == "completed" and not reducer.conversation.diagnostics


def test_sse_done_ends_open_runs_like_the_reference_client() -> None:
    stream = (
        b'data: {"type":"RUN_STARTED","runId":"r"}\n\n'
        b'data: {"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"x"}\n\n'
        b"data: [DONE]\n\n"
    )
    reducer = _sse(stream)
    (run,) = reducer.conversation.runs
    assert (str(run.status), run.finish_reason) == ("completed", "stop")
    assert [d.code for d in reducer.conversation.diagnostics] == ["sse_done"]


def test_a_truncated_last_line_is_reported_and_the_run_stays_incomplete() -> None:
    data = (
        ROOT / "conformance" / "scenarios" / "transport-truncated-final-line.ndjson"
    ).read_bytes()
    conversation = fold(io.BytesIO(data), framing="ndjson")
    (run,) = conversation.runs
    assert str(run.status) == "incomplete" and run.text == "Cut off "
    assert [d.code for d in conversation.diagnostics] == ["not_json", "run_not_finished"]
