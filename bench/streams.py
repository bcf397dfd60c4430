"""Deterministic benchmark streams: one conversation script, rendered in every wire format.

A *script* is a list of runs (one user request each); a run is a list of turns (one LLM call
each); a turn has reasoning deltas, text deltas and tool calls (each with streamed argument
pieces and a result). The same script is rendered as:

* ``loom``   — Loom ReAct NDJSON as the CLI writes it (sorted keys, envelope, think/act/observe
  spans, ``tool_call_chunk`` with null ids after the first, ``tool_call`` sorted by name, usage,
  ``values``/``updates`` with a small state, a reply line per run);
* ``agui``   — TanStack AI era-C AG-UI chunks (spec keys plus ``metadata.tanstack``, the shape of
  ``examples/recordings/tanstack-agui-tools.sse``): text + tool calls, an intermediate
  ``RUN_FINISHED(tool_calls)`` and ``TOOL_CALL_RESULT``\\ s between turns; no reasoning;
* ``nnrp``   — NNRP token-profile mock-dump frames (the shape of
  ``examples/recordings/nnrp-clean.ndjson``): one operation (``FRAME_SUBMIT`` + in-order
  ``RESULT_PUSH`` token chunks, the last one terminal) per turn; text only;
* ``openai`` — the same content as OpenAI ``chat.completion.chunk`` objects, one completion per
  turn (what openai-python's ``ChatCompletionStreamState`` folds), with the options matching
  each format above (reasoning as ``reasoning_content`` for Loom, tool calls for Loom/AG-UI).

Every text or argument delta is one frame in each rendering, so the delta frames correspond
1:1 between a format and its OpenAI equivalent; the formats' structural frames (spans, runs,
submits, results) have no OpenAI counterpart.

Nothing here is random at run time: ``random.Random(seed)`` drives every choice, so a given
``(format, frames, seed)`` always yields the same bytes. Run this file to print a sample.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "FORMATS",
    "Run",
    "Stream",
    "ToolCall",
    "Turn",
    "make_stream",
    "script",
    "sse",
]

FORMATS = ("loom", "agui", "nnrp")

_VOCAB = (
    "the a to of and in that is for it with as on this be are by from or at an not will can "
    "function value error stream token session request response server client buffer frame "
    "parser config file line index path module test result message model output input state "
    "retry timeout cache query schema table field record handler thread worker queue event "
    "latency throughput memory allocation pointer slice vector string number boolean array "
    "returns checks reads writes parses sends receives opens closes updates calls handles "
    "because when then if so but also which while after before until since each every "
    "first next last other same new old small large fast slow safe local remote "
    "src/main.rs Cargo.toml forecast --days usize::from() HashMap<String, Vec<u8>> "
    "naïve café 18°C → ≤ µs"
)
_WORDS = _VOCAB.split()
_TOOLS = (
    ("read", lambda r: {"path": f"src/{r.choice(_WORDS[20:60])}.rs"}),
    ("grep", lambda r: {"pattern": r.choice(_WORDS[20:80]), "path": "src"}),
    ("get_weather", lambda r: {"location": r.choice(("Paris", "Tokyo", "Lima", "Oslo"))}),
    (
        "edit",
        lambda r: {
            "path": f"src/{r.choice(_WORDS[20:60])}.rs",
            "old": " ".join(r.choices(_WORDS, k=6)),
            "new": " ".join(r.choices(_WORDS, k=7)),
        },
    ),
)
_MODEL = "qwen2.5-7b-instruct"
_T0 = 1795235675695  # ms, fixed
_NS0 = 1732150000418384744  # Loom CLI run-<nanos>


@dataclass(frozen=True, slots=True)
class ToolCall:
    call_id: str
    name: str
    arguments: dict[str, Any]
    pieces: tuple[str, ...]  # the arguments' JSON text, streamed
    result: str


@dataclass(frozen=True, slots=True)
class Turn:
    reasoning: tuple[str, ...]
    text: tuple[str, ...]
    tools: tuple[ToolCall, ...]
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class Run:
    index: int
    user: str
    turns: tuple[Turn, ...]


def _deltas(rng: random.Random, n: int) -> tuple[str, ...]:
    """``n`` token-sized text deltas (1-3 words with their leading space, ~3-20 chars)."""
    out = []
    for i in range(n):
        words = rng.choices(_WORDS, k=rng.choice((1, 1, 2, 2, 3)))
        delta = " ".join(words)
        out.append(delta if i == 0 else " " + delta)
        if rng.random() < 0.04:
            out[-1] += rng.choice((".", ",", ":", ".\n\n", "\n- "))
    return tuple(out)


def _pieces(text: str, rng: random.Random) -> tuple[str, ...]:
    out = []
    i = 0
    while i < len(text):
        n = rng.randint(3, 9)
        out.append(text[i : i + n])
        i += n
    return tuple(out)


def _tool(rng: random.Random, run: int, turn: int, k: int) -> ToolCall:
    name, make_args = _TOOLS[rng.randrange(len(_TOOLS))]
    args = make_args(rng)
    text = orjson.dumps(args).decode()
    result = " ".join(rng.choices(_WORDS, k=rng.randint(8, 60)))
    call_id = f"call_{run:05d}{turn:02d}{k}{rng.getrandbits(40):010x}"
    return ToolCall(call_id, name, args, _pieces(text, rng), result)


def script(seed: int = 7) -> Iterator[Run]:
    """An endless, deterministic sequence of runs (a ReAct agent answering requests)."""
    rng = random.Random(seed)
    index = 0
    while True:
        turns = []
        n_turns = rng.choice((1, 2, 2, 3, 3, 4))
        for t in range(n_turns):
            last = t == n_turns - 1
            reasoning = _deltas(rng, rng.randint(8, 40))
            text = _deltas(rng, rng.randint(60, 240) if last else rng.randint(10, 60))
            tools = () if last else tuple(_tool(rng, index, t, k) for k in range(rng.randint(1, 2)))
            prompt = 1200 + 400 * t + rng.randint(0, 300)
            turns.append(Turn(reasoning, text, tools, prompt, len(reasoning) + len(text)))
        user = " ".join(rng.choices(_WORDS, k=rng.randint(6, 20))) + "?"
        yield Run(index, user, tuple(turns))
        index += 1


# ------------------------------------------------------------------------------- renderers


def _dumps(obj: Any, sort: bool = False) -> bytes:
    out = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) if sort else orjson.dumps(obj)
    # orjson's bytes keep a ~4 KiB allocation whatever their length (3.13, measured with
    # tracemalloc): a copy is right-sized, so a 1M-line stream takes ~200 MB instead of 4 GB.
    return bytes(memoryview(out))


def loom_run(run: Run) -> list[bytes]:
    """A Loom CLI turn: keys sorted, event_id from 1, sticky node_id, reply line at the end."""
    session = f"run-{_NS0 + run.index * 7919}"
    out: list[bytes] = []
    event_id = 0
    node_id = "run-0"
    seq = 0
    messages = 2

    def emit(kind: str, **payload: Any) -> None:
        nonlocal event_id
        event_id += 1
        frame = {"event_id": event_id, "node_id": node_id, "session_id": session, "type": kind}
        frame.update(payload)
        out.append(_dumps(frame, sort=True))

    def state() -> dict[str, Any]:
        return {
            "approval_result": None,
            "last_reasoning_content": "".join(turn.reasoning)[:160],
            "message_count_after_last_think": messages,
            "messages": [{"User": run.user}],
            "turn_count": seq,
        }

    def span(name: str) -> None:
        nonlocal node_id, seq
        node_id = f"run-{name}-{seq}"
        seq += 1
        emit("node_enter", id=name)

    def end_span(name: str) -> None:
        emit("node_exit", id=name, result="Ok")
        emit("values", state=state())
        emit("updates", id=name, state=state())

    for turn in run.turns:
        span("think")
        for delta in turn.reasoning:
            emit("thought_chunk", content=delta, id="think")
        for delta in turn.text:
            emit("message_chunk", content=delta, id="think")
        for call in turn.tools:
            emit("tool_call_chunk", arguments_delta="", call_id=call.call_id, name=call.name)
            for piece in call.pieces:
                emit("tool_call_chunk", arguments_delta=piece, call_id=None, name=None)
        for call in sorted(turn.tools, key=lambda c: c.name):
            emit("tool_call", arguments=call.arguments, call_id=call.call_id, name=call.name)
        emit(
            "usage",
            completion_tokens=turn.completion_tokens,
            prompt_tokens=turn.prompt_tokens,
            total_tokens=turn.prompt_tokens + turn.completion_tokens,
        )
        messages += 1
        end_span("think")
        if turn.tools:
            span("act")
            for call in turn.tools:
                emit("tool_start", call_id=call.call_id, name=call.name)
                emit(
                    "tool_end",
                    call_id=call.call_id,
                    is_error=False,
                    name=call.name,
                    result=orjson.dumps(call.result).decode(),
                )
            messages += len(turn.tools)
            end_span("act")
            span("observe")
            end_span("observe")
    last = run.turns[-1]
    reply = {
        "event_id": event_id + 1,
        "node_id": node_id,
        "reasoning_content": "".join(last.reasoning),
        "reply": "".join(last.text),
        "session_id": f"session-{_NS0 // 10**6}",
        "stop_reason": "end_turn",
    }
    out.append(_dumps(reply, sort=True))
    return out


def agui_run(run: Run) -> list[bytes]:
    """TanStack AI 0.58 (era C) AG-UI chunks of one run, as its SSE/NDJSON server sends them."""
    run_id = f"run-{run.index:06d}"
    thread = "thread-bench-1"
    meta = {"tanstack": {"model": "claude-sonnet-4-5"}}
    ts = _T0 + run.index * 1000
    out = [
        _dumps(
            {
                "type": "RUN_STARTED",
                "runId": run_id,
                "threadId": thread,
                "timestamp": ts,
                "metadata": meta,
            }
        )
    ]
    for t, turn in enumerate(run.turns):
        mid = f"anthropic-{ts}-{run.index:05d}t{t}"
        out.append(
            _dumps(
                {
                    "type": "TEXT_MESSAGE_START",
                    "messageId": mid,
                    "timestamp": ts,
                    "role": "assistant",
                    "metadata": meta,
                }
            )
        )
        for i, delta in enumerate(turn.text):
            out.append(
                _dumps(
                    {
                        "type": "TEXT_MESSAGE_CONTENT",
                        "messageId": mid,
                        "timestamp": ts + i // 8,
                        "delta": delta,
                    }
                )
            )
        out.append(
            _dumps(
                {"type": "TEXT_MESSAGE_END", "messageId": mid, "timestamp": ts, "metadata": meta}
            )
        )
        for k, call in enumerate(turn.tools):
            out.append(
                _dumps(
                    {
                        "type": "TOOL_CALL_START",
                        "toolCallId": call.call_id,
                        "toolCallName": call.name,
                        "parentMessageId": mid,
                        "timestamp": ts,
                        "metadata": {"tanstack": {"model": "claude-sonnet-4-5", "index": k}},
                    }
                )
            )
            for piece in call.pieces:
                out.append(
                    _dumps(
                        {
                            "type": "TOOL_CALL_ARGS",
                            "toolCallId": call.call_id,
                            "timestamp": ts,
                            "delta": piece,
                        }
                    )
                )
            out.append(
                _dumps(
                    {
                        "type": "TOOL_CALL_END",
                        "toolCallId": call.call_id,
                        "timestamp": ts,
                        "metadata": {
                            "tanstack": {
                                "model": "claude-sonnet-4-5",
                                "toolCallName": call.name,
                                "toolName": call.name,
                                "input": call.arguments,
                            }
                        },
                    }
                )
            )
        usage = [
            {
                "inputTokens": turn.prompt_tokens,
                "outputTokens": turn.completion_tokens,
                "totalTokens": turn.prompt_tokens + turn.completion_tokens,
            }
        ]
        finish = "tool_calls" if turn.tools else "stop"
        out.append(
            _dumps(
                {
                    "type": "RUN_FINISHED",
                    "runId": run_id,
                    "threadId": thread,
                    "timestamp": ts,
                    "usage": usage,
                    "metadata": {
                        "tanstack": {"model": "claude-sonnet-4-5", "finishReason": finish}
                    },
                }
            )
        )
        for call in turn.tools:
            out.append(
                _dumps(
                    {
                        "type": "TOOL_CALL_RESULT",
                        "timestamp": ts,
                        "messageId": mid,
                        "toolCallId": call.call_id,
                        "content": orjson.dumps({"result": call.result}).decode(),
                        "role": "tool",
                    }
                )
            )
    return out


def _hex(value: int, digits: int) -> str:
    return f"0x{value:0{digits}x}"


def _nnrp_header(session: int, frame_id: int, msg_type: str, meta_len: int) -> dict[str, Any]:
    """An NNRP common header (``body_len`` 0: each message sets its own)."""
    return {
        "version_major": 1,
        "wire_format": 0,
        "msg_type": msg_type,
        "header_len": 40,
        "meta_len": meta_len,
        "body_len": 0,
        "session_id": _hex(session, 8),
        "frame_id": _hex(frame_id, 8),
        "view_id": _hex(0, 8),
        "route_id": _hex(9, 8),
        "trace_id": _hex(session << 16 | frame_id, 16),
    }


def _nnrp_request(run: Run, session: int, frame_id: int) -> str:
    """The ``FRAME_SUBMIT`` body of a run's turn: an OpenAI-compatible request, as JSON text."""
    return orjson.dumps(
        {
            "schema_version": "openai-compatible/1",
            "operation": "chat.completions.create",
            "request_id": f"req_{session:x}_{frame_id:x}",
            "body": {
                "model": _MODEL,
                "messages": [{"role": "user", "content": run.user}],
                "stream": True,
            },
        }
    ).decode()


def nnrp_run(run: Run) -> list[bytes]:
    """One NNRP session per run; one operation (submit + in-order token chunks) per turn."""
    session = 0x100 + run.index
    out: list[bytes] = []
    for t, turn in enumerate(run.turns):
        frame_id = 0x10 * (t + 1) + 1
        header = _nnrp_header(session, frame_id, "RESULT_PUSH", 24)
        request = _nnrp_request(run, session, frame_id)
        out.append(
            _dumps(
                {
                    "message_type": "FRAME_SUBMIT",
                    "common_header": {
                        **header,
                        "msg_type": "FRAME_SUBMIT",
                        "meta_len": 32,
                        "body_len": len(request.encode()),
                    },
                    "fixed_metadata": {"operation_id": 0x1000 + session * 16 + t},
                    "body": request,
                }
            )
        )
        position = 0
        stop = "tool_call" if turn.tools else "eos"
        for i, delta in enumerate(turn.text):
            terminal = i == len(turn.text) - 1
            tokens = max(1, delta.count(" ") + (0 if delta.startswith(" ") else 1))
            size = len(delta.encode())
            out.append(
                _dumps(
                    {
                        "message_type": "RESULT_PUSH",
                        "common_header": {**header, "body_len": 56 + size},
                        "fixed_metadata": {
                            "result_status": "complete" if terminal else "partial",
                            "flow_scope": "session",
                            "flow_credit_delta": 1,
                        },
                        "typed_payload_descriptor": {
                            "profile_id": "token",
                            "schema_id": "llm.chat.delta.v1",
                            "schema_version": 1,
                            "stream_semantics": "ordered_incremental",
                            "offset": position,
                            "length": size,
                            "descriptor_flags": [
                                "stop_reason_present",
                                "terminal" if terminal else "partial",
                            ],
                        },
                        "profile_body": {
                            "token": {
                                "token_unit": "bpe",
                                "sequence_start": position,
                                "sequence_end": position + tokens,
                                "terminal": terminal,
                                "stop_reason": stop if terminal else "none",
                            }
                        },
                        "payload_frame": {"token_chunk": delta},
                    }
                )
            )
            position += tokens
    return out


def nnrp_openai_run(run: Run) -> list[bytes]:
    """One NNRP session per run in the OpenAI event profile (``examples/recordings/
    nnrp-openai.ndjson``): per turn a ``FRAME_SUBMIT``, one ``PARTIAL_RESULT`` per text delta,
    tool-call start / argument piece / completion and usage, then the ``RESULT_PUSH`` with the
    whole completion."""
    session = 0x100 + run.index
    out: list[bytes] = []
    for t, turn in enumerate(run.turns):
        frame_id = 0x10 * (t + 1) + 1
        operation = 0x1000 + session * 16 + t
        header = _nnrp_header(session, frame_id, "PARTIAL_RESULT", 40)
        request = _nnrp_request(run, session, frame_id)
        submit = {**header, "msg_type": "FRAME_SUBMIT", "meta_len": 32, "body_len": len(request)}
        out.append(
            _dumps(
                {
                    "message_type": "FRAME_SUBMIT",
                    "common_header": submit,
                    "fixed_metadata": {"operation_id": operation},
                    "body": request,
                }
            )
        )
        events: list[dict[str, Any]] = [
            {"delta": delta, "index": 0, "type": "response.output_text.delta"}
            for delta in turn.text
        ]
        for k, call in enumerate(turn.tools):
            ids = {"call_id": call.call_id, "index": k + 1, "item_id": f"item_{k + 1}"}
            events.append({**ids, "name": call.name, "type": "response.tool_call.started"})
            events += [
                {"arguments_delta": piece, **ids, "type": "response.tool_call.delta"}
                for piece in call.pieces
            ]
            arguments = "".join(call.pieces)
            events.append(
                {
                    "arguments": arguments,
                    **ids,
                    "name": call.name,
                    "type": "response.tool_call.completed",
                }
            )
        usage = {
            "input_tokens": turn.prompt_tokens,
            "output_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens,
        }
        events.append({"type": "response.usage", "usage": usage})
        for sequence, event in enumerate(events, 1):
            body = orjson.dumps(event).decode()
            meta = {"operation_id": operation, "result_sequence": sequence}
            out.append(
                _dumps(
                    {
                        "message_type": "PARTIAL_RESULT",
                        "common_header": {**header, "body_len": len(body.encode())},
                        "fixed_metadata": {**meta, "delta_sequence": sequence, "flags": 0},
                        "body": body,
                    }
                )
            )
        finish = "tool_calls" if turn.tools else "stop"
        message = {"content": "".join(turn.text), "role": "assistant"}
        completion = {
            "choices": [{"finish_reason": finish, "index": 0, "message": message}],
            "id": f"chatcmpl-{session:x}{t:02d}",
            "object": "chat.completion",
            "usage": {
                "completion_tokens": turn.completion_tokens,
                "prompt_tokens": turn.prompt_tokens,
                "total_tokens": turn.prompt_tokens + turn.completion_tokens,
            },
        }
        body = orjson.dumps({"body": completion, "type": "response.completed"}).decode()
        push = {"operation_id": operation, "status_code": 200}
        out.append(
            _dumps(
                {
                    "message_type": "RESULT_PUSH",
                    "common_header": {**header, "msg_type": "RESULT_PUSH", "body_len": len(body)},
                    "fixed_metadata": {**push, "payload_kind_bitmap": 16, "result_class": 0},
                    "body": body,
                }
            )
        )
    return out


def openai_run(run: Run, *, reasoning: bool, tools: bool) -> list[list[bytes]]:
    """The run's turns as OpenAI chat.completion.chunk objects (one completion per turn, usage
    in a last chunk with empty ``choices`` as ``stream_options.include_usage`` sends it).
    Returns one list of chunk lines per completion."""
    completions: list[list[bytes]] = []
    for t, turn in enumerate(run.turns):
        out: list[bytes] = []
        base = {
            "id": f"chatcmpl-{run.index:06d}{t:02d}",
            "object": "chat.completion.chunk",
            "created": 1795235675 + run.index,
            "model": _MODEL,
            "system_fingerprint": "fp_bench",
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return _dumps({**base, "choices": [choice]})  # noqa: B023

        out.append(chunk({"role": "assistant", "content": ""}))
        if reasoning:
            for delta in turn.reasoning:
                out.append(chunk({"reasoning_content": delta}))
        for delta in turn.text:
            out.append(chunk({"content": delta}))
        use_tools = tools and turn.tools
        if use_tools:
            for k, call in enumerate(turn.tools):
                head = {
                    "index": k,
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                out.append(chunk({"tool_calls": [head]}))
                for piece in call.pieces:
                    out.append(
                        chunk({"tool_calls": [{"index": k, "function": {"arguments": piece}}]})
                    )
        out.append(chunk({}, "tool_calls" if use_tools else "stop"))
        usage = {
            "prompt_tokens": turn.prompt_tokens,
            "completion_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens,
        }
        out.append(_dumps({**base, "choices": [], "usage": usage}))
        completions.append(out)
    return completions


_OPENAI_OPTIONS = {
    "loom": {"reasoning": True, "tools": True},
    "agui": {"reasoning": False, "tools": True},
    "nnrp": {"reasoning": False, "tools": False},
}
_RENDER = {"loom": loom_run, "agui": agui_run, "nnrp": nnrp_run, "nnrp-openai": nnrp_openai_run}


@dataclass(frozen=True, slots=True)
class Stream:
    """A format's stream of NDJSON lines (no newlines) and its OpenAI equivalent (one list of
    chunk lines per completion)."""

    fmt: str
    lines: list[bytes]
    openai: list[list[bytes]]
    runs: int

    @property
    def openai_chunks(self) -> int:
        return sum(map(len, self.openai))

    @property
    def ndjson(self) -> bytes:
        return b"\n".join(self.lines) + b"\n"


def make_stream(fmt: str, frames: int, seed: int = 7, *, with_openai: bool = True) -> Stream:
    """Whole runs of the script until the rendering has at least ``frames`` lines (runs are a
    few hundred frames, so the overshoot is under a few percent at 10k)."""
    render = _RENDER[fmt]
    options = _OPENAI_OPTIONS[fmt]
    lines: list[bytes] = []
    openai: list[list[bytes]] = []
    runs = 0
    for run in script(seed):
        if len(lines) >= frames:
            break
        lines += render(run)
        if with_openai:
            openai += openai_run(run, **options)
        runs += 1
    return Stream(fmt, lines, openai, runs)


def sse(lines: list[bytes]) -> bytes:
    """The lines as a Server-Sent Events body (``data: <json>`` + blank line each)."""
    return b"".join(b"data: " + line + b"\n\n" for line in lines)


def main() -> None:
    for fmt in FORMATS:
        s = make_stream(fmt, 2000)
        deltas = sum(1 for line in s.lines if b"chunk" in line or b"CONTENT" in line)
        print(
            f"{fmt}: {len(s.lines)} frames in {s.runs} runs, {len(s.ndjson)} bytes, "
            f"~{deltas} delta frames; openai: {s.openai_chunks} chunks, {len(s.openai)} completions"
        )
        for line in s.lines[:3]:
            print("   ", line[:160].decode())


if __name__ == "__main__":
    main()
