"""The ``vercel-ui`` format (``docs/vercel-ui.md``): the AI SDK's UI message streams recorded
from its own server helpers (``examples/recordings/vercel-ui-*.sse``, made by
``conformance/vercel-ui/record.mjs``) fold to what the AI SDK's client fold,
``readUIMessageStream``, ends with on the same bytes (Node); the TanStack legacy
``tool-input-available`` and the UI message stream's are told apart; quirks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from streamfold import Reducer
from streamfold.export.json import to_json
from streamfold.formats import FORMATS, detect_format
from streamfold.model import RunStatus, ToolCallState

from ..providers.corpus import fold, normalize_usage, parsed
from ..providers.sse import fold_frames, only_run, resumed, sse

ROOT = Path(__file__).resolve().parents[3]
RECORDINGS = sorted((ROOT / "examples" / "recordings").glob("vercel-ui-*.sse"))


def reference() -> dict[str, Any]:
    """``readUIMessageStream``'s final message of every recording (one node process)."""
    reason = None
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not (ROOT / "conformance" / "node_modules" / "ai").exists():
        reason = "conformance/node_modules lacks ai: run `npm ci --prefix conformance`"
    if reason is not None:
        required = os.environ.get("STREAMFOLD_REQUIRE_CONFORMANCE", "").strip().lower()
        if required not in ("", "0", "false", "no", "off"):
            pytest.fail(reason)
        pytest.skip(reason)
    done = subprocess.run(
        ["node", "conformance/vercel-ui/read.mjs", *map(str, RECORDINGS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def theirs(entry: dict[str, Any]) -> dict[str, Any]:
    message = entry["message"]
    texts, reasoning, calls, data = [], [], [], {}
    for part in message["parts"]:
        kind = part["type"]
        if kind == "text":
            texts.append(part["text"])
        elif kind == "reasoning":
            reasoning.append(part["text"])
        elif kind.startswith("tool-") or kind == "dynamic-tool":
            calls.append(
                {
                    "id": part["toolCallId"],
                    "name": part.get("toolName", kind[5:]),
                    "arguments": part.get("input"),
                    "output": part.get("output"),
                    "error": part.get("errorText"),
                }
            )
        elif kind.startswith("data-"):
            data[(kind, part.get("id"))] = part["data"]
    usage = (message.get("metadata") or {}).get("totalUsage") or {}
    return {
        "texts": "".join(texts),
        "reasoning": "".join(reasoning),
        "tool_calls": calls,
        "data": data,
        "usage": {
            "input_tokens": usage.get("inputTokens", 0),
            "output_tokens": usage.get("outputTokens", 0),
        },
        "error": entry["error"],
    }


def ours(reducer: Reducer) -> dict[str, Any]:
    run = only_run(reducer)
    (message,) = run.messages
    data = {}
    for event in run.custom_events:
        data[(event.name, event.value.get("id"))] = event.value["data"]
    return {
        "texts": message.text,
        "reasoning": message.reasoning,
        "tool_calls": [
            {
                "id": call.call_id,
                "name": call.name,
                "arguments": parsed(call),
                "output": None
                if call.error is not None or call.result is None
                else json.loads(call.result),
                "error": call.error,
            }
            for call in message.tool_calls()
        ],
        "data": data,
        "usage": normalize_usage(run.usage),
        "error": run.error if run.status is RunStatus.FAILED else None,
    }


def test_recordings_are_here() -> None:
    assert [p.name for p in RECORDINGS] == [
        "vercel-ui-client-tool.sse",
        "vercel-ui-data-sources.sse",
        "vercel-ui-error.sse",
        "vercel-ui-reasoning-text.sse",
        "vercel-ui-tools-multistep.sse",
    ]


def test_fold_equals_read_ui_message_stream() -> None:
    answers = reference()
    for path in RECORDINGS:
        reducer = fold(path.read_bytes())
        assert set(reducer.decoders) == {"vercel-ui"}
        assert reducer.frames_dropped == 0
        assert ours(reducer) == theirs(answers[path.name]), path.name


def test_tanstack_legacy_and_vercel_tool_input_available_are_told_apart() -> None:
    frame = {"type": "tool-input-available", "toolCallId": "c1", "toolName": "t", "input": {}}
    assert detect_format(frame) == "tanstack"  # a stream that begins with it is TanStack's
    assert 0 < FORMATS["vercel-ui"].detect(frame) < FORMATS["tanstack"].detect(frame)
    reducer = fold((ROOT / "examples/recordings/vercel-ui-client-tool.sse").read_bytes())
    assert set(reducer.decoders) == {"vercel-ui"}  # never claimed by TanStack mid-stream
    (call,) = only_run(reducer).messages[0].tool_calls()
    assert (call.name, call.input, call.state) == (
        "askUser",
        {"question": "Which city?"},
        ToolCallState.INPUT_COMPLETE,
    )


def test_abort_unknown_chunks_preliminary_output_and_approval() -> None:
    frames: list[Any] = [
        {"type": "start", "messageId": "m"},
        {"type": "tool-input-start", "toolCallId": "c", "toolName": "t", "providerExecuted": True},
        {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": '{"a":1}'},
        {"type": "tool-approval-request", "approvalId": "ap", "toolCallId": "c"},
        {"type": "tool-output-available", "toolCallId": "c", "output": 1, "preliminary": True},
        {"type": "hologram-start", "id": "x"},
        {"type": "text-delta", "id": "t", "delta": 5},
        {"type": "abort", "reason": "user"},
    ]
    reducer = fold_frames(frames, done=True)
    run = only_run(reducer)
    assert (run.status, run.finish_reason) == (RunStatus.CANCELLED, "cancelled")
    (call,) = run.messages[0].tool_calls()
    assert call.metadata["provider_executed"] is True
    assert call.metadata["preliminary_output"] == 1
    assert call.approval is not None and call.approval.approval_id == "ap"
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert "unknown_event_type" in codes and "invalid_field" in codes
    assert len(run.unknown_events) == 1


def test_a_stream_without_finish_is_incomplete() -> None:
    frames = [{"type": "start"}, {"type": "text-delta", "id": "t", "delta": "Hi"}]
    run = only_run(fold_frames(frames))
    assert run.status is RunStatus.INCOMPLETE and run.messages[0].text == "Hi"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_snapshot_and_resume_at_every_event_fold_the_same(path: Path) -> None:
    data = path.read_bytes()
    whole = Reducer()
    whole.feed_sse(data)
    whole.close()
    expected = to_json(whole.conversation)
    assert all(doc == expected for doc in resumed(data))


def test_sse_helper_round_trip() -> None:
    assert sse([{"type": "start"}], done=True) == b'data: {"type":"start"}\n\ndata: [DONE]\n\n'
