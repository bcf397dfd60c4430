"""Record NNRP/1 byte streams from the published NNRP runtime (``nnrp-py``, the Rust runtime
bundled as native artifacts).

For each scenario a native server (``nnrp.server.listen_native_server``, plain TCP on
127.0.0.1, an ephemeral port) and a native client (``nnrp.client.
connect_native_client_connection``) talk through a capturing TCP proxy on 127.0.0.1. The proxy
forwards the bytes unchanged and records:

* ``examples/recordings/nnrp-wire-<name>.nnrp``: the server → client bytes, exactly what the
  client's socket received (concatenated packets, as on any byte-stream transport);
* ``examples/recordings/nnrp-wire-<name>.duplex.nnrp``: both directions, whole packets in the
  order the proxy saw them complete (the request side of the transcript).

The server side of each scenario is scripted here (the runtime carries what a model server
hands it); what it sent is written to ``examples/recordings/nnrp-wire-expected.json`` *from
the script's own data*, never from streamfold's decoder, so the tests compare the fold with
what the server sent.

Run from the repository root (needs the ``record`` extra: ``pip install -e '.[record]'``)::

    python conformance/nnrp-wire/record.py

Ids and bodies are fixed; the bytes differ between runs only where the runtime puts its own
values (session tags, timings in the hello exchange). Every server and client here is stopped
before the script ends; nothing listens on anything but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nnrp.client import (
    NativeClientOptions,
    NativeClientProviderRoute,
    NativeClientSessionOptions,
    SubmitIdentity,
    SubmitPolicy,
    SubmitRequest,
    TokenChunk,
    TokenSubmitInput,
    TypedPayloadInputFrame,
    TypedPayloadSubmitInput,
    connect_native_client_connection,
)
from nnrp.core import (
    BudgetPolicy,
    PayloadKind,
    ResultClass,
    ResultFlags,
    ResultPushMetadata,
    TransportPolicy,
)
from nnrp.runtime import (
    ControlRequestMetadata,
    PartialResultMetadata,
    PressureMetadata,
    ProgressMetadata,
    RecoverableErrorMetadata,
    ResultDropReasonCode,
    ResultDropReasonMetadata,
    RetryAfterMetadata,
    RuntimeRole,
    TraceContextMetadata,
)
from nnrp.schema import StandardProfile
from nnrp.server import (
    NativeServerAcceptOptions,
    NativeServerBootstrapOptions,
    NativeServerProviderRoute,
    listen_native_server,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples" / "recordings"
HEADER = struct.Struct("<4sBBBBIIIIIHHQ")


# ------------------------------------------------------------------------------ the proxy


class _Direction:
    """One direction of the proxy: raw bytes, plus whole packets for the duplex file."""

    def __init__(self, duplex: list[bytes]) -> None:
        self.raw = bytearray()
        self._pending = bytearray()
        self._duplex = duplex

    def add(self, data: bytes) -> None:
        self.raw += data
        self._pending += data
        while len(self._pending) >= 40:
            meta_len, body_len = HEADER.unpack_from(self._pending)[6:8]
            total = 40 + meta_len + body_len
            if len(self._pending) < total:
                break
            self._duplex.append(bytes(self._pending[:total]))
            del self._pending[:total]


class CapturingProxy:
    """A TCP proxy on 127.0.0.1 that records what passes through it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.duplex: list[bytes] = []
        self.down = _Direction(self.duplex)  # server → client
        self.up = _Direction(self.duplex)  # client → server
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter, d: _Direction) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await r.read(65536):
                    d.add(data)
                    w.write(data)
                    await w.drain()
            w.close()

        self._tasks += [
            asyncio.ensure_future(pipe(client_r, server_w, self.up)),
            asyncio.ensure_future(pipe(server_r, client_w, self.down)),
        ]

    async def close(self) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# ---------------------------------------------------------------------------- server side


def push_meta(
    status: int = 200,
    *,
    kinds: PayloadKind = PayloadKind.TOKEN_CHUNK,
    frames: int = 1,
    profile: int = int(StandardProfile.TOKEN),
) -> ResultPushMetadata:
    return ResultPushMetadata(
        status_code=status,
        result_flags=ResultFlags.NONE,
        section_count=0,
        tile_count=0,
        active_profile_id=profile,
        reserved0=0,
        inference_ms=12,
        queue_ms=1,
        server_total_ms=14,
        reserved1=0,
        tile_base_id=0,
        tile_index_bytes=0,
        result_class=ResultClass.COMPLETE,
        applied_budget_policy=BudgetPolicy.NONE,
        payload_kind_bitmap=kinds,
        payload_frame_count=frames,
    )


class Op:
    """What the server sent for one operation (the expectations)."""

    def __init__(self, sop: Any) -> None:
        self.sop = sop
        self.seq = 0
        self.text = b""
        self.expect: dict[str, Any] = {
            "session_id": 7,
            "frame_id": sop.frame_id,
            "operation_id": sop.operation_id,
        }

    async def partial(self, body: bytes, *, text: bool = True) -> None:
        self.seq += 1
        if text:
            self.text += body
        meta = PartialResultMetadata(self.sop.operation_id, self.seq, 0, self.seq, len(body), 0)
        await self.sop.send_partial_result(meta, body)

    async def event(self, event: dict[str, Any]) -> None:
        # The OpenAI-compatible adapter's encoding: compact JSON, sorted keys.
        await self.partial(
            json.dumps(event, sort_keys=True, separators=(",", ":")).encode(), text=False
        )

    async def push(self, body: bytes = b"", status: int = 200, **kw: Any) -> None:
        await self.sop.send_result(push_meta(status, **kw), body)

    async def drop(self, reason: ResultDropReasonCode, diagnostic: bytes) -> None:
        meta = ResultDropReasonMetadata(
            self.sop.operation_id, self.seq, reason, RuntimeRole.SERVER, 0, len(diagnostic)
        )
        await self.sop.send_result_drop(meta, diagnostic)


def token_request(op_id: int, frame_id: int, prompt: str) -> SubmitRequest:
    return SubmitRequest.token(
        TokenSubmitInput(
            identity=SubmitIdentity(operation_id=op_id, frame_id=frame_id),
            policy=SubmitPolicy(),
            chunks=(TokenChunk(prompt.encode()),),
        )
    )


def openai_request(op_id: int, frame_id: int, body: dict[str, Any]) -> SubmitRequest:
    request = {
        "schema_version": "openai-compatible/1",
        "operation": "chat.completions.create",
        "request_id": f"req_{frame_id}",
        "body": body,
    }
    payload = json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
    return SubmitRequest.typed_payload(
        TypedPayloadSubmitInput(
            identity=SubmitIdentity(operation_id=op_id, frame_id=frame_id),
            policy=SubmitPolicy(),
            frames=(TypedPayloadInputFrame(0, PayloadKind.STRUCTURED_EVENT, payload),),
        )
    )


Scenario = Callable[[Any, Any, Any, Any], Awaitable[list[dict[str, Any]]]]


async def _drain_client(session: Any, seconds: float = 0.3) -> None:
    """Let the client runtime read everything (results are polled, then dropped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(session.poll_events, max_events=64, timeout_ms=50)


async def plain(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    session.submit_operation(token_request(1001, 1, "Say hello to the wire."))
    op = Op(await ss.receive_submit(timeout=5))
    for piece in (b"Hello", b", wire", b". Packets are", b" concatenated on TCP"):
        await op.partial(piece)
    await op.push(b".")
    op.text += b"."
    op.expect.update(text=op.text.decode(), status="completed", input_text="Say hello to the wire.")
    return [op.expect]


async def utf8_split(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    session.submit_operation(token_request(2001, 1, "Greet in three scripts."))
    op = Op(await ss.receive_submit(timeout=5))
    data = "Grüße, 世界 👋🏽 — fin".encode()
    # Cut inside ü (2 bytes), 世 (3 bytes), the wave (4 bytes, cut twice) and the dash.
    cuts = [3, 12, 17, 19, 21, 27, 29]
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    for piece in pieces[:-1]:
        await op.partial(piece)
    await op.push(pieces[-1])
    op.text += pieces[-1]
    op.expect.update(text=op.text.decode(), status="completed")
    return [op.expect]


async def concurrent(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    session.submit_operation(token_request(3001, 1, "First question"))
    session.submit_operation(token_request(3002, 2, "Second question"))
    a = Op(await ss.receive_submit(timeout=5))
    b = Op(await ss.receive_submit(timeout=5))
    ss.send_credit_update(PressureMetadata(0, 4, 0, 0, 0, 0))
    await a.sop.send_progress(ProgressMetadata(a.sop.operation_id, 1, 1, 2500, 0, 0), b"")
    ss.send_trace_context(
        TraceContextMetadata(0x4BF92F3577B34DA6, 0x00F067AA0BA902B7, 0, 1, 1, 0),
        operation_id=b.sop.operation_id,
    )
    for x, y in ((b"Alpha ", b"Beta "), (b"one, ", b"two, "), (b"done", b"over")):
        await a.partial(x)
        await b.partial(y)
    await b.push()
    await a.push()
    a.expect.update(text=a.text.decode(), status="completed")
    b.expect.update(text=b.text.decode(), status="completed")
    return [a.expect, b.expect]


async def _cancel_like(session: Any, ss: Any, *, abort: bool, op_id: int) -> list[dict[str, Any]]:
    session.submit_operation(token_request(op_id, 1, "Write a long story."))
    op = Op(await ss.receive_submit(timeout=5))
    await op.partial(b"Once upon ")
    await op.partial(b"a time")
    await asyncio.sleep(0.2)
    control = ControlRequestMetadata(op_id, 1, 3, RuntimeRole.CLIENT, 0, 0)
    if abort:
        session.abort_operation(control)
    else:
        session.cancel_operation(control)
    # The server sees the control request, then reports the drop.
    for _ in range(20):
        event = await ss.next_event(timeout=1)
        runtime = event.as_runtime()
        if runtime is not None and runtime.header.message_type.name in ("CANCEL", "ABORT"):
            break
    await op.drop(ResultDropReasonCode.PEER_CANCELLED, b"cancelled by client")
    op.expect.update(text=op.text.decode(), status="cancelled", error_code="peer_cancelled")
    return [op.expect]


async def cancel(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    return await _cancel_like(session, ss, abort=False, op_id=4001)


async def abort(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    return await _cancel_like(session, ss, abort=True, op_id=4501)


async def drop(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    session.submit_operation(token_request(5001, 1, "Answer within 10 ms."))
    op = Op(await ss.receive_submit(timeout=5))
    await op.partial(b"Thinking")
    await op.drop(ResultDropReasonCode.DEADLINE_EXPIRED, b"deadline expired before delivery")
    op.expect.update(text=op.text.decode(), status="failed", error_code="deadline_expired")
    return [op.expect]


async def errors(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    session.submit_operation(token_request(6001, 1, "Use the busy backend."))
    op = Op(await ss.receive_submit(timeout=5))
    ss.send_recoverable_error(
        RecoverableErrorMetadata(0xB, 1, 1, RuntimeRole.SERVER, 0, 250, 7, 1, 0, 12),
        b"backend busy",
    )
    ss.send_retry_after(RetryAfterMetadata(0, 1, 250, 50, 4, RuntimeRole.SERVER, 0, 0))
    await op.partial(b"Partial answer")
    await op.push(b"", status=503)
    op.expect.update(text=op.text.decode(), status="failed", error_code="503")
    return [op.expect]


async def openai(conn: Any, session: Any, ss: Any, proxy: Any) -> list[dict[str, Any]]:
    expects: list[dict[str, Any]] = []
    # 1. Text, a streamed tool call, usage; completed with finish_reason tool_calls.
    session.submit_operation(
        openai_request(
            7001,
            1,
            {
                "model": "qwen2.5-7b-instruct",
                "messages": [{"role": "user", "content": "Weather in Paris, please."}],
                "stream": True,
            },
        )
    )
    op = Op(await ss.receive_submit(timeout=5))
    text = ""
    for delta in ("Let me ", "check the ", "weather — ☀️?"):
        text += delta
        await op.event({"type": "response.output_text.delta", "index": 0, "delta": delta})
    call = "call_W3ath3r"
    await op.event(
        {
            "type": "response.tool_call.started",
            "call_id": call,
            "item_id": "item_1",
            "index": 1,
            "name": "get_weather",
        }
    )
    arguments = ""
    for part in ('{"city":', ' "Paris",', ' "unit": "c"}'):
        arguments += part
        await op.event(
            {
                "type": "response.tool_call.delta",
                "call_id": call,
                "item_id": "item_1",
                "index": 1,
                "arguments_delta": part,
            }
        )
    await op.event(
        {
            "type": "response.tool_call.completed",
            "call_id": call,
            "item_id": "item_1",
            "index": 1,
            "name": "get_weather",
            "arguments": arguments,
        }
    )
    usage = {"input_tokens": 23, "output_tokens": 19, "total_tokens": 42}
    await op.event({"type": "response.usage", "usage": usage})
    completed = {
        "type": "response.completed",
        "body": {
            "id": "chatcmpl-7001",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 23, "completion_tokens": 19, "total_tokens": 42},
        },
    }
    body = json.dumps(completed, sort_keys=True, separators=(",", ":")).encode()
    await op.push(body, kinds=PayloadKind.STRUCTURED_EVENT, profile=0)
    op.expect.update(
        text=text,
        status="completed",
        finish_reason="tool_calls",
        input_text="Weather in Paris, please.",
        tool_calls=[{"call_id": call, "name": "get_weather", "arguments": arguments}],
        usage={"input_tokens": 23, "output_tokens": 19},
    )
    expects.append(op.expect)
    # 2. A backend error: status 500 and a response.error event.
    session.submit_operation(
        openai_request(7002, 2, {"model": "m", "messages": [{"role": "user", "content": "Hi"}]})
    )
    op = Op(await ss.receive_submit(timeout=5))
    await op.event({"type": "response.output_text.delta", "index": 0, "delta": "Hel"})
    error = {
        "type": "response.error",
        "error": {"type": "server_error", "code": "backend_unavailable", "message": "vLLM died"},
    }
    await op.push(
        json.dumps(error, sort_keys=True, separators=(",", ":")).encode(),
        status=500,
        kinds=PayloadKind.STRUCTURED_EVENT,
        profile=0,
    )
    op.expect.update(text="Hel", status="failed", error_code="backend_unavailable")
    expects.append(op.expect)
    # 3. Cancelled upstream: status 499 and a response.cancelled event.
    session.submit_operation(
        openai_request(7003, 3, {"model": "m", "messages": [{"role": "user", "content": "Go"}]})
    )
    op = Op(await ss.receive_submit(timeout=5))
    await op.event({"type": "response.output_text.delta", "index": 0, "delta": "Sure"})
    cancelled = {"type": "response.cancelled", "reason": "client_disconnected"}
    await op.push(
        json.dumps(cancelled, sort_keys=True, separators=(",", ":")).encode(),
        status=499,
        kinds=PayloadKind.STRUCTURED_EVENT,
        profile=0,
    )
    op.expect.update(text="Sure", status="cancelled")
    expects.append(op.expect)
    return expects


SCENARIOS: dict[str, Scenario] = {
    "plain": plain,
    "utf8-split": utf8_split,
    "concurrent": concurrent,
    "cancel": cancel,
    "abort": abort,
    "drop": drop,
    "errors": errors,
    "openai": openai,
}


async def record(name: str, scenario: Scenario) -> list[dict[str, Any]]:
    bootstrap = NativeServerBootstrapOptions(
        "nnrp://127.0.0.1",
        provider_routes={"tcp": NativeServerProviderRoute("tcp://127.0.0.1:0")},
        transport_policy=TransportPolicy.FORCE_TCP,
    )
    with listen_native_server(bootstrap) as server:
        port = int(server.bound_provider_endpoints["tcp"].address.rsplit(":", 1)[1])
        proxy = CapturingProxy(port)
        proxy_port = await proxy.start()
        accept = asyncio.ensure_future(server.accept(NativeServerAcceptOptions(timeout_ms=5000)))
        options = NativeClientOptions(
            "nnrp://127.0.0.1",
            provider_routes={"tcp": NativeClientProviderRoute(f"tcp://127.0.0.1:{proxy_port}")},
            transport_policy=TransportPolicy.FORCE_TCP,
        )
        conn_cm = connect_native_client_connection(options)
        conn = conn_cm.__enter__()
        try:
            session = await conn.open_session(NativeClientSessionOptions(requested_session_id=7))
            ss = await accept
            expects = await scenario(conn, session, ss, proxy)
            await _drain_client(session)
            await asyncio.sleep(0.2)
            down, duplex = bytes(proxy.down.raw), b"".join(proxy.duplex)
        finally:
            # Session close races the server (the runtime reports would-block): best effort.
            with contextlib.suppress(Exception):
                conn_cm.__exit__(None, None, None)
            await proxy.close()
    (OUT / f"nnrp-wire-{name}.nnrp").write_bytes(down)
    (OUT / f"nnrp-wire-{name}.duplex.nnrp").write_bytes(duplex)
    print(f"{name}: {len(down)} bytes down, {len(duplex)} bytes duplex", file=sys.stderr)
    return expects


async def main() -> None:
    import importlib.metadata

    expected: dict[str, Any] = {
        "recorded_with": f"nnrp-py {importlib.metadata.version('nnrp-py')} (native TCP)",
        "scenarios": {},
    }
    names = sys.argv[1:] or list(SCENARIOS)
    for name in names:
        expected["scenarios"][name] = await record(name, SCENARIOS[name])
    path = OUT / "nnrp-wire-expected.json"
    if sys.argv[1:] and path.exists():
        old = json.loads(path.read_text())
        old["scenarios"].update(expected["scenarios"])
        expected = old
    path.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
