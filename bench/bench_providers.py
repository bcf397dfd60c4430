"""The provider formats (docs/openai-chat.md, docs/openai-responses.md, docs/anthropic.md,
docs/vercel-ui.md): streamfold against each vendor's own client fold on the same bytes, in the
same run.

Run::

    .venv/bin/pip install -e '.[bench,test]'   # openai and anthropic
    npm ci --prefix conformance                # the `ai` package (node >= 18)
    .venv/bin/python bench/bench_providers.py [--deltas 20000]

For each format a synthetic stream in the real wire shape (text deltas, then two tool calls
with streamed arguments, then usage) is folded by:

* streamfold: ``Reducer.feed_sse`` over the body in 64 KiB chunks;
* openai-python (Chat Completions: ``ChatCompletionStreamState.handle_chunk`` over the SDK's
  own stream; Responses: ``client.responses.stream``), anthropic-sdk-python
  (``client.messages.stream``), each reading the same bytes from a mock HTTP transport, so the
  SDK parses the SSE itself as it does in production;
* the AI SDK's ``readUIMessageStream`` in Node (``bench/peer_vercel.mjs``; its time includes
  parsing the SSE events).

Prints best-of-N wall times and the ratio *streamfold / peer* (below 1: streamfold is faster).
Timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from streamfold import Reducer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _sse(frames: list[dict[str, Any]], *, events: bool = False, done: bool = False) -> bytes:
    out = []
    for frame in frames:
        head = f"event: {frame['type']}\n".encode() if events else b""
        out.append(head + b"data: " + orjson.dumps(frame) + b"\n\n")
    if done:
        out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def _pieces(n: int) -> list[str]:
    words = ["The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "lazy ", "dog. "]
    return [words[i % len(words)] for i in range(n)]


def chat_stream(n: int) -> bytes:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice]}

    frames = [chunk({"role": "assistant", "content": ""})]
    frames += [chunk({"content": p}) for p in _pieces(n)]
    for k, call_id in enumerate(("call_a", "call_b")):
        fn = {"name": "get_weather", "arguments": ""}
        frames.append(
            chunk({"tool_calls": [{"index": k, "id": call_id, "type": "function", "function": fn}]})
        )
        for piece in ('{"city": ', '"Paris", ', '"unit": "c"}'):
            frames.append(chunk({"tool_calls": [{"index": k, "function": {"arguments": piece}}]}))
    frames.append(chunk({}, "tool_calls"))
    usage = {"prompt_tokens": 10, "completion_tokens": n, "total_tokens": 10 + n}
    frames.append({**base, "choices": [], "usage": usage})
    return _sse(frames, done=True)


def responses_stream(n: int) -> bytes:
    response = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "m",
        "status": "in_progress",
        "output": [],
        "usage": None,
        "tools": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
    }
    msg = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    part = {"type": "output_text", "text": "", "annotations": []}
    frames: list[dict[str, Any]] = [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": msg},
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": part,
        },
    ]
    pieces = _pieces(n)
    frames += [
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": p,
            "logprobs": [],
        }
        for p in pieces
    ]
    text = "".join(pieces)
    done_part = {**part, "text": text}
    done_msg = {**msg, "status": "completed", "content": [done_part]}
    frames += [
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": done_part,
        },
        {"type": "response.output_item.done", "output_index": 0, "item": done_msg},
    ]
    output = [done_msg]
    for k, call_id in enumerate(("call_a", "call_b"), start=1):
        item = {
            "id": f"fc_{k}",
            "type": "function_call",
            "status": "in_progress",
            "call_id": call_id,
            "name": "get_weather",
            "arguments": "",
        }
        frames.append({"type": "response.output_item.added", "output_index": k, "item": item})
        for piece in ('{"city": ', '"Paris", ', '"unit": "c"}'):
            frames.append(
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": f"fc_{k}",
                    "output_index": k,
                    "delta": piece,
                }
            )
        args = '{"city": "Paris", "unit": "c"}'
        frames.append(
            {
                "type": "response.function_call_arguments.done",
                "item_id": f"fc_{k}",
                "output_index": k,
                "arguments": args,
            }
        )
        done_item = {**item, "status": "completed", "arguments": args}
        frames.append({"type": "response.output_item.done", "output_index": k, "item": done_item})
        output.append(done_item)
    usage = {
        "input_tokens": 10,
        "output_tokens": n,
        "total_tokens": 10 + n,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    final = {**response, "status": "completed", "output": output, "usage": usage}
    frames.append({"type": "response.completed", "response": final})
    for seq, frame in enumerate(frames):
        frame["sequence_number"] = seq
    return _sse(frames, events=True)


def anthropic_stream(n: int) -> bytes:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }
    frames: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    frames += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        for p in _pieces(n)
    ]
    frames.append({"type": "content_block_stop", "index": 0})
    for k, call_id in enumerate(("toolu_a", "toolu_b"), start=1):
        block = {"type": "tool_use", "id": call_id, "name": "get_weather", "input": {}}
        frames.append({"type": "content_block_start", "index": k, "content_block": block})
        for piece in ('{"city": ', '"Paris", ', '"unit": "c"}'):
            frames.append(
                {
                    "type": "content_block_delta",
                    "index": k,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                }
            )
        frames.append({"type": "content_block_stop", "index": k})
    frames.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": n},
        }
    )
    frames.append({"type": "message_stop"})
    return _sse(frames, events=True)


def vercel_stream(n: int) -> bytes:
    frames: list[dict[str, Any]] = [
        {"type": "start", "messageId": "msg-1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "t1"},
    ]
    frames += [{"type": "text-delta", "id": "t1", "delta": p} for p in _pieces(n)]
    frames.append({"type": "text-end", "id": "t1"})
    for call_id in ("call-1", "call-2"):
        frames.append({"type": "tool-input-start", "toolCallId": call_id, "toolName": "weather"})
        for piece in ('{"city": ', '"Paris", ', '"unit": "c"}'):
            frames.append(
                {"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": piece}
            )
        frames.append(
            {
                "type": "tool-input-available",
                "toolCallId": call_id,
                "toolName": "weather",
                "input": {"city": "Paris", "unit": "c"},
            }
        )
        frames.append(
            {"type": "tool-output-available", "toolCallId": call_id, "output": {"temperature": 18}}
        )
    frames += [{"type": "finish-step"}, {"type": "finish", "finishReason": "stop"}]
    return _sse(frames, done=True)


def best_of(fn: Callable[[], Any], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def streamfold_fold(data: bytes) -> Reducer:
    reducer = Reducer()
    for i in range(0, len(data), 65536):
        reducer.feed_sse(data[i : i + 65536])
    reducer.close()
    return reducer


def _client(module: Any, data: bytes, sdk: Any) -> Any:
    def answer(request: Any) -> Any:
        return module.Response(200, headers={"content-type": "text/event-stream"}, content=data)

    client = module.Client(transport=module.MockTransport(answer))
    return sdk(api_key="x", base_url="http://127.0.0.1:9/v1", http_client=client, max_retries=0)


def openai_chat_peer(data: bytes) -> Callable[[], Any] | None:
    try:
        import httpx2
        import openai
        from openai.lib.streaming.chat import ChatCompletionStreamState
    except ImportError:
        return None
    client = _client(httpx2, data, openai.OpenAI)

    def run() -> Any:
        state: Any = ChatCompletionStreamState()
        for chunk in client.chat.completions.create(model="m", messages=[], stream=True):
            state.handle_chunk(chunk)
        return state.get_final_completion()

    return run


def openai_responses_peer(data: bytes) -> Callable[[], Any] | None:
    try:
        import httpx2
        import openai
    except ImportError:
        return None
    client = _client(httpx2, data, openai.OpenAI)

    def run() -> Any:
        with client.responses.stream(model="m", input="x") as stream:
            for _ in stream:
                pass
            return stream.get_final_response()

    return run


def anthropic_peer(data: bytes) -> Callable[[], Any] | None:
    try:
        import anthropic
        import httpx2
    except ImportError:
        return None
    client = _client(httpx2, data, anthropic.Anthropic)

    def run() -> Any:
        with client.messages.stream(model="m", max_tokens=1, messages=[]) as stream:
            for _ in stream:
                pass
            return stream.get_final_message()

    return run


def vercel_peer_ms(data: bytes, runs: int) -> float | None:
    if shutil.which("node") is None or not (ROOT / "conformance/node_modules/ai").exists():
        return None
    with tempfile.NamedTemporaryFile(suffix=".sse", delete=False) as fh:
        fh.write(data)
    done = subprocess.run(
        ["node", str(HERE / "peer_vercel.mjs"), fh.name, str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(fh.name).unlink()
    ms: float = json.loads(done.stdout)["ms"]
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deltas", type=int, default=20000, help="text deltas per stream")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, runs = args.deltas, args.runs
    cases = [
        ("openai-chat", chat_stream(n), openai_chat_peer, "openai-python"),
        ("openai-responses", responses_stream(n), openai_responses_peer, "openai-python"),
        ("anthropic", anthropic_stream(n), anthropic_peer, "anthropic-sdk-python"),
        ("vercel-ui", vercel_stream(n), None, "ai readUIMessageStream (node)"),
    ]
    print("| format | stream | streamfold | peer | peer time | ratio |\n|---|---|---|---|---|---|")
    for name, data, make_peer, peer_name in cases:
        check = streamfold_fold(data)
        assert set(check.decoders) == {name}, check.decoders
        ours = best_of(lambda data=data: streamfold_fold(data), runs)
        if make_peer is None:
            ms = vercel_peer_ms(data, runs)
            theirs = None if ms is None else ms / 1000
        else:
            peer = make_peer(data)
            theirs = None if peer is None else best_of(peer, runs)
        size = f"{n} deltas, {len(data) / 1e6:.1f} MB"
        if theirs is None:
            print(f"| {name} | {size} | {ours * 1000:.0f} ms | {peer_name} | not installed | |")
        else:
            ratio = ours / theirs
            print(
                f"| {name} | {size} | {ours * 1000:.0f} ms | {peer_name} | "
                f"{theirs * 1000:.0f} ms | {ratio:.2f}x |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
