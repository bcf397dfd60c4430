"""The command line: ``main([...])`` with captured (non-terminal) stdout, so replay prints its
plain log; the live view is rendered into a forced-terminal rich console."""

from __future__ import annotations

import importlib
import importlib.resources
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from streamfold import Reducer, RunStatus, ToolCallState, cli, fold_file
from streamfold.cli import (
    STRUCTURAL_DELAY,
    TEXT_DELAY,
    Player,
    fixed_pacer,
    frame_times,
    main,
    replay_live,
)
from streamfold.cli.views.live import LiveView
from streamfold.io.recording import read_recording
from streamfold.model import Conversation
from streamfold.notifications import Notification
from streamfold.safe_text import inline

ROOT = Path(__file__).resolve().parent.parent.parent
# The module (``streamfold.cli.main`` the attribute is the function).
cli_main_module = importlib.import_module("streamfold.cli.main")
Recording = Callable[[str], Path]
Capsys = pytest.CaptureFixture[str]


def _ndjson(*frames: dict[str, Any], session: str | None = None) -> bytes:
    lines = []
    for i, frame in enumerate(frames, start=1):
        if session is not None and "reply" not in frame:
            frame = {"session_id": session, "event_id": i, **frame}
        lines.append(orjson.dumps(frame))
    return b"\n".join(lines) + b"\n"


# A ReAct run: think (reasoning, text, a streamed tool call) → act → think → reply.
REACT = _ndjson(
    {"type": "node_enter", "id": "think"},
    {"type": "thought_chunk", "content": "The user wants the weather.", "id": "think"},
    {"type": "message_chunk", "content": "Let me ", "id": "think"},
    {"type": "message_chunk", "content": "check.", "id": "think"},
    {"type": "tool_call_chunk", "call_id": "call_1", "name": "get_weather",
     "arguments_delta": ""},
    {"type": "tool_call_chunk", "call_id": None, "name": None, "arguments_delta": '{"city":'},
    {"type": "tool_call_chunk", "call_id": None, "name": None, "arguments_delta": '"Paris"}'},
    {"type": "tool_call", "call_id": "call_1", "name": "get_weather",
     "arguments": {"city": "Paris"}},
    {"type": "usage", "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    {"type": "node_exit", "id": "think", "result": "Ok"},
    {"type": "node_enter", "id": "act"},
    {"type": "tool_start", "call_id": "call_1", "name": "get_weather"},
    {"type": "tool_end", "call_id": "call_1", "name": "get_weather",
     "result": "18C and sunny", "is_error": False},
    {"type": "node_exit", "id": "act", "result": "Ok"},
    {"type": "node_enter", "id": "think"},
    {"type": "message_chunk", "content": "It is 18C and sunny ", "id": "think"},
    {"type": "message_chunk", "content": "in Paris.", "id": "think"},
    {"type": "usage", "prompt_tokens": 150, "completion_tokens": 12, "total_tokens": 162},
    {"type": "node_exit", "id": "think", "result": "Ok"},
    {"session_id": "thread-A", "event_id": 20, "reply": "It is 18C and sunny in Paris.",
     "stop_reason": "end_turn"},
    session="run-react",
)  # fmt: skip

# A run whose think node fails after a tool error: no reply line, so the run fails.
FAILED = _ndjson(
    {"type": "node_enter", "id": "think"},
    {"type": "message_chunk", "content": "Fetching.", "id": "think"},
    {"type": "tool_call", "call_id": "w1", "name": "fetch", "arguments": {"url": "x"}},
    {"type": "usage", "prompt_tokens": 40, "completion_tokens": 5, "total_tokens": 45},
    {"type": "node_exit", "id": "think", "result": "Ok"},
    {"type": "node_enter", "id": "act"},
    {"type": "tool_start", "call_id": "w1", "name": "fetch"},
    {"type": "tool_end", "call_id": "w1", "name": "fetch", "result": "HTTP 503",
     "is_error": True},
    {"type": "node_exit", "id": "act", "result": "Ok"},
    {"type": "node_enter", "id": "think"},
    {"type": "node_exit", "id": "think",
     "result": {"Err": "execution failed: rate limited"}},
    session="run-failed",
)  # fmt: skip

# Two interleaved sessions; the first one runs a sub-agent inside its invoke_agent call, the
# second stops at a tool approval.
_A: list[dict[str, Any]] = [
    {"type": "node_enter", "id": "think"},
    {"type": "tool_call", "call_id": "sub", "name": "invoke_agent",
     "arguments": {"task": "read"}},
    {"type": "node_exit", "id": "think", "result": "Ok"},
    {"type": "node_enter", "id": "act"},
    {"type": "tool_start", "call_id": "sub", "name": "invoke_agent"},
    {"type": "node_enter", "id": "think"},
    {"type": "message_chunk", "content": "Sub-agent reading.", "id": "think"},
    {"type": "tool_call", "call_id": "rf", "name": "read_file", "arguments": {"path": "a"}},
    {"type": "usage", "prompt_tokens": 30, "completion_tokens": 3, "total_tokens": 33},
    {"type": "node_exit", "id": "think", "result": "Ok"},
    {"type": "node_enter", "id": "act"},
    {"type": "tool_start", "call_id": "rf", "name": "read_file"},
    {"type": "tool_end", "call_id": "rf", "name": "read_file", "result": "text of a",
     "is_error": False},
    {"type": "node_exit", "id": "act", "result": "Ok"},
    {"type": "tool_end", "call_id": "sub", "name": "invoke_agent", "result": "a says hi",
     "is_error": False},
    {"type": "node_exit", "id": "act", "result": "Ok"},
]  # fmt: skip
_B: list[dict[str, Any]] = [
    {"type": "node_enter", "id": "think"},
    {"type": "tool_call", "call_id": "del", "name": "delete_repo", "arguments": {"repo": "r"}},
    {"type": "node_exit", "id": "think", "result": "Ok"},
    {"type": "node_enter", "id": "act"},
    {"type": "tool_approval", "call_id": "del", "name": "delete_repo",
     "arguments": {"repo": "r"}},
]  # fmt: skip


def _interleaved() -> bytes:
    a = [{"session_id": "sess-a", "event_id": i, **f} for i, f in enumerate(_A, start=1)]
    b = [{"session_id": "sess-b", "event_id": i, **f} for i, f in enumerate(_B, start=1)]
    frames: list[dict[str, Any]] = []
    while a or b:
        frames.extend(a[:3])
        del a[:3]
        frames.extend(b[:1])
        del b[:1]
    frames.append({"session_id": "thread-a", "event_id": len(_A) + 1, "reply": "a says hi"})
    return b"".join(orjson.dumps(f) + b"\n" for f in frames)


MULTI = _interleaved()

# Hostile text everywhere a stream can put it.
HOSTILE_TEXT = "hi \x1b[2J\x1b]0;pwned\x07 [bold red]markup[/] \u202eevil\u202c \rOVERWRITE\x08\x9b"
HOSTILE = (
    _ndjson(
        {"type": "node_enter", "id": "think\x1b]0;title\x07"},
        {"type": "thought_chunk", "content": "\x1b[5mblink", "id": "think"},
        {"type": "message_chunk", "content": HOSTILE_TEXT, "id": "think"},
        {"type": "tool_call", "call_id": "c\u202e1", "name": "rm\n-rf\x1b[A",
         "arguments": {"cmd": "\x1b[2J[red]x[/red]"}},
        {"type": "node_exit", "id": "think\x1b]0;title\x07", "result": "Ok"},
        {"type": "node_enter", "id": "act"},
        {"type": "tool_start", "call_id": "c\u202e1", "name": "rm\n-rf\x1b[A"},
        {"type": "tool_end", "call_id": "c\u202e1", "name": "rm\n-rf\x1b[A",
         "result": "\x1b]52;c;Y2xpcA==\x07done\r\n", "is_error": False},
        {"type": "node_exit", "id": "act", "result": {"Err": "\x1b[31mboom\x07"}},
        session="evil\x1b[31m",
    )
    + b"\x1b[31mnot json\x07\n"
    + _ndjson({"session_id": "t\x1b", "event_id": 10, "reply": HOSTILE_TEXT})
)  # fmt: skip
_FORBIDDEN = ["\x1b", "\x07", "\r", "\x08", "\x9b", "\u202e", "\u202c"]

INLINE = {"react": REACT, "failed": FAILED, "multi": MULTI, "hostile": HOSTILE}
EXAMPLES = sorted((ROOT / "examples" / "recordings").glob("loom-*.ndjson"))
RECORDINGS = [pytest.param(name, id=name) for name in INLINE] + [
    pytest.param(path.name, id=path.name) for path in EXAMPLES
]


@pytest.fixture
def recording(tmp_path: Path) -> Callable[[str], Path]:
    def get(name: str) -> Path:
        if name in INLINE:
            path = tmp_path / f"{name}.ndjson"
            path.write_bytes(INLINE[name])
            return path
        return ROOT / "examples" / "recordings" / name

    return get


def _run_cli(capsys: Capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _replay(capsys: Capsys, path: Path) -> str:
    code, out, err = _run_cli(capsys, "replay", str(path), "--instant")
    assert code == 0
    _check_stderr(err, path)
    return out


def _check_stderr(err: str, path: Path) -> None:
    """Nothing on stderr but the count of dropped frames and diagnostics, when not zero."""
    reducer = Reducer()
    conversation = fold_file(path, reducer)
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted
    if reducer.frames_dropped or count:
        assert err.startswith(f"streamfold: {inline(str(path))}: {reducer.frames_dropped} of ")
        assert f" · {count} diagnostic(s)" in err
        assert err.count("\n") == 1
    else:
        assert err == ""


def _player(path: Path, *, speed: float | None = None, reducer: Reducer | None = None) -> Player:
    recording = read_recording(path)
    return Player(recording, reducer or Reducer(), times=frame_times(recording), speed=speed)


def _usage_line(conversation: Conversation) -> str:
    u = conversation.usage
    return (
        f"usage prompt {u.prompt_tokens} · completion {u.completion_tokens}"
        f" · total {u.total_tokens}"
    )


# ------------------------------------------------------------------- every recording


@pytest.mark.parametrize("name", RECORDINGS)
def test_replay_plain_follows_the_model(name: str, recording: Recording, capsys: Capsys) -> None:
    path = recording(name)
    out = _replay(capsys, path)
    conversation = fold_file(path)
    for run in conversation.runs:
        run_id = inline(run.run_id)
        assert f"[{run_id}] run started" in out
        assert f"[{run_id}] run {run.status}" in out
        for call in run.tool_calls.values():
            # (A call's id may change on the way: Loom reveals some ids only at tool_start.)
            label = f"[{run_id}] tool {inline(call.name or '?')} ({inline(call.call_id)}): "
            if call.state is not ToolCallState.AWAITING_INPUT:
                assert label + str(call.state) in out
    assert f"end: {len(conversation.runs)} run(s) · {_usage_line(conversation)}" in out
    assert not set(out) & set(_FORBIDDEN)


@pytest.mark.parametrize("name", RECORDINGS)
def test_inspect_table_follows_the_model(name: str, recording: Recording, capsys: Capsys) -> None:
    path = recording(name)
    code, out, err = _run_cli(capsys, "inspect", str(path))
    assert code == 0
    _check_stderr(err, path)
    conversation = fold_file(path)
    for run in conversation.runs:
        assert f"run {inline(run.run_id)} · session {inline(run.session_id)}" in out
        for call in run.tool_calls.values():
            assert f"{inline(call.call_id)}  {inline(call.name or '?')}  {call.state}" in out
    u = conversation.usage
    if any(run.usage for run in conversation.runs):
        assert re.search(
            rf"all runs +{u.prompt_tokens} +{u.completion_tokens} +{u.total_tokens}\n", out
        )
    else:  # issue #17: no usage shown where no sender reported any
        assert "all runs" not in out
        assert "usage prompt" not in out
    count = len(conversation.diagnostics) + conversation.diagnostics_evicted
    assert f"diagnostics ({count})" in out
    assert not set(out) & set(_FORBIDDEN)


@pytest.mark.parametrize("name", RECORDINGS)
def test_inspect_json_follows_the_model(name: str, recording: Recording, capsys: Capsys) -> None:
    path = recording(name)
    code, out, err = _run_cli(capsys, "inspect", str(path), "--json")
    assert code == 0
    _check_stderr(err, path)
    assert not set(out) & set(_FORBIDDEN)
    doc = orjson.loads(out)
    reducer = Reducer()
    fold_file(path, reducer)
    conversation = reducer.conversation
    assert doc["version"] == 1
    assert doc["stats"] == {
        "frames_in": reducer.frames_in,
        "frames_applied": reducer.frames_applied,
        "frames_dropped": reducer.frames_dropped,
    }
    assert doc["usage"]["total_tokens"] == conversation.usage.total_tokens
    runs = [run for session in doc["sessions"].values() for run in session["runs"]]
    assert [r["run_id"] for r in runs] == [r.run_id for r in conversation.runs]
    for doc_run, run in zip(runs, conversation.runs, strict=True):
        assert doc_run["status"] == run.status
        assert doc_run["reply"] == run.reply
        assert doc_run["usage"]["total_tokens"] == run.usage.total_tokens
        assert {k: c["state"] for k, c in doc_run["tool_calls"].items()} == {
            k: str(c.state) for k, c in run.tool_calls.items()
        }
    assert [d["code"] for d in doc["diagnostics"]] == [d.code for d in conversation.diagnostics]


@pytest.mark.parametrize("name", RECORDINGS)
def test_live_view_renders_the_model(name: str, recording: Recording) -> None:
    path = recording(name)
    reducer = Reducer()
    view = LiveView(reducer, title=name)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    code = replay_live(_player(path, reducer=reducer), console, sleep=_no_sleep)
    assert code >= 1
    final = _strip_sgr(_render(view, final=True))
    for run in reducer.conversation.runs:
        assert inline(run.run_id) in final
        for call in run.tool_calls.values():
            assert f"{inline(call.name or '?')} [{call.state}]" in final
    assert "all runs" in final
    assert not set(final) & set(_FORBIDDEN)


# ------------------------------------------------------------------ inline recordings


def test_react_replay_plain(recording: Recording, capsys: Capsys) -> None:
    out = _replay(capsys, recording("react"))
    assert out.splitlines() == [
        "session run-react started",
        "[run-react#1] run started (session run-react)",
        "[run-react#1] ▸ think",
        "[run-react#1] reasoning (think): The user wants the weather.",
        "[run-react#1] assistant (think): Let me check.",
        "[run-react#1] tool get_weather (call_1): started",
        "[run-react#1] tool get_weather (call_1): input-streaming",
        '[run-react#1] tool get_weather (call_1): input-complete · args {"city":"Paris"}',
        "[run-react#1] usage +100 prompt +20 completion (run total 120)",
        "[run-react#1] ◂ think ok",
        "[run-react#1] ▸ act",
        "[run-react#1] tool get_weather (call_1): executing",
        "[run-react#1] tool get_weather (call_1): complete · result 18C and sunny",
        "[run-react#1] ◂ act ok",
        "[run-react#1] ▸ think",
        "[run-react#1] usage +150 prompt +12 completion (run total 282)",
        "[run-react#1] assistant (think): It is 18C and sunny in Paris.",
        "[run-react#1] ◂ think ok",
        "[run-react#1] reply: It is 18C and sunny in Paris.",
        "[run-react#1] run completed · stop_reason end_turn"
        " · usage prompt 250 · completion 32 · total 282",
        "end: 1 run(s) · usage prompt 250 · completion 32 · total 282"
        " · frames 20 (20 applied, 0 dropped) · 0 diagnostic(s)",
    ]


def test_react_inspect(recording: Recording, capsys: Capsys) -> None:
    code, out, _ = _run_cli(capsys, "inspect", str(recording("react")))
    assert code == 0
    assert "20 frames (20 applied, 0 dropped) · 1 session(s) · 1 run(s) · 0 diagnostic(s)" in out
    assert (
        "run run-react#1 · session run-react · thread thread-A · completed"
        " · stop_reason end_turn" in out
    )
    assert "  reply: It is 18C and sunny in Paris.\n" in out
    assert "    ✓ think ok  (120 tok)\n    ✓ act ok\n    ✓ think ok  (162 tok)\n" in out
    assert '    call_1  get_weather  complete  args {"city":"Paris"}  result 18C and sunny\n' in out
    assert re.search(r"run-react#1 +250 +32 +282\n", out)
    assert re.search(r"all runs +250 +32 +282\n", out)
    assert out.endswith("diagnostics (0)\n")


def test_react_inspect_json(recording: Recording, capsys: Capsys) -> None:
    code, out, _ = _run_cli(capsys, "inspect", str(recording("react")), "--json")
    assert code == 0
    doc = orjson.loads(out)
    assert doc["stats"] == {"frames_in": 20, "frames_applied": 20, "frames_dropped": 0}
    (run,) = doc["sessions"]["run-react"]["runs"]
    assert run["status"] == "completed"
    assert run["thread_id"] == "thread-A"
    assert run["reply"] == "It is 18C and sunny in Paris."
    assert [s["name"] for s in run["spans"]] == ["think", "act", "think"]
    assert run["tool_calls"]["call_1"]["state"] == "complete"
    assert run["tool_calls"]["call_1"]["input"] == {"city": "Paris"}
    assert run["tool_calls"]["call_1"]["result"] == "18C and sunny"
    assert run["usage"]["total_tokens"] == 282
    assert doc["usage"] == {
        "prompt_tokens": 250,
        "completion_tokens": 32,
        "total_tokens": 282,
        "prompt_tokens_details": {},
        "completion_tokens_details": {},
        "reports": 2,
    }


def test_failed_run(recording: Recording, capsys: Capsys) -> None:
    out = _replay(capsys, recording("failed"))
    assert "[run-failed#1] tool fetch (w1): error · error HTTP 503" in out
    assert "[run-failed#1] ◂ think error: execution failed: rate limited" in out
    assert (
        "[run-failed#1] run failed · error: execution failed: rate limited"
        " · usage prompt 40 · completion 5 · total 45" in out
    )
    assert "reply:" not in out
    code, out, _ = _run_cli(capsys, "inspect", str(recording("failed")))
    assert code == 0
    assert "run run-failed#1 · session run-failed · failed" in out
    assert "  error: execution failed: rate limited" in out
    assert "    ✗ think error: execution failed: rate limited" in out
    assert "    w1  fetch  error  args" in out
    code, out, _ = _run_cli(capsys, "inspect", str(recording("failed")), "--json")
    (run,) = orjson.loads(out)["sessions"]["run-failed"]["runs"]
    assert run["status"] == "failed"
    assert run["error"] == "execution failed: rate limited"
    assert run["reply"] is None
    assert run["tool_calls"]["w1"]["state"] == "error"


def test_user_input_is_printed_once(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "spec.ndjson"
    path.write_bytes(
        _ndjson(
            {"type": "run_start", "run_id": "r1", "message": "Hello", "agent": "react"},
            {"type": "node_enter", "id": "think"},
            {"type": "message_chunk", "content": "Hi!", "id": "think"},
            {"type": "node_exit", "id": "think", "result": "Ok"},
            {"session_id": "s", "event_id": 5, "reply": "Hi!"},
            session="s",
        )
    )
    out = _replay(capsys, path)
    assert out.splitlines()[:3] == [
        "session s started",
        "[r1] run started (session s) · agent react",
        "[r1] user: Hello",
    ]
    assert out.count("user: Hello") == 1
    assert "[r1] assistant (think): Hi!" in out
    code, out, _ = _run_cli(capsys, "inspect", str(path))
    assert code == 0
    assert "run r1 · session s · completed · agent react\n  input: Hello\n  reply: Hi!\n" in out


def test_multi_agent(recording: Recording, capsys: Capsys) -> None:
    out = _replay(capsys, recording("multi"))
    assert "[sess-a#1]   ▸ think (⤷ sub-agent via sub)" in out
    assert "[sess-a#1] tool read_file (rf): complete · result text of a" in out
    assert "[sess-a#1] reply: a says hi" in out
    assert "[sess-b#1] tool delete_repo (del): approval-requested" in out
    assert "[sess-b#1] run awaiting_approval" in out
    code, out, _ = _run_cli(capsys, "inspect", str(recording("multi")))
    assert code == 0
    assert "2 session(s) · 2 run(s)" in out
    assert (
        "    ✓ act ok\n"
        "      ⤷ sub-agent via invoke_agent [complete] sub\n"
        "        ✓ think ok  (33 tok)\n"
        "        ✓ act ok\n"
    ) in out
    assert "run sess-b#1 · session sess-b · awaiting_approval" in out


def test_live_view_final_render(recording: Recording) -> None:
    reducer = Reducer()
    view = LiveView(reducer)
    reducer_notes: list[Notification] = []
    for line in recording("multi").read_bytes().splitlines(keepends=True):
        reducer_notes += reducer.feed_bytes(line)
    reducer_notes += reducer.close()
    view.apply(reducer_notes)
    text = _strip_sgr(_render(view, final=True))
    assert "session sess-a · thread thread-a" in text
    assert "⤷ sub-agent via invoke_agent [complete] sub" in text
    assert "read_file [complete] rf" in text
    assert "delete_repo [approval-requested] del" in text
    assert "run sess-b#1 · awaiting_approval" in text
    assert "reply: a says hi" in text
    assert re.search(r"all runs +30 +3 +33", text)


def test_live_view_while_streaming(recording: Recording) -> None:
    reducer = Reducer()
    view = LiveView(reducer)
    lines = recording("react").read_bytes().splitlines(keepends=True)
    for line in lines[:6]:  # inside the first think: text streamed, tool arguments streaming
        view.apply(reducer.feed_bytes(line))
    text = _strip_sgr(_render(view))
    assert "run run-react#1 · running" in text
    assert "● think open" in text
    assert "The user wants the weather." in text
    assert "Let me check." in text
    assert 'get_weather [input-streaming] call_1  {"city":' in text
    assert not view.changed
    view.apply(reducer.feed_bytes(lines[6]))
    assert view.changed


# ---------------------------------------------------------------------- hostile text


def test_hostile_replay_plain(recording: Recording, capsys: Capsys) -> None:
    out = _replay(capsys, recording("hostile"))
    for raw in _FORBIDDEN:
        assert raw not in out
    assert "hi ␛[2J␛]0;pwned␇ [bold red]markup[/] \\u202eevil\\u202c ␍OVERWRITE␈\\x9b" in out
    assert "tool rm␊-rf␛[A (c\\u202e1): complete · result ␛]52;c;Y2xpcA==␇done␍␊" in out
    assert "diagnostic warning not_json frame 9 (dropped)" in out


def test_hostile_inspect(recording: Recording, capsys: Capsys) -> None:
    code, out, _ = _run_cli(capsys, "inspect", str(recording("hostile")))
    assert code == 0
    for raw in _FORBIDDEN:
        assert raw not in out
    assert "run evil␛[31m#1 · session evil␛[31m" in out
    assert "[bold red]markup[/]" in out  # printed as text, not interpreted
    assert "raw: ␛[31mnot json␇" in out


def test_hostile_inspect_json_is_escaped_but_exact(recording: Recording, capsys: Capsys) -> None:
    code, out, _ = _run_cli(capsys, "inspect", str(recording("hostile")), "--json")
    assert code == 0
    for raw in _FORBIDDEN:
        assert raw not in out
    assert "\\u001b[2J" in out
    assert "\\u202e" in out
    doc = orjson.loads(out)
    (run,) = doc["sessions"]["evil\x1b[31m"]["runs"]
    assert run["reply"] == HOSTILE_TEXT
    assert run["messages"][0]["parts"][1]["text"] == HOSTILE_TEXT
    assert doc["diagnostics"][0]["raw"] == "\x1b[31mnot json\x07"


def test_hostile_live_view(recording: Recording) -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    replay_live(_player(recording("hostile"), speed=1.0), console, sleep=_no_sleep, clock=_Clock())
    written = console.file.getvalue()  # type: ignore[attr-defined]
    # Only rich's own sequences: SGR styles, cursor up, erase line, hide/show cursor, and the
    # carriage returns Live uses to redraw.
    own = re.sub(r"\x1b\[[0-9;]*[mAK]|\x1b\[\?25[lh]|\r(?=\x1b\[(?:2K|1A))", "", written)
    for raw in _FORBIDDEN:
        assert raw not in own
    assert "[bold red]markup[/]" in own
    assert "rm␊-rf␛[A [complete]" in own


# ------------------------------------------------------------------- pacing, coalescing


class _Clock:
    """A fake clock that advances only when the fake sleep is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _no_sleep(seconds: float) -> None:
    pass


def test_fixed_pacer_delays(recording: Recording, capsys: Capsys) -> None:
    clock = _Clock()
    player = _player(recording("react"), speed=2.0)
    cli.replay_plain(player, lambda text: None, sleep=clock.sleep)
    # A wait after every frame but the last (20 frames).
    assert len(clock.sleeps) == 19
    assert {round(s, 9) for s in clock.sleeps} == {TEXT_DELAY / 2, STRUCTURAL_DELAY / 2}
    # message_chunk "check." (frame 3) is text; node_enter (frame 0) is structural.
    assert clock.sleeps[3] == pytest.approx(TEXT_DELAY / 2)
    assert clock.sleeps[0] == pytest.approx(STRUCTURAL_DELAY / 2)
    with pytest.raises(ValueError, match="positive"):
        fixed_pacer(0)
    # The timeline is the same at every speed and when instant (--from / --until use it).
    times = frame_times(read_recording(recording("react")))
    assert times[1] == STRUCTURAL_DELAY
    assert sum(clock.sleeps) == pytest.approx(times[-1] / 2)


def test_instant_replay_does_not_sleep(recording: Recording) -> None:
    clock = _Clock()
    cli.replay_plain(_player(recording("react")), lambda text: None, sleep=clock.sleep)
    assert clock.sleeps == []


def test_live_renders_are_coalesced(tmp_path: Path) -> None:
    # 400 text deltas in one span: at 15 ms each that is 6 s, so at most ~130 renders at 20 fps.
    frames = [{"type": "node_enter", "id": "think"}]
    frames += [{"type": "message_chunk", "content": f"w{i} ", "id": "think"} for i in range(400)]
    frames += [{"type": "node_exit", "id": "think", "result": "Ok"}, {"reply": "done"}]
    path = tmp_path / "long.ndjson"
    path.write_bytes(_ndjson(*frames, session="s"))
    clock = _Clock()
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    renders = replay_live(_player(path, speed=1.0), console, sleep=clock.sleep, clock=clock)
    # node_enter and the first chunk (it starts the message) are structural, node_exit too;
    # the reply is the last frame (no wait after it).
    assert clock.now == pytest.approx(399 * TEXT_DELAY + 3 * STRUCTURAL_DELAY)
    assert 10 < renders <= clock.now * 20 + 5
    # Instant replay with a clock that never moves: one render in all, plus the first and
    # the final one.
    renders = replay_live(
        _player(path),
        Console(file=io.StringIO(), force_terminal=True, width=100),
        sleep=_no_sleep,
        clock=lambda: 0.0,
    )
    assert renders == 3


# ------------------------------------------------------------------------ framings


def _as_sse(ndjson: bytes) -> bytes:
    return b"".join(b"data: " + line + b"\n\n" for line in ndjson.splitlines())


def _as_chunk_recording(ndjson: bytes) -> bytes:
    chunks = [
        {"chunk": orjson.loads(line), "timestamp": 1000 + i, "index": i}
        for i, line in enumerate(ndjson.splitlines())
    ]
    return orjson.dumps({"version": 1, "chunks": chunks})


@pytest.mark.parametrize(
    ("suffix", "encode"),
    [(".sse", _as_sse), (".json", _as_chunk_recording), (".txt", _as_sse)],
)
def test_framings_are_detected(
    suffix: str, encode: Callable[[bytes], bytes], tmp_path: Path, capsys: Capsys
) -> None:
    plain = tmp_path / "react.ndjson"
    plain.write_bytes(REACT)
    framed = tmp_path / f"react{suffix}"
    framed.write_bytes(encode(REACT))
    assert _replay(capsys, framed) == _replay(capsys, plain)
    code, out, _ = _run_cli(capsys, "inspect", str(framed), "--json")
    assert code == 0
    (run,) = orjson.loads(out)["sessions"]["run-react"]["runs"]
    assert run["status"] == "completed"
    assert run["usage"]["total_tokens"] == 282


def test_framing_option(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "react.log"
    path.write_bytes(_as_sse(REACT))
    code, out, _ = _run_cli(capsys, "inspect", str(path), "--framing", "ndjson")
    assert code == 0
    assert "0 applied" in out  # read as NDJSON, the "data: " lines are not JSON
    code, out, _ = _run_cli(capsys, "inspect", str(path), "--framing", "sse")
    assert "20 frames (20 applied, 0 dropped)" in out


# ---------------------------------------------------------------------- terminals


def test_terminal_gets_the_live_view_unless_plain(
    recording: Recording, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    monkeypatch.setattr(cli_main_module, "_is_terminal", lambda stream: True)
    code, out, _ = _run_cli(capsys, "replay", str(recording("react")), "--instant")
    assert code == 0
    assert "▶ run run-react#1 · completed" in out  # the final view of the live mode
    assert "[run-react#1] run started" not in out
    code, out, _ = _run_cli(capsys, "replay", str(recording("react")), "--instant", "--plain")
    assert "[run-react#1] run started" in out


# ---------------------------------------------------------------- options, exit codes


def test_demo(capsys: Capsys) -> None:
    resource = importlib.resources.files("streamfold").joinpath("data", cli.DEMO_RECORDING)
    code, out, err = _run_cli(capsys, "demo", "--instant")
    if not resource.is_file():  # the recording is bundled separately
        assert code == 1
        assert "demo recording" in err
        return
    assert (code, err) == (0, "")  # the demo has no diagnostics: nothing on stderr
    assert out.count(" run started ") >= 2
    assert "⤷ sub-agent via" in out
    assert not set(out) & set(_FORBIDDEN)


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(REACT)))
    code, out, _ = _run_cli(capsys, "inspect", "-")
    assert code == 0
    assert "<stdin>: 20 frames" in out


def test_format_option(recording: Recording, capsys: Capsys) -> None:
    code, out, _ = _run_cli(
        capsys, "replay", str(recording("react")), "--instant", "--format", "loom"
    )
    assert code == 0
    assert "run completed" in out
    code, _, err = _run_cli(capsys, "inspect", str(recording("react")), "--format", "nope")
    assert code == 2
    assert "invalid choice" in err


def test_unreadable_file(tmp_path: Path, capsys: Capsys) -> None:
    for argv in (
        ["inspect", str(tmp_path / "missing.ndjson")],
        ["inspect", str(tmp_path), "--json"],
        ["replay", str(tmp_path / "missing.ndjson"), "--instant"],
    ):
        code, out, err = _run_cli(capsys, *argv)
        assert code == 1
        assert out == ""
        assert err.startswith("streamfold: cannot read ")
        assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["replay"],
        ["replay", "f", "--speed", "0"],
        ["replay", "f", "--speed", "fast"],
        ["replay", "f", "--speed", "2", "--instant"],
        ["replay", "f", "--from", "12"],
        ["replay", "f", "--until", "frame:x"],
        ["inspect", "f", "--bogus"],
    ],
)
def test_usage_errors(argv: list[str], capsys: Capsys) -> None:
    code, _, err = _run_cli(capsys, *argv)
    assert code == 2
    assert "usage: streamfold" in err


def test_help_and_version(capsys: Capsys) -> None:
    code, out, _ = _run_cli(capsys, "--help")
    assert code == 0
    assert "replay" in out
    code, out, _ = _run_cli(capsys, "--version")
    assert (code, out) == (0, "streamfold 0.1.0\n")


def test_ctrl_c_exits_130_quietly(
    recording: Recording,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main_module, "replay_plain", interrupted)
    code, out, err = _run_cli(capsys, "replay", str(recording("react")))
    assert (code, out, err) == (130, "", "")


def test_run_status_values_are_printed_as_in_the_model() -> None:
    # The plain log and the report print RunStatus values; keep them readable.
    assert str(RunStatus.AWAITING_APPROVAL) == "awaiting_approval"


# ------------------------------------------------------------------------------ helpers


def _render(view: LiveView, *, final: bool = False) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    console.print(view.render(final=final))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def _strip_sgr(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
