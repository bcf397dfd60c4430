#!/usr/bin/env python3
"""Regenerate the Loom stream recordings in this directory (deterministic, no dependencies).

The real emitter (Rust, ``hi-youichi/loom``, ``dev`` @ 8492021) could not be built here, so this
script is a faithful model of what it writes, checked against its source.
Run ``python examples/recordings/make_loom_recordings.py`` to rewrite every ``loom-*.ndjson``, the
bundled demo copy ``src/streamfold/data/demo-multi-agent.ndjson`` and ``loom-expected.json``.

How the model follows the emitter (file names are in the Loom repo):

* Envelope (``stream-event/src/envelope.rs``): :class:`EnvelopeState` is a line-by-line model.
  event_id starts at 1 and advances on every event. node_id becomes ``run-{id}-{seq}`` at
  node_enter and stays set (it is not cleared at node_exit). Before the first enter it is ``run-0``.
  The reply envelope uses event_id = last + 1 and does not advance. Envelope keys are inserted
  with ``or_insert``, so they never overwrite payload keys.
* Serde shapes (``stream-event/src/event.rs``): ``Option`` fields are written as explicit
  ``null``. The one exception is ``tool_end.raw_result``, which is left out when absent.
* CLI path (``loom/src/cli_run/agent.rs`` ``to_protocol_format`` -> ``cli/src/output.rs``):
  each event becomes a ``serde_json::Value`` and is read back through
  ``ProtocolEventEnvelope::from_value``. No crate in the workspace turns on serde_json's
  ``preserve_order``, so objects are BTreeMaps and **CLI lines have their keys sorted**. The same
  round trip turns ``f32`` into ``f64``, so ToT scores print as ``0.800000011920929`` and not
  ``0.8``. A ``got_expand`` payload carries its own ``node_id``. ``from_value`` hands that key to
  the envelope field, the flattened event then fails with "missing field `node_id`", and the CLI
  prints ``{"_serialize_error":...,"type":"_error"}`` with no envelope. The event_id was already
  used, so the next line skips one.
* serve path (``serve/src/run/{stream,delivery}.rs``): ``ProtocolEventEnvelope`` is serialized
  as a struct, so keys come in the order ``session_id,node_id,event_id,type,<payload fields in
  declaration order>``. Nested JSON values are still sorted. Files marked "serve" hold the
  ``event`` object of each ``run_stream_event`` frame, with the wrapper removed. ``run_end`` is
  unwrapped to ``{reply,reasoning_content?,session_id,node_id,event_id}``. An event whose
  conversion fails (got_expand) is dropped without a line. session_id is ``run-<uuid v4>``;
  serve does not use ``run-<nanos>``.
* Graph loop (``loom/src/graph/compiled.rs``): node_enter -> node events -> node_exit{result}
  -> values{full state} -> updates{id, full state}. A checkpoint follows at END and at an
  interrupt; for an interrupt it comes before the failing node_exit and holds the state from
  before the node ran.
* ReAct (``loom/src/agent/react/*``, runner ``runner/runner.rs``): the graph is
  think -> title (first think of a thread only, makes no events) -> act -> observe -> compress
  (makes no events) -> think. In think, ``thought_chunk``/``message_chunk`` and
  ``tool_call_chunk`` are forwarded at the same time (``tokio::join!``), so they can interleave.
  The first chunk of a call carries ``call_id``+``name`` and ``arguments_delta:""``; later
  chunks carry ``null`` for both. Next come ``tool_call`` lines sorted by tool name
  (``ToolCallAccumulator::finish``), then one ``usage`` per LLM call. act sends
  ``tool_start``/``tool_end`` with the state's call ids: ``apply_think`` replaces a missing id
  with ``call_<uuid6>``. So start and end always have an id even when ``tool_call`` has
  ``call_id:null``. On dev a tool's raw text is ``serde_json::to_string(ToolCallContent)``:
  plain text arrives JSON-quoted and an edit arrives as a ``{"type":"diff",...}`` text. The
  display text is cut at 1000 characters (plus "...") and ``raw_result`` is present only when it
  differs from the display text.
* The CLI reply line (``cli/src/output.rs``) is
  ``{reply, reasoning_content?, session_id=<thread id>, node_id, event_id, stop_reason}``.
  In single-turn mode a failed or interrupted run prints no reply line.
* REPL (``cli/src/repl.rs``, ``cli/src/run_flow.rs``): ``print!("> ")`` with no newline comes
  before every read. Each turn has a fresh EnvelopeState. On EOF the loop prints ``Bye.``
  straight after the last prompt.

Abbreviations, all shown in README.md: system prompts are shortened, and values/updates/
checkpoint states are complete ReActState/TotState/GotState objects with small contents.
All ids are derived from fixed seeds. All times are fixed constants.

``loom-multi-agent.ndjson`` is serve traffic with the wrappers removed. Sub-agent events are
forwarded into the stream only under serve/ACP (``any_stream_event_sender``); the CLI drops
them. It holds two serve connections whose frames were logged together (for example by a
proxy), merged in bursts.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Json = Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEMO_COPY = REPO_ROOT / "src" / "streamfold" / "data" / "demo-multi-agent.ndjson"
EXPECTED_FILE = HERE / "loom-expected.json"

ENVELOPE_KEYS = ("session_id", "node_id", "event_id")
MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------------------------
# Deterministic ids and JSON helpers


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode("utf-8")).digest()


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def openai_call_id(label: str) -> str:
    """An OpenAI-style tool call id (``call_`` + 24 base62 characters) derived from ``label``."""
    n = int.from_bytes(_digest(label), "big")
    chars = []
    for _ in range(24):
        n, r = divmod(n, 62)
        chars.append(_B62[r])
    return "call_" + "".join(chars)


def _uuid_text(v: int) -> str:
    h = f"{v:032x}"
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def uuid4_from(label: str) -> str:
    """A v4-shaped UUID derived from ``label`` (serve's ``Uuid::new_v4``, web UI ids)."""
    v = int.from_bytes(_digest(label)[:16], "big")
    v = (v & ~(0xF << 76)) | (0x4 << 76)
    v = (v & ~(0x3 << 62)) | (0x2 << 62)
    return _uuid_text(v)


def _xorshift48(seed: int) -> int:
    s = (seed & MASK64) ^ 0xDEAD_BEEF_CAFE_BABE
    s ^= (s << 13) & MASK64
    s ^= s >> 7
    s ^= (s << 17) & MASK64
    return s & 0xFFFF_FFFF_FFFF


def uuid6_at(nanos: int) -> str:
    """Loom's ``memory/uuid6.rs`` layout at a given wall clock (checkpoint ids, call_<uuid6>)."""
    ts = nanos // 100 + 0x01B2_1DD2_1381_4000
    node = _xorshift48(nanos)
    clock_seq = _xorshift48(nanos + 917) & 0x3FFF
    v = (((ts >> 12) & 0xFFFF_FFFF_FFFF) << 80) | ((ts & 0x0FFF) << 64)
    v |= (clock_seq & 0x3FFF) << 48
    v |= node & 0xFFFF_FFFF_FFFF
    v = (v & ~(0xC000 << 48)) | (0x8000 << 48)
    v = (v & ~(0xF000 << 64)) | (6 << 76)
    return _uuid_text(v)


def canon(value: Json) -> Json:
    """A JSON value as ``serde_json::Value`` holds it: every object sorted by key (BTreeMap)."""
    if isinstance(value, dict):
        return {k: canon(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


def dumps(value: Json, *, sort_keys: bool = False) -> str:
    """``serde_json::to_string``: compact, UTF-8 kept as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


def f32(x: float) -> float:
    """Round to IEEE binary32, as a Rust ``f32`` holds it (printed later via ``f32 as f64``)."""
    rounded: float = struct.unpack("<f", struct.pack("<f", x))[0]
    return rounded


def rust_str_debug(s: str) -> str:
    """Rust ``{:?}`` of a ``str``."""
    out = ['"']
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rust_value_debug(v: Json) -> str:
    """``format!("{:?}", serde_json::Value)`` (``Object {"k": String("v")}`` style)."""
    if v is None:
        return "Null"
    if isinstance(v, bool):
        return f"Bool({'true' if v else 'false'})"
    if isinstance(v, int | float):
        return f"Number({json.dumps(v)})"
    if isinstance(v, str):
        return f"String({rust_str_debug(v)})"
    if isinstance(v, list):
        return "Array [" + ", ".join(rust_value_debug(x) for x in v) + "]"
    if isinstance(v, dict):
        items = ", ".join(f"{rust_str_debug(k)}: {rust_value_debug(v[k])}" for k in sorted(v))
        return "Object {" + items + "}"
    raise TypeError(type(v))


def words(text: str) -> list[str]:
    """Split text into word-sized stream chunks (leading whitespace kept with the word)."""
    parts: list[str] = re.findall(r"\s*\S+|\s+$", text)
    assert "".join(parts) == text
    return parts


def fragments(text: str, sizes: Sequence[int] = (6, 9, 4, 11, 7, 5, 13, 8)) -> list[str]:
    """Split a tool-argument JSON text the way providers stream it (uneven small pieces)."""
    out: list[str] = []
    i = 0
    k = 0
    while i < len(text):
        n = sizes[k % len(sizes)]
        out.append(text[i : i + n])
        i += n
        k += 1
    return out


# --------------------------------------------------------------------------------------------
# Envelope model (stream-event/src/envelope.rs)


class EnvelopeState:
    """Loom's per-stream envelope state: one per run (CLI turn or serve run)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.current_node_id = ""
        self.node_run_seq = 0
        self.next_event_id = 1

    def active_node_id(self) -> str:
        return self.current_node_id if self.current_node_id else "run-0"

    def inject(self, payload: Mapping[str, Json]) -> dict[str, Json]:
        """``EnvelopeState::inject_into``: set node_id on node_enter, add envelope keys without
        overwriting payload keys, advance event_id."""
        if payload.get("type") == "node_enter":
            node = payload.get("id")
            name = node if isinstance(node, str) else ""
            self.current_node_id = f"run-{name}-{self.node_run_seq}"
            self.node_run_seq += 1
        envelope = {
            "session_id": self.session_id,
            "node_id": self.active_node_id(),
            "event_id": self.next_event_id,
        }
        self.next_event_id += 1
        value = dict(payload)
        for key, v in envelope.items():
            value.setdefault(key, v)
        return value

    def reply_envelope(self) -> dict[str, Json]:
        """``EnvelopeState::reply_envelope``: event_id = last + 1, state not advanced."""
        return {
            "session_id": self.session_id,
            "node_id": self.active_node_id(),
            "event_id": self.next_event_id,
        }


def roundtrip_error(payload: Mapping[str, Json]) -> str | None:
    """Why ``ProtocolEventEnvelope::from_value`` rejects this event, if it does.

    The struct's own ``session_id``/``node_id``/``event_id`` fields take those keys before the
    flattened event sees them; an event whose payload needs one of them (only ``got_expand``'s
    ``node_id``) then fails with serde's "missing field" error."""
    for key in ENVELOPE_KEYS:
        if key in payload:
            return f"missing field `{key}`"
    return None


# --------------------------------------------------------------------------------------------
# Expected facts (what a reducer should derive), collected from what is actually written


@dataclass
class RunFacts:
    session_id: str
    conversation_id: str
    status: str = "failed"
    spans: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    tools: dict[str, str] = field(default_factory=dict)
    reply: str | None = None
    last_event_id: int | None = None
    missing: list[tuple[int, int]] = field(default_factory=list)

    def observe(self, value: Mapping[str, Json], tool_key: str | None = None) -> None:
        eid = value.get("event_id")
        if isinstance(eid, int):
            if self.last_event_id is not None and eid > self.last_event_id + 1:
                self.missing.append((self.last_event_id + 1, eid))
            self.last_event_id = eid
        if "reply" in value and "type" not in value:
            self.reply = str(value["reply"])
            sid = value.get("session_id")
            if isinstance(sid, str):
                self.conversation_id = sid
            self.status = "cancelled" if value.get("stop_reason") == "cancelled" else "completed"
            self._finish_tools()
            return
        kind = value.get("type")
        if kind == "node_enter":
            self.spans += 1
        elif kind == "usage":
            self.prompt_tokens += int(value["prompt_tokens"])
            self.completion_tokens += int(value["completion_tokens"])
            self.total_tokens += int(value["total_tokens"])
        elif isinstance(kind, str) and kind.startswith("tool_"):
            key = tool_key or value.get("call_id") or value.get("name") or "?"
            state = {
                "tool_call_chunk": "input-streaming",
                "tool_call": "input-complete",
                "tool_approval": "approval-requested",
                "tool_start": "running",
                "tool_output": "running",
            }.get(kind)
            if kind == "tool_end":
                state = "error" if value.get("is_error") else "complete"
            if state is not None and not (kind == "tool_call_chunk" and key in self.tools):
                self.tools[str(key)] = state

    def _finish_tools(self) -> None:
        for key, state in self.tools.items():
            if state == "running":
                self.tools[key] = "cancelled"

    def end_without_reply(self, status: str) -> None:
        self.status = status
        self._finish_tools()


@dataclass
class Run:
    env: EnvelopeState
    facts: RunFacts
    thread_id: str | None


@dataclass
class Recording:
    name: str
    transport: str
    lines: list[str] = field(default_factory=list)
    runs: list[RunFacts] = field(default_factory=list)
    duplicates: int = 0
    error_lines: int = 0

    def new_run(self, session_id: str, thread_id: str | None) -> Run:
        facts = RunFacts(session_id=session_id, conversation_id=session_id)
        self.runs.append(facts)
        return Run(EnvelopeState(session_id), facts, thread_id)


# --------------------------------------------------------------------------------------------
# Transports


Emit = Callable[[dict[str, Json], "str | None"], None]


class CliStdout:
    """``loom --json`` stdout: ``make_stream_out`` lines plus ``emit_run_output``'s reply line."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.text: list[str] = []

    def write(self, text: str) -> None:
        self.text.append(text)

    def emitter(self, run: Run) -> Emit:
        def emit(payload: dict[str, Json], tool_key: str | None = None) -> None:
            value = run.env.inject(payload)
            err = roundtrip_error(payload)
            if err is not None:
                self.write(dumps({"type": "_error", "_serialize_error": err}, sort_keys=True))
                self.write("\n")
                self.recording.error_lines += 1
                return
            self.write(dumps(canon(value), sort_keys=True) + "\n")
            run.facts.observe(value, tool_key)

        return emit

    def reply(self, run: Run, reply: str, reasoning: str | None, stop_reason: str) -> None:
        out: dict[str, Json] = {"reply": reply}
        if reasoning is not None:
            out["reasoning_content"] = reasoning
        for key, v in run.env.reply_envelope().items():
            out.setdefault(key, v)
        out["stop_reason"] = stop_reason
        if run.thread_id is not None:
            out["session_id"] = run.thread_id
        self.write(dumps(out, sort_keys=True) + "\n")
        run.facts.observe(out)

    def finish(self) -> None:
        text = "".join(self.text)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.recording.lines.extend(lines)


class ServeConnection:
    """One ``loom serve`` WebSocket run, wrapper frames removed (see module docstring)."""

    def __init__(
        self,
        recording: Recording,
        drop: Callable[[Mapping[str, Json]], bool] = lambda value: False,
    ) -> None:
        self.recording = recording
        self.lines: list[str] = []
        self.drop = drop
        self.dropped: list[int] = []

    def emitter(self, run: Run) -> Emit:
        def emit(payload: dict[str, Json], tool_key: str | None = None) -> None:
            value = run.env.inject(payload)
            if roundtrip_error(payload) is not None:
                return  # process_run_stream_event: `let Ok(..) = .. else { return }`
            if self.drop(value):
                self.dropped.append(value["event_id"])
                return  # tx.try_send failed: queue full, event dropped after id assignment
            frame: dict[str, Json] = {k: value[k] for k in ENVELOPE_KEYS}
            for key, v in payload.items():
                frame[key] = canon(v)
            self.lines.append(dumps(frame))
            run.facts.observe(value, tool_key)

        return emit

    def run_end(self, run: Run, reply: str, reasoning: str | None) -> None:
        frame: dict[str, Json] = {"reply": reply}
        if reasoning is not None:
            frame["reasoning_content"] = reasoning
        frame.update(run.env.reply_envelope())
        self.lines.append(dumps(frame))
        run.facts.observe(frame)


# --------------------------------------------------------------------------------------------
# Clock (fixed, advanced explicitly by the scenarios)


class Clock:
    def __init__(self, unix_ms: int) -> None:
        # Sub-millisecond part derived from the start time, so ids do not share a suffix.
        self.nanos = unix_ms * 1_000_000 + int.from_bytes(_digest(str(unix_ms))[:4]) % 1_000_000

    def advance(self, ms: int) -> None:
        self.nanos += ms * 1_000_000 + 4_093

    @property
    def ms(self) -> int:
        return self.nanos // 1_000_000


# --------------------------------------------------------------------------------------------
# ReAct state helpers (loom/src/state/react_state.rs, loom/src/message.rs)


def workdir_prompt(folder: str, prefix: str | None = None, approval: str | None = None) -> str:
    """``assemble_react_system_prompt`` with an empty base prompt (``REACT_SYSTEM_PROMPT = ""``)."""
    base = f"\nWORKING FOLDER & FILE RULES:\n- Working folder path: {folder}\n"
    if approval is not None:
        base += "\n\n" + approval
    return f"{prefix}\n\n{base}" if prefix else base


def usage_obj(prompt: int, completion: int) -> dict[str, Json]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def new_react_state(system: str, user: str) -> dict[str, Json]:
    return {
        "model_config": {"model_id": "", "tier": "none"},
        "messages": [{"System": system}, {"User": user}],
        "last_reasoning_content": None,
        "tool_calls": [],
        "tool_results": [],
        "turn_count": 0,
        "approval_result": None,
        "usage": None,
        "total_usage": None,
        "message_count_after_last_think": None,
        "think_count": 0,
        "summary": None,
        "should_continue": True,
    }


def assistant_message(
    content: str, tool_calls: Sequence[Mapping[str, Json]], reasoning: str | None
) -> dict[str, Json]:
    """``Message::Assistant``: a bare string unless it has tool calls or reasoning."""
    if not tool_calls and reasoning is None:
        return {"Assistant": content}
    payload: dict[str, Json] = {"content": content}
    if tool_calls:
        payload["tool_calls"] = [
            {"id": tc["id"], "name": tc["name"], "arguments": tc["arguments"]} for tc in tool_calls
        ]
    if reasoning is not None:
        payload["reasoning_content"] = reasoning
    return {"Assistant": payload}


def snapshot(state: Json) -> Json:
    return json.loads(json.dumps(state))


def truncate_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def parse_tool_arguments(arguments: str) -> Json:
    """``act_node.rs::parse_tool_arguments``."""
    if not arguments.strip():
        return {}
    try:
        raw = json.loads(arguments)
    except ValueError:
        return {}
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


DISPLAY_LIMIT = 1000
INLINE_LIMIT = 4000
OBSERVATION_BUDGET = 8000
ERROR_TEMPLATE = (
    "Error executing tool '{tool_name}' with kwargs {tool_kwargs} with error:\n {error}\n"
    " Please fix the error and try again."
)


def inline_tool_result(
    call_id: str, name: str, raw_text: str, is_error: bool, used: int
) -> tuple[dict[str, Json], str, str | None]:
    """``normalize_tool_output`` for outputs that stay Inline; returns (ToolResult, display,
    raw_result)."""
    assert len(raw_text) <= INLINE_LIMIT and len(raw_text) <= OBSERVATION_BUDGET - used
    display = truncate_text(raw_text, DISPLAY_LIMIT)
    result = {
        "call_id": call_id,
        "name": name,
        "content": raw_text,
        "is_error": is_error,
        "raw_content": raw_text,
        "observation_text": raw_text,
        "display_text": display,
        "strategy": "inline",
        "raw_chars": len(raw_text),
        "observation_chars": len(raw_text),
        "truncated": False,
    }
    raw_result = None if is_error or display == raw_text else raw_text
    return result, display, raw_result


@dataclass(frozen=True)
class LlmToolCall:
    """One tool call as the LLM streams it (stream index = position in the think call list)."""

    name: str
    arguments: Json
    call_id: str | None

    @property
    def arguments_text(self) -> str:
        return dumps(self.arguments)


@dataclass(frozen=True)
class Ok:
    """Tool success: text, or a diff (``ToolCallContent::Diff``)."""

    text: str | None = None
    diff: tuple[str, str | None, str] | None = None

    def raw_text(self) -> str:
        if self.diff is not None:
            path, old, new = self.diff
            return dumps({"type": "diff", "path": path, "old_text": old, "new_text": new})
        assert self.text is not None
        return dumps(self.text)


@dataclass(frozen=True)
class Fail:
    """Tool error (``ToolSourceError`` Display)."""

    error: str


@dataclass(frozen=True)
class CancelDuring:
    """The run is cancelled while this tool runs (no tool_end)."""


@dataclass(frozen=True)
class SubAgent:
    """``invoke_agent``: the child's events go into the same stream, then this reply."""

    run_child: Callable[[], str]


Outcome = Ok | Fail | CancelDuring | SubAgent


class NodeError(Exception):
    """A node returned ``Err``; ``message`` is the Display text in ``node_exit``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunStopped(Exception):
    """The graph run ended with an error after the failing node_exit."""


class ReactSim:
    """Drives a ReAct graph run and emits exactly the events Loom emits for it."""

    def __init__(
        self,
        emit: Emit,
        state: dict[str, Json],
        clock: Clock,
        *,
        thread_id: str | None,
        approval_tools: frozenset[str] = frozenset(),
    ) -> None:
        self.emit = emit
        self.state = state
        self.clock = clock
        self.thread_id = thread_id
        self.approval_tools = approval_tools

    # graph loop ---------------------------------------------------------------------------

    def _node(self, name: str, body: Callable[[], dict[str, Json]]) -> None:
        self.emit({"type": "node_enter", "id": name}, None)
        try:
            new_state = body()
        except NodeError as exc:
            self.emit({"type": "node_exit", "id": name, "result": {"Err": exc.message}}, None)
            raise RunStopped(exc.message) from None
        self.emit({"type": "node_exit", "id": name, "result": "Ok"}, None)
        self.state = new_state
        self.emit({"type": "values", "state": snapshot(self.state)}, None)
        self.emit({"type": "updates", "id": name, "state": snapshot(self.state)}, None)

    def checkpoint(self, state: Json) -> None:
        if self.thread_id is None:
            return
        self.emit(
            {
                "type": "checkpoint",
                "checkpoint_id": uuid6_at(self.clock.nanos),
                "timestamp": str(self.clock.ms),
                "step": 0,
                "state": snapshot(state),
                "thread_id": self.thread_id,
                "checkpoint_ns": None,
            },
            None,
        )

    def end(self) -> None:
        """Graph reached END: checkpoint (the CLI always has a thread)."""
        self.clock.advance(12)
        self.checkpoint(self.state)

    def reply(self) -> tuple[str, str | None]:
        """``last_assistant_reply`` / ``last_reasoning_content`` of the final state."""
        text = ""
        for msg in reversed(self.state["messages"]):
            if "Assistant" in msg:
                a = msg["Assistant"]
                text = a if isinstance(a, str) else a["content"]
                break
        return text, self.state["last_reasoning_content"]

    # nodes ----------------------------------------------------------------------------------

    def think(
        self,
        *,
        reasoning: str = "",
        text: str = "",
        calls: Sequence[LlmToolCall] = (),
        usage: tuple[int, int] | None = None,
        interleave: int = 0,
        fail_after: int | None = None,
        fail_error: str = "",
        duration_ms: int = 2400,
    ) -> None:
        def body() -> dict[str, Json]:
            self.clock.advance(duration_ms)
            # State ids: the LLM id, or call_<uuid6> (normalize_tool_call_ids in apply_think).
            state_ids: list[str] = []
            for i, call in enumerate(calls):
                if call.call_id is not None:
                    state_ids.append(call.call_id)
                else:
                    state_ids.append("call_" + uuid6_at(self.clock.nanos + 1_000 * (i + 1)))
            thoughts = (
                [{"type": "thought_chunk", "content": c, "id": "think"} for c in words(reasoning)]
                if reasoning
                else []
            )
            messages = (
                [{"type": "message_chunk", "content": c, "id": "think"} for c in words(text)]
                if text
                else []
            )
            tool_chunks: list[tuple[dict[str, Json], str]] = []
            for call, sid in zip(calls, state_ids, strict=True):
                if call.call_id is not None:
                    tool_chunks.append(
                        (
                            {
                                "type": "tool_call_chunk",
                                "call_id": call.call_id,
                                "name": call.name,
                                "arguments_delta": "",
                            },
                            sid,
                        )
                    )
                # else: first delta has no id and empty arguments -> not forwarded.
                for piece in fragments(call.arguments_text):
                    tool_chunks.append(
                        (
                            {
                                "type": "tool_call_chunk",
                                "call_id": None,
                                "name": None,
                                "arguments_delta": piece,
                            },
                            sid,
                        )
                    )
            stream: list[tuple[dict[str, Json], str | None]] = [(t, None) for t in thoughts]
            head = len(messages) - interleave
            stream.extend((m, None) for m in messages[:head])
            tail = [(m, None) for m in messages[head:]]
            pending: list[tuple[dict[str, Json], str | None]] = [(c, k) for c, k in tool_chunks]
            while tail or pending:
                if pending:
                    stream.append(pending.pop(0))
                if tail:
                    stream.append(tail.pop(0))
            if fail_after is not None:
                for payload, key in stream[:fail_after]:
                    self.emit(payload, key)
                raise NodeError(f"execution failed: {fail_error}")
            for payload, key in stream:
                self.emit(payload, key)
            content = text if text else reasoning
            ordered = sorted(
                zip(calls, state_ids, strict=True), key=lambda pair: pair[0].name
            )  # ToolCallAccumulator::finish sorts by name
            for call, sid in ordered:
                self.emit(
                    {
                        "type": "tool_call",
                        "call_id": call.call_id,
                        "name": call.name,
                        "arguments": call.arguments,
                    },
                    sid,
                )
            st = snapshot(self.state)
            u = usage_obj(*usage) if usage is not None else None
            total = st["total_usage"]
            if u is not None:
                st["usage"] = u
                st["total_usage"] = (
                    dict(u)
                    if total is None
                    else usage_obj(
                        total["prompt_tokens"] + u["prompt_tokens"],
                        total["completion_tokens"] + u["completion_tokens"],
                    )
                )
            else:
                st["usage"] = None
            tool_calls = [
                {"name": call.name, "arguments": call.arguments_text, "id": sid}
                for call, sid in ordered
            ]
            st["messages"].append(
                assistant_message(content, tool_calls, reasoning if reasoning else None)
            )
            st["last_reasoning_content"] = reasoning if reasoning else None
            st["tool_calls"] = tool_calls
            st["message_count_after_last_think"] = len(st["messages"])
            st["think_count"] += 1
            if u is not None:
                self.emit({"type": "usage", **u}, None)
            return dict(st)

        self._node("think", body)

    def title(self, summary: str) -> None:
        assert self.state["think_count"] == 1 and self.state["summary"] is None
        assert len(summary) <= 50

        def body() -> dict[str, Json]:
            self.clock.advance(900)
            st = snapshot(self.state)
            st["summary"] = summary
            return dict(st)

        self._node("title", body)

    def act(self, outcomes: Mapping[str, Outcome]) -> None:
        def body() -> dict[str, Json]:
            st = snapshot(self.state)
            results: list[dict[str, Json]] = []
            used = 0
            for tc in st["tool_calls"]:
                name, call_id = tc["name"], tc["id"]
                args = parse_tool_arguments(tc["arguments"])
                if name in self.approval_tools and st["approval_result"] is None:
                    self.emit(
                        {
                            "type": "tool_approval",
                            "call_id": call_id,
                            "name": name,
                            "arguments": args,
                        },
                        call_id,
                    )
                    interrupt = {
                        "type": "approval_required",
                        "node_id": "act",
                        "tool_name": name,
                        "call_id": call_id,
                        "arguments": args,
                    }
                    self.clock.advance(3)
                    self.checkpoint(self.state)  # state before the node ran
                    raise NodeError("interrupted: " + rust_value_debug(interrupt))
                self.emit({"type": "tool_start", "call_id": call_id, "name": name}, call_id)
                outcome = outcomes[name]
                self.clock.advance(350)
                if isinstance(outcome, CancelDuring):
                    raise NodeError("run cancelled")
                if isinstance(outcome, SubAgent):
                    outcome = Ok(text=outcome.run_child())
                if isinstance(outcome, Ok):
                    raw = outcome.raw_text()
                    result, display, raw_result = inline_tool_result(
                        call_id, name, raw, False, used
                    )
                    end: dict[str, Json] = {
                        "type": "tool_end",
                        "call_id": call_id,
                        "name": name,
                        "result": display,
                        "is_error": False,
                    }
                    if raw_result is not None:
                        end["raw_result"] = raw_result
                else:
                    text = ERROR_TEMPLATE.format(
                        tool_name=name, tool_kwargs=dumps(canon(args)), error=outcome.error
                    )
                    result, display, _ = inline_tool_result(call_id, name, text, True, used)
                    end = {
                        "type": "tool_end",
                        "call_id": call_id,
                        "name": name,
                        "result": display,
                        "is_error": True,
                    }
                used += len(result["observation_text"])
                results.append(result)
                self.emit(end, call_id)
            st["tool_results"] = results
            return dict(st)

        self._node("act", body)

    def observe(self) -> None:
        def body() -> dict[str, Json]:
            st = snapshot(self.state)
            for tr in st["tool_results"]:
                label = "error" if tr["is_error"] else "result"
                text = f"Tool {tr['name']} {label}:\n{tr['observation_text']}"
                st["messages"].append({"Tool": {"tool_call_id": tr["call_id"], "content": text}})
            st["tool_calls"] = []
            st["tool_results"] = []
            st["turn_count"] += 1
            return dict(st)

        self._node("observe", body)

    def compress(self) -> None:
        self._node("compress", lambda: dict(snapshot(self.state)))


def continue_thread(state: dict[str, Json], user: str) -> dict[str, Json]:
    """``load_from_checkpoint_or_build``: checkpointed state plus the new user message."""
    st: dict[str, Json] = snapshot(state)
    st["messages"].append({"User": user})
    st["tool_calls"] = []
    st["tool_results"] = []
    return st


def grep_output(matches: Sequence[tuple[str, int, str]]) -> str:
    """``grep`` tool text. grep-searcher hands each line over with its ``\\n``, so entries are
    followed by blank lines once joined with ``\\n``."""
    lines = [f"Found {len(matches)} matches"]
    current = ""
    for path, num, text in matches:
        if path != current:
            if current:
                lines.append("")
            current = path
            lines.append(f"{path}:")
        lines.append(f"  Line {num}: {text}\n")
    return "\n".join(lines)


def read_output(source: str, offset: int = 0) -> str:
    """``read`` tool text: ``  {n}\\t{line}\\n`` per line of the file."""
    return "".join(f"  {offset + i + 1}\t{line}\n" for i, line in enumerate(source.split("\n")))


# --------------------------------------------------------------------------------------------
# Scenario: loom-react-parallel-tools (CLI, first turn of a thread)

WEATHER = "/home/ada/src/weather-cli"

CLI_RS = """use clap::{Parser, Subcommand};

/// Command-line weather client.
#[derive(Parser, Debug)]
#[command(name = "weather-cli", version, about)]
pub struct Cli {
    /// Location name or "lat,lon".
    #[arg(short, long, global = true, default_value = "Berlin")]
    pub location: String,

    /// Print raw JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Current conditions.
    Current,
    /// Daily forecast.
    Forecast(ForecastArgs),
}

#[derive(clap::Args, Debug)]
pub struct ForecastArgs {
    /// Number of days to show.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub days: u8,

    /// Temperature unit (celsius or fahrenheit).
    #[arg(long)]
    pub unit: Option<String>,
}
"""

PARALLEL_FINAL = (
    "The panic comes from `src/forecast.rs`, line 21: `&provider.daily[..days]` slices the "
    "daily forecast with the raw `--days` value, but the upstream API only returns 7 daily "
    "entries. `src/cli.rs` accepts `--days` in `1..=16`, so any value above 7 panics with "
    "`range end index 10 out of range for slice of length 7`.\n\n"
    "Fix: clamp before slicing, e.g. `let days = days.min(provider.daily.len());` and print a "
    "note when the request was cut, or tighten the clap range to `1..=7`. Clamping is "
    "friendlier: `--days 10` then shows the 7 available days (about 18°C highs this week)."
)


def cli_react_turn(
    name: str,
    start_ms: int,
    startup_ms: int,
    user: str,
    *,
    thread: str | None = None,
    approval_tools: frozenset[str] = frozenset(),
) -> tuple[Recording, CliStdout, Run, ReactSim]:
    """The common start of a CLI single-turn ReAct scenario: ``loom --json -m USER``.

    The thread id is ``session-<ms>`` (generate_session_id, before the run starts) unless
    ``--session-id`` gave one; the run's session id is ``run-<nanos>`` ``startup_ms`` later.
    """
    rec = Recording(name, "cli")
    out = CliStdout(rec)
    clock = Clock(start_ms)
    thread = thread or f"session-{clock.ms}"
    clock.advance(startup_ms)
    run = rec.new_run(f"run-{clock.nanos}", thread)
    prompt = workdir_prompt(WEATHER, approval=APPROVAL_TEXT if approval_tools else None)
    state = new_react_state(prompt, user)
    sim = ReactSim(out.emitter(run), state, clock, thread_id=thread, approval_tools=approval_tools)
    return rec, out, run, sim


def scenario_parallel_tools() -> Recording:
    rec, out, run, sim = cli_react_turn(
        "loom-react-parallel-tools.ndjson",
        1_732_150_000_000,
        418,
        "Why does `weather-cli forecast --days 10` panic? Check the argument parsing and the "
        "forecast module.",
    )
    sim.think(
        reasoning=(
            "A panic with a larger --days value smells like an unchecked slice or index. I "
            "need the clap definition for the allowed range and every place `days` is used."
        ),
        text="I'll read the CLI definition and search the sources for how `days` is used.",
        calls=[
            LlmToolCall("read", {"path": "src/cli.rs"}, openai_call_id("parallel/read")),
            LlmToolCall(
                "grep", {"pattern": "days", "path": "src"}, openai_call_id("parallel/grep")
            ),
        ],
        usage=(1412, 163),
        interleave=5,
    )
    sim.title("Debug forecast --days 10 panic")
    sim.act(
        {
            "grep": Ok(
                text=grep_output(
                    [
                        (
                            f"{WEATHER}/src/forecast.rs",
                            18,
                            "    let days = usize::from(args.days);",
                        ),
                        (
                            f"{WEATHER}/src/forecast.rs",
                            21,
                            "    let slots = &provider.daily[..days];",
                        ),
                        (f"{WEATHER}/src/cli.rs", 29, "    pub days: u8,"),
                        (
                            f"{WEATHER}/src/main.rs",
                            14,
                            "        Command::Forecast(args) => forecast::run(&args, &cfg)?,",
                        ),
                    ]
                )
            ),
            "read": Ok(text=read_output(CLI_RS)),
        }
    )
    sim.observe()
    sim.compress()
    sim.think(
        reasoning=(
            "grep shows `&provider.daily[..days]` with days taken straight from the CLI. The "
            "API returns 7 daily entries and clap allows up to 16, so 10 slices past the end."
        ),
        text=PARALLEL_FINAL,
        usage=(3377, 241),
        duration_ms=5200,
    )
    sim.end()
    reply, reasoning = sim.reply()
    out.reply(run, reply, reasoning, "end_turn")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-multi-agent (serve, parent + invoke_agent child, interleaved second session)

APP = "/srv/app"
EXPLORE_ROLE = (
    "You are a file search specialist. Find, search and read files, report absolute paths "
    "and change nothing."
)

CHILD_FINAL = (
    "Findings:\n"
    "- /srv/app/tests/integration/harness.rs:42 waits for the mock server with "
    "`wait_for_port(PORT, Duration::from_secs(5))`, but the server binds only after its "
    "migrations, which take 4-9 s on the nightly runner.\n"
    "- /srv/app/.github/workflows/nightly.yml:31 sets `timeout-minutes: 20`; the harness "
    "retry loop spins until then.\n"
    "Likely cause: the 5 s readiness wait races the migrations."
)

PARENT_FINAL = (
    "The flaky nightly `integration` job is a startup race, not a slow test.\n\n"
    "**Cause.** `tests/integration/harness.rs` (line 42) gives the mock server 5 seconds to "
    "open its port, but the server runs migrations first, and on the nightly runner those "
    "take 4 to 9 seconds. When they run long, the harness retries until the job hits "
    "`timeout-minutes: 20`.\n\n"
    "**Fix.** Wait on `/healthz` with a 30 second budget instead, or run the migrations in "
    "a separate step before the server starts.\n\n"
    "Want me to prepare the harness change?"
)

SESSION_B_FINAL = (
    "The last five commits that touched `config/loom.toml`:\n\n"
    "- `9c1e0d2` raise retry_backoff cap to 30s for the eu mirror\n"
    "- `51f7a3b` make retry_backoff exponential (base 2)\n"
    "- `e04b9c8` add jitter to retry_backoff\n"
    "- `77ad210` move retry settings under [http]\n"
    "- `3b6c5f1` introduce retry_backoff (fixed 2s)\n\n"
    "It went from a fixed 2 s delay to capped exponential backoff with jitter."
)


def run_child_explore(emit: Emit, parent_thread: str, clock: Clock) -> str:
    """The ``explore`` sub-agent started by invoke_agent (same stream, same EnvelopeState)."""
    task = (
        "In /srv/app, find why the nightly integration CI job intermittently times out. Look "
        "at .github/workflows/nightly.yml and tests/integration/. Report files, line numbers "
        "and the likely cause."
    )
    child = ReactSim(
        emit,
        new_react_state(workdir_prompt(APP, prefix=EXPLORE_ROLE), task),
        clock,
        thread_id=f"sub-{parent_thread}-explore-0",
    )
    child.think(
        reasoning="Start with timeout settings in the workflow and the test harness.",
        text="Searching the integration tests for timeouts and reading the nightly workflow.",
        calls=[
            LlmToolCall(
                "read",
                {"path": ".github/workflows/nightly.yml", "limit": 40},
                openai_call_id("multi/child/read"),
            ),
            LlmToolCall(
                "grep",
                {"pattern": "timeout|from_secs", "path": "tests/integration"},
                openai_call_id("multi/child/grep"),
            ),
        ],
        usage=(1864, 121),
        interleave=3,
        duration_ms=1900,
    )
    child.title("Find nightly integration timeout cause")
    child.act(
        {
            "grep": Ok(
                text=grep_output(
                    [
                        (
                            f"{APP}/tests/integration/harness.rs",
                            42,
                            "    wait_for_port(PORT, Duration::from_secs(5))?;",
                        ),
                        (
                            f"{APP}/tests/integration/harness.rs",
                            57,
                            "        std::thread::sleep(Duration::from_millis(50));",
                        ),
                    ]
                )
            ),
            "read": Ok(
                text=read_output(
                    "name: nightly\non:\n  schedule:\n    - cron: '17 2 * * *'\njobs:\n"
                    "  integration:\n    runs-on: ubuntu-latest\n    timeout-minutes: 20",
                    offset=24,
                )
            ),
        }
    )
    child.observe()
    child.compress()
    child.think(text=CHILD_FINAL, usage=(2511, 187), duration_ms=3100)
    child.end()
    return child.reply()[0]


def session_a(rec: Recording) -> ServeConnection:
    conn = ServeConnection(rec)
    clock = Clock(1_732_201_440_000)
    thread = uuid4_from("multi/thread-a")
    run = rec.new_run("run-" + uuid4_from("multi/run-a"), thread)
    emit = conn.emitter(run)
    user = (
        "The nightly `integration` CI job fails about once a week with a timeout. Find the "
        "cause and suggest a fix."
    )
    sim = ReactSim(emit, new_react_state(workdir_prompt(APP), user), clock, thread_id=thread)
    sim.think(
        reasoning=(
            "This needs a look through the CI config and the test harness. The explore agent "
            "can do the searching; I'll summarize its findings."
        ),
        text="I'll ask the explore agent to dig through the CI workflow and the integration tests.",
        calls=[
            LlmToolCall(
                "invoke_agent",
                {
                    "agents": [
                        {
                            "agent": "explore",
                            "task": (
                                "In /srv/app, find why the nightly integration CI job "
                                "intermittently times out. Look at "
                                ".github/workflows/nightly.yml and tests/integration/. Report "
                                "files, line numbers and the likely cause."
                            ),
                        }
                    ]
                },
                openai_call_id("multi/invoke_agent"),
            )
        ],
        usage=(2048, 139),
        interleave=4,
    )
    sim.title("Nightly integration job timeouts")
    sim.act({"invoke_agent": SubAgent(lambda: run_child_explore(emit, thread, clock))})
    sim.observe()
    sim.compress()
    sim.think(
        reasoning=(
            "The sub-agent found the 5 s port wait racing the migrations. Explain cause and "
            "fix concisely and offer to make the change."
        ),
        text=PARENT_FINAL,
        usage=(2866, 262),
        duration_ms=6100,
    )
    sim.end()
    reply, reasoning = sim.reply()
    conn.run_end(run, reply, reasoning)
    return conn


def session_b(rec: Recording) -> ServeConnection:
    """A follow-up turn in another thread (loaded from its checkpoint, so no title node)."""
    conn = ServeConnection(rec)
    clock = Clock(1_732_201_443_500)
    thread = uuid4_from("multi/thread-b")
    run = rec.new_run("run-" + uuid4_from("multi/run-b"), thread)
    prior = new_react_state(
        workdir_prompt("/home/ben/loom-proxy"),
        "What does `retry_backoff` in config/loom.toml control?",
    )
    prior["messages"].append(
        {
            "Assistant": (
                "`retry_backoff` sets the delay between retries of failed upstream requests "
                "in the `[http]` section."
            )
        }
    )
    prior.update(
        usage=usage_obj(812, 96),
        total_usage=usage_obj(812, 96),
        message_count_after_last_think=3,
        think_count=1,
        summary="retry_backoff in loom.toml",
    )
    state = continue_thread(prior, "Show me the last five commits that touched it.")
    sim = ReactSim(conn.emitter(run), state, clock, thread_id=thread)
    sim.think(
        text="Let me check the git history of that file.",
        calls=[
            LlmToolCall(
                "bash",
                {"command": "git log --oneline -5 -- config/loom.toml"},
                openai_call_id("multi/b/bash"),
            )
        ],
        usage=(1125, 58),
        duration_ms=1500,
    )
    sim.act(
        {
            "bash": Ok(
                text=(
                    "9c1e0d2 raise retry_backoff cap to 30s for the eu mirror\n"
                    "51f7a3b make retry_backoff exponential (base 2)\n"
                    "e04b9c8 add jitter to retry_backoff\n"
                    "77ad210 move retry settings under [http]\n"
                    "3b6c5f1 introduce retry_backoff (fixed 2s)\n"
                )
            )
        }
    )
    sim.observe()
    sim.compress()
    sim.think(text=SESSION_B_FINAL, usage=(1297, 131), duration_ms=2600)
    sim.end()
    reply, reasoning = sim.reply()
    conn.run_end(run, reply, reasoning)
    return conn


def interleave_bursts(
    a: Sequence[str],
    b: Sequence[str],
    a_bursts: Sequence[int],
    b_bursts: Sequence[int],
    lead: int,
) -> list[str]:
    """Merge two connections' frames as a logging proxy would: ``lead`` lines of ``a`` first,
    then alternating bursts."""
    out = list(a[:lead])
    i, j, k = lead, 0, 0
    while i < len(a) or j < len(b):
        nb = b_bursts[k % len(b_bursts)]
        out.extend(b[j : j + nb])
        j += nb
        na = a_bursts[k % len(a_bursts)]
        out.extend(a[i : i + na])
        i += na
        k += 1
    return out


def scenario_multi_agent() -> Recording:
    rec = Recording("loom-multi-agent.ndjson", "serve-unwrapped")
    a = session_a(rec)
    b = session_b(rec)
    rec.lines = interleave_bursts(
        a.lines, b.lines, a_bursts=(7, 4, 9, 5, 6, 3, 8), b_bursts=(3, 2, 4, 1, 3, 5), lead=12
    )
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-failed-run (CLI single turn; provider without tool call ids)


def scenario_failed_run() -> Recording:
    rec, out, run, sim = cli_react_turn(
        "loom-failed-run.ndjson",
        1_732_163_270_000,
        395,
        "Add a --json flag to the `current` subcommand.",
    )
    try:
        sim.think(
            text="First I'll look at how `current` renders its output.",
            calls=[LlmToolCall("read", {"path": "src/commands/current.rs"}, None)],
            usage=(1390, 44),
            duration_ms=1700,
        )
        sim.title("Add --json flag to current subcommand")
        sim.act(
            {"read": Fail(f"invalid arguments: file not found: {WEATHER}/src/commands/current.rs")}
        )
        sim.observe()
        sim.compress()
        sim.think(
            text=(
                "That file doesn't exist; the subcommands are probably implemented directly "
                "in `src/main.rs`. Let me"
            ),
            usage=(1533, 61),
            fail_after=14,
            fail_error="OpenAI-compat stream body: error decoding response body",
        )
    except RunStopped:
        run.facts.end_without_reply("failed")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-approval-stop (CLI; agent profile approval_policy: destructive_only)

APPROVAL_TEXT = (
    "APPROVAL: Before executing delete_file or remove_dir, output your plan and wait for the "
    "user to confirm. Do not delete anything until the user approves."
)


def scenario_approval_stop() -> Recording:
    rec, out, run, sim = cli_react_turn(
        "loom-approval-stop.ndjson",
        1_732_171_905_000,
        402,
        "Free up disk space in build/ - old release tarballs can go.",
        thread="cleanup-build",  # --session-id cleanup-build
        approval_tools=frozenset({"delete_file"}),
    )
    try:
        sim.think(
            reasoning="Check sizes first, remove the oldest release tarball, then list build/.",
            text="I'll check what is taking space, remove the 0.3.0 tarball and list what is left.",
            calls=[
                LlmToolCall("bash", {"command": "du -sh build/*"}, openai_call_id("approval/bash")),
                LlmToolCall(
                    "delete_file",
                    {"path": "build/weather-cli-0.3.0-x86_64.tar.gz"},
                    openai_call_id("approval/delete_file"),
                ),
                LlmToolCall("ls", {"path": "build"}, openai_call_id("approval/ls")),
            ],
            usage=(1466, 118),
            interleave=2,
        )
        sim.title("Free disk space in build/")
        sim.act(
            {
                "bash": Ok(
                    text=(
                        "412M\tbuild/cache\n38M\tbuild/weather-cli-0.3.0-x86_64.tar.gz\n"
                        "41M\tbuild/weather-cli-0.4.0-x86_64.tar.gz\n"
                    )
                ),
                "delete_file": Ok(text="ok"),
                "ls": Ok(text="cache\nweather-cli-0.4.0-x86_64.tar.gz"),
            }
        )
    except RunStopped:
        run.facts.end_without_reply("awaiting_approval")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-cancelled (cli::run_cli_turn with RunOptions.cancellation set)


def scenario_cancelled() -> Recording:
    rec, out, run, sim = cli_react_turn(
        "loom-cancelled.ndjson",
        1_732_178_811_000,
        377,
        "Build the release binary and tell me how big it is.",
    )
    try:
        sim.think(
            text="Building in release mode, then I'll check the binary size.",
            calls=[
                LlmToolCall(
                    "bash",
                    {"command": "cargo build --release && ls -lh target/release/weather-cli"},
                    openai_call_id("cancelled/bash"),
                )
            ],
            usage=(1371, 52),
            duration_ms=1300,
        )
        sim.title("Build release binary and check size")
        sim.act({"bash": CancelDuring()})
    except RunStopped:
        # RunCompletion::Cancelled -> reply "", no reasoning, stop_reason "cancelled".
        out.reply(run, "", None, "cancelled")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-repl-session (CLI -i --json, two turns, stdout with prompts)

CONFIG_OLD = """[location]
default = "Berlin"

[units]
temperature = "fahrenheit"
wind = "km/h"

[cache]
ttl_minutes = 30
"""


def scenario_repl() -> Recording:
    rec = Recording("loom-repl-session.ndjson", "cli")
    out = CliStdout(rec)
    thread = "weather-cli-dev"  # loom -i --json --session-id weather-cli-dev
    system = workdir_prompt(WEATHER)

    # Turn 1: a plain answer, first turn of the thread (think -> title -> END).
    out.write("> ")
    clock = Clock(1_732_186_002_000)
    run1 = rec.new_run(f"run-{clock.nanos}", thread)
    sim = ReactSim(
        out.emitter(run1),
        new_react_state(system, "hi! I'm cleaning up weather-cli's config today."),
        clock,
        thread_id=thread,
    )
    sim.think(
        reasoning="Greeting with context; offer help with the config.",
        text=(
            "Hi! Happy to help with the config. The defaults live in `config/default.toml`. "
            "Tell me what you want to change."
        ),
        usage=(1321, 47),
        duration_ms=1100,
    )
    sim.title("Cleaning up weather-cli config")
    sim.end()
    reply, reasoning = sim.reply()
    out.reply(run1, reply, reasoning, "end_turn")
    state_after_turn1 = sim.state

    # The user presses Enter on an empty line first: the REPL prints the prompt again.
    out.write("> ")
    out.write("> ")
    clock = Clock(1_732_186_047_000)
    run2 = rec.new_run(f"run-{clock.nanos}", thread)
    sim = ReactSim(
        out.emitter(run2),
        continue_thread(state_after_turn1, "Switch the default temperature unit to celsius."),
        clock,
        thread_id=thread,
    )
    sim.think(
        text="Changing the unit in `config/default.toml`.",
        calls=[
            LlmToolCall(
                "edit",
                {
                    "path": "config/default.toml",
                    "oldString": 'temperature = "fahrenheit"',
                    "newString": 'temperature = "celsius"',
                },
                openai_call_id("repl/edit"),
            )
        ],
        usage=(1402, 71),
        interleave=2,
        duration_ms=1400,
    )
    sim.act(
        {
            "edit": Ok(
                diff=(
                    "config/default.toml",
                    CONFIG_OLD,
                    CONFIG_OLD.replace('"fahrenheit"', '"celsius"'),
                )
            )
        }
    )
    sim.observe()
    sim.compress()
    sim.think(
        text=(
            'Done: `[units] temperature` is now `"celsius"` in `config/default.toml`, so '
            "forecasts show °C unless `--unit fahrenheit` is passed."
        ),
        usage=(1655, 39),
        duration_ms=1200,
    )
    sim.end()
    reply, reasoning = sim.reply()
    out.reply(run2, reply, reasoning, "end_turn")

    out.write("> ")  # EOF (Ctrl-D): the loop ends, run_interactive_mode prints "Bye."
    out.write("Bye.\n")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-tot (CLI `loom tot`)

SEARCH_KEYWORDS = (
    "search",
    "find",
    "look up",
    "how to",
    "how do",
    "research",
    "what is",
    "what's",
    "why",
    "why does",
    "latest",
    "recent",
    "recommend",
)


def tot_score(thought: str, has_tools: bool, last_user: str) -> float:
    """``ThinkEvaluateNode::score_candidate`` in f32 arithmetic."""
    n = len(thought.strip().encode("utf-8"))
    score = f32(f32(0.5 if 10 <= n <= 2000 else 0.2) + f32(0.5 if has_tools else 0.3))
    lower = last_user.lower()
    if any(k in lower for k in SEARCH_KEYWORDS) and not has_tools:
        score = f32(score - f32(0.25))
    user_words = {w.lower() for w in last_user.split() if len(w.encode("utf-8")) > 1}
    if user_words:
        hit = sum(1 for w in user_words if w in thought.lower())
        bonus = 0.0 if hit == 0 else f32(min(f32(hit / len(user_words)), 1.0) * f32(0.2))
        score = f32(score + f32(bonus))
    return score


@dataclass(frozen=True)
class TotCandidate:
    thought: str
    tools: tuple[tuple[str, Json], ...]
    outcome: str = ""  # tool result text when the path is taken


def scenario_tot() -> Recording:
    rec = Recording("loom-tot.ndjson", "cli")
    out = CliStdout(rec)
    clock = Clock(1_732_193_300_000)
    thread = f"session-{clock.ms}"
    clock.advance(433)
    run = rec.new_run(f"run-{clock.nanos}", thread)
    emit = out.emitter(run)
    user = "How do I find which crate pulls in openssl in my Rust workspace?"
    core = new_react_state(workdir_prompt(WEATHER), user)
    tot: dict[str, Json] = {
        "depth": 0,
        "candidates": [],
        "explored_paths": [],
        "chosen_index": None,
        "tried_indices": [],
        "suggest_backtrack": False,
        "path_failed_reason": None,
    }
    expansions = [
        [
            TotCandidate(
                "Run cargo tree in inverted mode for openssl to list every dependency path "
                "that reaches it.",
                (("bash", {"command": "cargo tree -i openssl"}),),
                "stderr:\nerror: package ID specification `openssl` did not match any "
                "packages\n\n\tDid you mean `openssl-sys`?\n",
            ),
            TotCandidate(
                "Search Cargo.lock for the packages that list openssl-sys as a dependency.",
                (("grep", {"pattern": "openssl", "path": ".", "include": "Cargo.lock"}),),
                grep_output(
                    [
                        (f"{WEATHER}/Cargo.lock", 812, 'name = "native-tls"'),
                        (f"{WEATHER}/Cargo.lock", 819, ' "openssl",'),
                        (f"{WEATHER}/Cargo.lock", 1460, 'name = "openssl-sys"'),
                    ]
                ),
            ),
            TotCandidate(
                "Explain that reqwest's default-tls feature usually brings in native-tls and "
                "openssl.",
                (),
            ),
        ],
        [
            TotCandidate(
                "Run `cargo tree -i openssl-sys` (the crate in Cargo.lock is openssl-sys, "
                "pulled in by native-tls). The inverted tree shows the path openssl-sys <- "
                "native-tls <- reqwest <- weather-cli, so reqwest's default-tls feature is "
                "the source; switch reqwest to `default-features = false, features = "
                '["rustls-tls"]` to drop openssl.',
                (),
            ),
            TotCandidate("Use cargo-deny to ban openssl in CI.", ()),
            TotCandidate(
                "Delete Cargo.lock and rebuild to see which crate fails without openssl.", ()
            ),
        ],
    ]

    def node(name: str, body: Callable[[], None]) -> None:
        emit({"type": "node_enter", "id": name}, None)
        body()
        emit({"type": "node_exit", "id": name, "result": "Ok"}, None)
        state = {"core": core, "tot": tot}
        emit({"type": "values", "state": snapshot(state)}, None)
        emit({"type": "updates", "id": name, "state": snapshot(state)}, None)

    tried_outcomes: list[str] = []
    step = 0
    current: list[TotCandidate] = []
    while True:
        current = expansions[step]
        step += 1

        def expand(current: list[TotCandidate] = current) -> None:
            clock.advance(3800)
            tot["candidates"] = [
                {
                    "thought": c.thought,
                    "tool_calls": [
                        {"name": n, "arguments": dumps(canon(a)), "id": None} for n, a in c.tools
                    ],
                    "score": None,
                }
                for c in current
            ]
            tot.update(
                chosen_index=None,
                tried_indices=[],
                suggest_backtrack=False,
                path_failed_reason=None,
            )
            emit({"type": "tot_expand", "candidates": [c.thought for c in current]}, None)

        node("think_expand", expand)

        def evaluate(current: list[TotCandidate] = current) -> None:
            scores = [tot_score(c.thought, bool(c.tools), user) for c in current]
            best = max(scores)
            chosen = max(i for i, s in enumerate(scores) if s == best)  # max_by keeps the last
            for cand, s in zip(tot["candidates"], scores, strict=True):
                cand["score"] = s
            tot["chosen_index"] = chosen
            tot["tried_indices"] = [chosen]
            core["messages"].append({"Assistant": current[chosen].thought})
            core["tool_calls"] = tot["candidates"][chosen]["tool_calls"]
            emit({"type": "tot_evaluate", "chosen": chosen, "scores": scores}, None)

        node("think_evaluate", evaluate)
        if not core["tool_calls"]:
            break
        while True:

            def act(current: list[TotCandidate] = current) -> None:
                clock.advance(1200)
                results = []
                for tc in core["tool_calls"]:
                    text = current[tot["chosen_index"]].outcome
                    tried_outcomes.append(text)
                    # ActNode::run (no context) keeps the plain to_display_string() text.
                    result, _, _ = inline_tool_result(
                        "call_" + uuid6_at(clock.nanos), tc["name"], text, False, 0
                    )
                    results.append(result)
                core["tool_results"] = results

            node("act", act)

            def observe() -> None:
                results = core["tool_results"]
                can_try = len(tot["candidates"]) > 1 and len(tot["tried_indices"]) < len(
                    tot["candidates"]
                )
                has_error = any(
                    "error" in r["content"].lower() or "failed" in r["content"].lower()
                    for r in results
                )
                too_short = sum(len(r["content"].encode("utf-8")) for r in results) < 20
                for r in results:
                    core["messages"].append(
                        {
                            "Tool": {
                                "tool_call_id": r["call_id"],
                                "content": f"Tool {r['name']} result:\n{r['content']}",
                            }
                        }
                    )
                core["tool_calls"] = []
                core["tool_results"] = []
                core["turn_count"] += 1
                if can_try and (has_error or too_short):
                    tot["suggest_backtrack"] = True
                    tot["path_failed_reason"] = (
                        "tool error or failure" if has_error else "tool results too short"
                    )

            node("observe", observe)
            if not (
                tot["suggest_backtrack"] and len(tot["tried_indices"]) < len(tot["candidates"])
            ):
                break

            def backtrack(current: list[TotCandidate] = current) -> None:
                reason = tot["path_failed_reason"] or "path failed"
                nxt = next(
                    i for i in range(len(tot["candidates"])) if i not in tot["tried_indices"]
                )
                tot["tried_indices"].append(nxt)
                tot["chosen_index"] = nxt
                tot["suggest_backtrack"] = False
                tot["path_failed_reason"] = None
                msgs = core["messages"]
                while msgs and ("User" in msgs[-1] or "Tool" in msgs[-1]):
                    msgs.pop()
                if msgs and "Assistant" in msgs[-1]:
                    msgs.pop()
                msgs.append({"Assistant": current[nxt].thought})
                core["tool_calls"] = tot["candidates"][nxt]["tool_calls"]
                core["tool_results"] = []
                emit({"type": "tot_backtrack", "reason": reason, "to_depth": tot["depth"]}, None)

            node("backtrack", backtrack)

    clock.advance(10)
    emit(
        {
            "type": "checkpoint",
            "checkpoint_id": uuid6_at(clock.nanos),
            "timestamp": str(clock.ms),
            "step": 0,
            "state": snapshot({"core": core, "tot": tot}),
            "thread_id": thread,
            "checkpoint_ns": None,
        },
        None,
    )
    final = core["messages"][-1]["Assistant"]
    out.reply(run, final, None, "end_turn")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-got (CLI `loom got --got-adaptive`)


def scenario_got() -> Recording:
    rec = Recording("loom-got.ndjson", "cli")
    out = CliStdout(rec)
    clock = Clock(1_732_196_777_000)
    thread = f"session-{clock.ms}"
    clock.advance(441)
    run = rec.new_run(f"run-{clock.nanos}", thread)
    emit = out.emitter(run)
    question = "Compare reqwest, ureq and hyper for a small CLI tool and recommend one."
    state: dict[str, Json] = {
        "input_message": question,
        "task_graph": {"nodes": [], "edges": []},
        "node_states": {},
    }

    def node(name: str, body: Callable[[], None]) -> None:
        emit({"type": "node_enter", "id": name}, None)
        body()
        emit({"type": "node_exit", "id": name, "result": "Ok"}, None)
        emit({"type": "values", "state": snapshot(state)}, None)
        emit({"type": "updates", "id": name, "state": snapshot(state)}, None)

    def task(tid: str, description: str) -> dict[str, Json]:
        return {"id": tid, "description": description, "tool_calls": []}

    def plan() -> None:
        clock.advance(4100)
        state["task_graph"] = {
            "nodes": [
                task(
                    "research_reqwest",
                    "Summarize reqwest: API style, async/blocking, TLS, binary size.",
                ),
                task(
                    "research_ureq",
                    "Summarize ureq: API style, blocking only, TLS options, binary size.",
                ),
                task(
                    "research_hyper",
                    "Summarize hyper: level of abstraction, what a CLI must add on top.",
                ),
                task(
                    "recommend",
                    "Recommend one client for a small CLI tool using the three summaries.",
                ),
            ],
            "edges": [
                ["research_reqwest", "recommend"],
                ["research_ureq", "recommend"],
                ["research_hyper", "recommend"],
            ],
        }
        state["node_states"] = {
            n["id"]: {"status": "Pending", "result": None, "error": None}
            for n in state["task_graph"]["nodes"]
        }
        emit(
            {
                "type": "got_plan",
                "node_count": 4,
                "edge_count": 3,
                "node_ids": [n["id"] for n in state["task_graph"]["nodes"]],
            },
            None,
        )

    node("plan_graph", plan)

    results = {
        "research_reqwest": (
            "reqwest is a high-level HTTP client on top of hyper with async and optional "
            "blocking APIs, JSON helpers and cookie support. TLS is native-tls by default "
            "(rustls behind a feature). It pulls in tokio, so a release binary is about "
            "4-6 MB larger than with a blocking-only client."
        ),
        "research_ureq": (
            "ureq is a small blocking client with no async runtime. rustls is the default "
            "TLS backend, JSON via serde is a feature, and it adds roughly 1 MB to a release "
            "binary. A good fit for sequential CLI requests."
        ),
        "reqwest_tls_features": (
            'For a CLI, reqwest with `default-features = false, features = ["blocking", '
            '"rustls-tls", "json"]` avoids openssl and keeps the build portable; the '
            "blocking API still starts a tokio runtime internally."
        ),
    }
    failures = {
        "research_hyper": (
            "execution failed: OpenAI-compat request failed: error sending request for url "
            "(https://api.deepseek.com/chat/completions)"
        )
    }

    def ready() -> list[str]:
        done = {k for k, v in state["node_states"].items() if v["status"] == "Done"}
        preds: dict[str, list[str]] = {}
        for src, dst in state["task_graph"]["edges"]:
            preds.setdefault(dst, []).append(src)
        out_ids = []
        for n in state["task_graph"]["nodes"]:
            st = state["node_states"].get(n["id"])
            if st is not None and st["status"] in ("Done", "Failed"):
                continue
            if all(p in done for p in preds.get(n["id"], [])):
                out_ids.append(n["id"])
        return out_ids

    while ready():
        nid = ready()[0]

        def execute(nid: str = nid) -> None:
            emit({"type": "got_node_start", "id": nid}, None)
            state["node_states"][nid] = {"status": "Running", "result": None, "error": None}
            clock.advance(5200)
            if nid in failures:
                err = failures[nid]
                emit({"type": "got_node_failed", "id": nid, "error": err}, None)
                state["node_states"][nid] = {"status": "Failed", "result": None, "error": err}
                return
            result = results[nid]
            raw = result.encode("utf-8")
            summary = result if len(raw) <= 200 else raw[:200].decode("utf-8", "ignore") + "..."
            emit({"type": "got_node_complete", "id": nid, "result_summary": summary}, None)
            state["node_states"][nid] = {"status": "Done", "result": result, "error": None}
            if nid == "research_reqwest":
                # AGoT: complexity "complex" -> one extra task and two edges.
                state["task_graph"]["nodes"].append(
                    task(
                        "reqwest_tls_features",
                        "Work out the reqwest feature set a small CLI needs (TLS backend, "
                        "blocking).",
                    )
                )
                state["task_graph"]["edges"].extend(
                    [
                        ["research_reqwest", "reqwest_tls_features"],
                        ["reqwest_tls_features", "recommend"],
                    ]
                )
                state["node_states"]["reqwest_tls_features"] = {
                    "status": "Pending",
                    "result": None,
                    "error": None,
                }
                emit(
                    {
                        "type": "got_expand",
                        "node_id": nid,
                        "nodes_added": 1,
                        "edges_added": 2,
                    },
                    None,
                )

        node("execute_graph", execute)

    clock.advance(10)
    emit(
        {
            "type": "checkpoint",
            "checkpoint_id": uuid6_at(clock.nanos),
            "timestamp": str(clock.ms),
            "step": 0,
            "state": snapshot(state),
            "thread_id": thread,
            "checkpoint_ns": None,
        },
        None,
    )
    # GotState::summary_result: no finished sink node ("recommend" never became ready after
    # research_hyper failed), so it falls back to `done.last()` over a HashMap: any finished
    # node's result may be the reply. This recording shows reqwest_tls_features.
    out.reply(run, results["reqwest_tls_features"], None, "end_turn")
    out.finish()
    return rec


# --------------------------------------------------------------------------------------------
# Scenarios: spec examples (Loom's docs/protocol_spec.md §4.3/§5, b84eedb), the no-envelope form

SPEC_LINES = [
    '{"session_id":"sess-001","event_id":0,"type":"run_start","run_id":"run-1","message":"Hello","agent":"react"}',
    '{"session_id":"sess-001","node_id":"run-think-1","event_id":1,"type":"node_enter","id":"think"}',
    '{"session_id":"sess-001","node_id":"run-think-1","event_id":2,"type":"message_chunk","content":"I","id":"think"}',
    '{"session_id":"sess-001","node_id":"run-think-1","event_id":3,"type":"message_chunk","content":" don\'t","id":"think"}',  # noqa: E501
    '{"session_id":"sess-001","node_id":"run-think-1","event_id":4,"type":"usage","prompt_tokens":100,"completion_tokens":62,"total_tokens":162}',
    '{"session_id":"sess-001","node_id":"run-think-1","event_id":5,"type":"node_exit","id":"think","result":"Ok"}',
    '{"session_id":"sess-001","node_id":"run-think-1","event_id":8,"reply":"I don\'t have access to your device\'s clock ..."}',  # noqa: E501
]

SPEC_NO_ENVELOPE_LINES = [
    '{"type":"run_start","run_id":"run-1","agent":"react"}',
    '{"type":"node_enter","id":"think"}',
    '{"type":"message_chunk","content":"Hello","id":"think"}',
    '{"type":"node_exit","id":"think","result":"Ok"}',
    '{"reply":"Hello"}',
]


def scenario_spec(name: str, lines: Sequence[str], session: str) -> Recording:
    rec = Recording(name, "spec")
    facts = RunFacts(session_id=session, conversation_id=session)
    rec.runs.append(facts)
    for line in lines:
        rec.lines.append(line)
        facts.observe(json.loads(line))
    return rec


# --------------------------------------------------------------------------------------------
# Scenario: loom-gap-duplicate (serve; queue-full drops and a replayed frame)

CHANGELOG_FINAL = (
    "weather-cli 0.4.0 in short: a new `alerts` subcommand shows active severe-weather "
    "warnings for the location; `forecast` gained `--hourly` with 3-hour steps; responses "
    "are cached on disk for 30 minutes (set `cache.ttl_minutes`); and the `--metric` flag "
    "was replaced by `--unit celsius|fahrenheit`. Fixed: a crash on locations with "
    "non-ASCII names and wrong wind directions south of the equator. Breaking: "
    "`--metric` is gone, so scripts need `--unit celsius`."
)


def scenario_gap_duplicate() -> Recording:
    rec = Recording("loom-gap-duplicate.ndjson", "serve-unwrapped")
    # Six message_chunks of the final think never reach the socket (try_send on a full
    # 128-slot queue while the client was stalled); their event_ids were already assigned.
    seen = [0]

    def queue_full(value: Mapping[str, Json]) -> bool:
        if value["type"] != "message_chunk" or value["node_id"] != "run-think-5":
            return False
        seen[0] += 1
        return 9 <= seen[0] <= 14

    conn = ServeConnection(rec, drop=queue_full)
    clock = Clock(1_732_208_600_000)
    thread = uuid4_from("gap/thread")
    run = rec.new_run("run-" + uuid4_from("gap/run"), thread)
    sim = ReactSim(
        conn.emitter(run),
        new_react_state(workdir_prompt(WEATHER), "Summarize CHANGELOG.md for the 0.4.0 release."),
        clock,
        thread_id=thread,
    )
    sim.think(
        text="Reading the changelog.",
        calls=[
            LlmToolCall("read", {"path": "CHANGELOG.md", "limit": 14}, openai_call_id("gap/read"))
        ],
        usage=(1298, 40),
        duration_ms=900,
    )
    sim.title("Summarize 0.4.0 changelog")
    sim.act(
        {
            "read": Ok(
                text=read_output(
                    "# Changelog\n\n## 0.4.0\n\n### Added\n- `alerts` subcommand\n"
                    "- `forecast --hourly` (3-hour steps)\n- on-disk response cache (30 min)\n"
                    "\n### Changed\n- `--metric` replaced by `--unit celsius|fahrenheit`\n"
                    "\n### Fixed\n- crash on non-ASCII location names"
                )
            )
        }
    )
    sim.observe()
    sim.compress()
    sim.think(text=CHANGELOG_FINAL, usage=(1577, 122), duration_ms=3300)
    sim.end()
    reply, reasoning = sim.reply()
    conn.run_end(run, reply, reasoning)
    # A reconnecting client layer replays the last frame it had not acknowledged.
    lines = conn.lines
    dup_at = next(i for i, line in enumerate(lines) if '"type":"tool_end"' in line)
    lines.insert(dup_at + 1, lines[dup_at])
    rec.duplicates = 1
    rec.lines = lines
    assert len(conn.dropped) == 6
    return rec


# --------------------------------------------------------------------------------------------
# Output


PROMPT_PREFIX = re.compile(r"^(?:> )+")


def expected_facts(rec: Recording) -> dict[str, Json]:
    non_json = 0
    prefixed = 0
    replies: list[str] = []
    for line in rec.lines:
        try:
            value = json.loads(line)
        except ValueError:
            non_json += 1
            stripped = PROMPT_PREFIX.sub("", line)
            if stripped != line:
                try:
                    value = json.loads(stripped)
                    prefixed += 1
                except ValueError:
                    continue
            else:
                continue
        if isinstance(value, dict) and "reply" in value and "type" not in value:
            replies.append(value["reply"])
    tools: dict[str, str] = {}
    for run in rec.runs:
        for key, state in run.tools.items():
            assert key not in tools
            tools[key] = state
    conversations: list[str] = []
    for run in rec.runs:
        if run.conversation_id not in conversations:
            conversations.append(run.conversation_id)
    return {
        "transport": rec.transport,
        "runs": len(rec.runs),
        "sessions": len(conversations),
        "run_statuses": [r.status for r in rec.runs],
        "spans_per_run": [r.spans for r in rec.runs],
        "tool_calls": tools,
        "usage_total": {
            "prompt_tokens": sum(r.prompt_tokens for r in rec.runs),
            "completion_tokens": sum(r.completion_tokens for r in rec.runs),
            "total_tokens": sum(r.total_tokens for r in rec.runs),
        },
        "reply": replies,
        "duplicates": rec.duplicates,
        "gaps": sum(len(r.missing) for r in rec.runs),
        "missing_event_ids": [[start, end] for r in rec.runs for start, end in r.missing],
        "non_json_lines": non_json,
        "prompt_prefixed_lines": prefixed,
        "error_lines": rec.error_lines,
    }


def build_all() -> list[Recording]:
    return [
        scenario_parallel_tools(),
        scenario_multi_agent(),
        scenario_failed_run(),
        scenario_approval_stop(),
        scenario_cancelled(),
        scenario_repl(),
        scenario_tot(),
        scenario_got(),
        scenario_spec("loom-spec-example.ndjson", SPEC_LINES, "sess-001"),
        scenario_spec("loom-spec-no-envelope.ndjson", SPEC_NO_ENVELOPE_LINES, "(implicit)"),
        scenario_gap_duplicate(),
    ]


def main() -> None:
    expected: dict[str, Json] = {}
    for rec in build_all():
        path = HERE / rec.name
        path.write_text("".join(line + "\n" for line in rec.lines), encoding="utf-8")
        expected[rec.name] = expected_facts(rec)
        print(f"wrote {path.relative_to(REPO_ROOT)} ({len(rec.lines)} lines)")
    DEMO_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "loom-multi-agent.ndjson", DEMO_COPY)
    print(f"wrote {DEMO_COPY.relative_to(REPO_ROOT)}")
    EXPECTED_FILE.write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {EXPECTED_FILE.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
