"""The async examples: the chat UI over a replayed recording, and following SSE over loopback.

The SSE server is ``http.server`` in a thread on 127.0.0.1 (no external service); it can break
the connection in the middle of an event to exercise the ``Last-Event-ID`` resume.
"""

from __future__ import annotations

import importlib.util
import io
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from rich.console import Console

from streamfold import Reducer
from streamfold.clock import FakeClock
from streamfold.framing import Frame
from streamfold.io.recording import RecordingWriter, read_recording
from streamfold.notifications import Notification, TextDelta

from .support.streams import fold_bytes, loom_lines, model, recording_bytes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


chat_ui = load("chat_ui")
follow_sse = load("follow_sse")


# ------------------------------------------------------------------------------- chat UI


def timed_recording() -> bytes:
    frames = [Frame(line, round(i * 0.04, 6)) for i, line in enumerate(loom_lines())]
    return recording_bytes(frames)


@pytest.mark.asyncio
async def test_chat_ui_replays_a_recording_into_the_view() -> None:
    recording = read_recording(timed_recording())
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, highlight=False)
    clock = FakeClock(autojump=False)  # instant replay: time never needs to move
    view = await chat_ui.chat(recording, console=console, speed=None, clock=clock)
    text = out.getvalue()
    assert "you: Weather in Paris?" in text
    assert "thinking: The user wants a forecast." in text
    assert "assistant: Let me check ✓" in text
    assert 'tool weather({"city":"Paris"}) [complete] → sunny, 21°C' in text
    assert "It is sunny in Paris." in text
    assert f"frame {len(recording)}/{len(recording)}" in text
    reducer = Reducer()
    produced = len(reducer.feed_lines(loom_lines())) + len(reducer.close())
    # The view saw every notification, coalesced; the statistics subscriber may have lagged,
    # but what it got plus what it was told it missed is everything.
    assert sum(view.counted.values()) + view.lagged == produced
    assert view.seen["TextDelta"] < sum(1 for line in loom_lines() if b"message_chunk" in line)
    assert view.replayer.finished


@pytest.mark.asyncio
async def test_chat_ui_at_the_original_timing_on_a_fake_clock() -> None:
    recording = read_recording(timed_recording())
    console = Console(file=io.StringIO(), width=100, force_terminal=False)
    clock = FakeClock(50.0)
    view = await chat_ui.chat(recording, console=console, speed=4.0, clock=clock)
    assert view.replayer.finished
    assert clock.now() - 50.0 >= recording.duration / 4
    assert view.conversation.runs[0].reply == "It is sunny in Paris."


def test_chat_ui_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run.recording.ndjson"
    path.write_bytes(timed_recording())
    assert chat_ui.main([str(path), "--instant"]) == 0
    assert "It is sunny in Paris." in capsys.readouterr().out
    assert chat_ui.main([str(tmp_path / "missing.ndjson")]) == 1


# ------------------------------------------------------------------------ SSE over loopback


def sse_events() -> list[bytes]:
    events = [b"id: %d\ndata: %s\n\n" % (i, line) for i, line in enumerate(loom_lines(), 1)]
    return [*events, b"data: [DONE]\n\n"]


class SSEServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, break_at: int | None = None) -> None:
        super().__init__(("127.0.0.1", 0), SSEHandler)
        self.events = sse_events()
        self.break_at = break_at
        """Event id at which the first connection breaks, half-way through the event."""
        self.requests: list[str | None] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/events"


class SSEHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SSEServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self) -> None:
        server = self.server
        last = self.headers.get("Last-Event-ID")
        server.requests.append(last)
        first_connection = len(server.requests) == 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        start = int(last) if last else 0
        for number, event in enumerate(server.events[start:], start + 1):
            half = len(event) // 2
            if first_connection and number == server.break_at:
                self.chunk(event[:half])
                self.connection.shutdown(socket.SHUT_RDWR)  # the network dies mid-event
                self.close_connection = True
                return
            self.chunk(event[:half])  # events arrive split across reads
            self.chunk(event[half:])
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def serve(server: SSEServer) -> Iterator[SSEServer]:
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def sse_server() -> Iterator[SSEServer]:
    yield from serve(SSEServer())


@pytest.fixture
def flaky_sse_server() -> Iterator[SSEServer]:
    yield from serve(SSEServer(break_at=17))


@pytest.mark.asyncio
async def test_follow_an_sse_stream_over_loopback(sse_server: SSEServer, tmp_path: Path) -> None:
    notes: list[Notification] = []
    path = tmp_path / "followed.recording.ndjson"
    with RecordingWriter.open(path, framing="sse") as writer:
        reducer = await follow_sse.follow(sse_server.url, on_note=notes.append, recorder=writer)
    want = fold_bytes(b"".join(sse_events()), "sse")
    assert model(reducer) == model(want)
    assert reducer.closed
    assert sse_server.requests == [None]
    text = "".join(n.delta for n in notes if isinstance(n, TextDelta))
    assert text.endswith("It is sunny in Paris. ")
    recorded = read_recording(path)
    assert recorded.problems == ()
    assert len(recorded) == reducer.frames_in
    assert recorded.header["framing"] == "sse"


@pytest.mark.asyncio
async def test_follow_resumes_with_last_event_id(
    flaky_sse_server: SSEServer, tmp_path: Path
) -> None:
    notes: list[Notification] = []
    resumed: list[tuple[str | None, str]] = []
    path = tmp_path / "resumed.recording.ndjson"
    with RecordingWriter.open(path, framing="sse") as writer:
        reducer = await follow_sse.follow(
            flaky_sse_server.url,
            on_note=notes.append,
            recorder=writer,
            retry_delay=0,
            on_reconnect=lambda cursor, exc: resumed.append((cursor, type(exc).__name__)),
        )
    assert flaky_sse_server.requests == [None, "16"]
    assert resumed == [("16", "RemoteProtocolError")]
    # The half event of the broken connection was dropped and resent: nothing lost, nothing
    # doubled — the same model as one clean connection.
    want = fold_bytes(b"".join(sse_events()), "sse")
    assert model(reducer) == model(want)
    recorded = read_recording(path)
    assert len(recorded) == reducer.frames_in
    times = [f.t or 0.0 for f in recorded.frames]
    assert times == sorted(times)  # one timeline across the reconnect
    replayed = Reducer()
    for frame in recorded.frames:
        replayed.feed_frame(frame)
    replayed.close()
    assert model(replayed) == model(want)


@pytest.mark.asyncio
async def test_follow_gives_up_after_the_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(httpx.ConnectError):
        await follow_sse.follow(
            f"http://127.0.0.1:{port}/events", on_note=print, retries=1, retry_delay=0
        )


def test_follow_command_line(sse_server: SSEServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert follow_sse.main([sse_server.url]) == 0
    out = capsys.readouterr().out
    assert "It is sunny in Paris." in out
    assert "── run sess-1-run started" in out
    assert "tool weather" in out
