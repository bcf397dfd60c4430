"""The AG-UI encoder on every bundled recording (Loom, NNRP both profiles, TanStack legacy, era B
and AG-UI), checked by the protocol's own tools:

* every event validates against the ``ag-ui-protocol`` 1.0 models (Python);
* ``verifyEvents`` of ``@ag-ui/client`` 1.0 accepts each whole sequence (Node,
  ``conformance/verify_agui.mjs``), as does ``@ag-ui/core``'s event schema;
* TanStack AI's ``StreamProcessor`` 0.58 on the emitted SSE builds the same text and tool calls
  as :func:`streamfold.export.tanstack.to_ui_messages` of the original input
  (``conformance/run_reference.mjs``), except the declared divergences;
* folding streamfold's own AG-UI output gives back the same conversation (text per message,
  tool calls with their arguments and results, run outcomes), except the declared divergences.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest

from streamfold import Reducer
from streamfold.export.tanstack import to_ui_messages
from streamfold.io.sync import convert_file_to_agui
from streamfold.model import Conversation, RunStatus

from .agui_support import fold_frames, recordings, require_node, run_node

RECORDINGS: Final = recordings()
NAMES: Final = [p.name for p in RECORDINGS]
assert len(set(NAMES)) == len(NAMES)


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in convert_file_to_agui(path, "agui-ndjson")]


def test_every_format_is_covered() -> None:
    kinds = {n.split("-")[0] for n in NAMES}
    assert {"loom", "nnrp", "tanstack"} <= kinds
    assert "nnrp-openai.ndjson" in NAMES  # the OpenAI-shaped NNRP profile
    assert "tanstack-legacy-tools.sse" in NAMES


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
def test_events_validate_against_the_protocol_models(path: Path) -> None:
    pydantic = pytest.importorskip("pydantic")
    core = pytest.importorskip("ag_ui.core")
    adapter = pydantic.TypeAdapter(core.Event)
    events = _events(path)
    assert events[0]["type"] == "RUN_STARTED"
    for event in events:
        adapter.validate_json(json.dumps(event))


def test_the_model_check_can_fail() -> None:
    pydantic = pytest.importorskip("pydantic")
    core = pytest.importorskip("ag_ui.core")
    adapter = pydantic.TypeAdapter(core.Event)
    with pytest.raises(pydantic.ValidationError):
        adapter.validate_json('{"type": "TEXT_MESSAGE_CONTENT", "messageId": "m"}')


def test_verify_events_accepts_every_sequence(tmp_path: Path) -> None:
    require_node()
    jobs = []
    for path in RECORDINGS:
        out = tmp_path / f"{path.name}.agui.ndjson"
        out.write_text("".join(convert_file_to_agui(path, "agui-ndjson")))
        jobs.append({"key": path.name, "file": str(out)})
    # A sequence the verifier must refuse: arguments for a call that is not open.
    bad = tmp_path / "bad.ndjson"
    bad.write_text(
        '{"type":"RUN_STARTED","threadId":"t","runId":"r"}\n'
        '{"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"{}"}\n'
    )
    jobs.append({"key": "bad", "file": str(bad)})
    verdicts = run_node("verify_agui.mjs", jobs)
    assert verdicts.pop("bad")["ok"] is False
    refused = {k: v for k, v in verdicts.items() if not v["ok"]}
    assert refused == {}
    assert set(verdicts) == set(NAMES)


# ----------------------------------------------------------------------------- views


def _args(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text


def _output(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flat(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with the sub-agent messages streamfold nests under their tool-call part
    (``subagentMessages``, docs/tanstack.md) taken out again: TanStack has no nesting and shows
    them in the thread, and the comparison is of content, not placement."""
    out: list[dict[str, Any]] = []
    for message in messages:
        out.append(message)
        for part in message["parts"]:
            out += _flat(part.get("subagentMessages", []))
    return out


def ui_view(messages: list[dict[str, Any]], renames: dict[str, str]) -> dict[str, Any]:
    """Text per assistant message and tool calls (name, parsed arguments, output) by id."""
    texts: dict[str, str] = {}
    calls: dict[str, Any] = {}
    for message in _flat(messages):
        if message["role"] != "assistant":
            continue
        text = "".join(p["content"] for p in message["parts"] if p["type"] == "text")
        if text:
            texts[message["id"]] = text
        for part in message["parts"]:
            if part["type"] == "tool-call":
                call_id = renames.get(part["id"], part["id"])
                calls[call_id] = [
                    part["name"],
                    _args(part["arguments"]),
                    _output(part.get("output")),
                ]
    return {"text": texts, "calls": calls}


def model_view(conversation: Conversation, renames: dict[str, str]) -> dict[str, Any]:
    texts: dict[str, str] = {}
    calls: dict[str, Any] = {}
    runs: dict[str, str] = {}
    for run in conversation.runs:
        runs[run.run_id] = "completed" if run.status is RunStatus.INCOMPLETE else run.status.value
        for message in run.messages:
            if message.role == "assistant" and message.text:
                texts[message.message_id] = message.text
        for call in run.tool_calls.values():
            call_id = renames.get(call.call_id, call.call_id)
            calls[call_id] = [call.name or "", _args(call.arguments), call.result]
    return {"text": texts, "calls": calls, "runs": runs}


def _diff(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    return {
        f"{section}:{key}"
        for section in a
        for key in set(a[section]) | set(b[section])
        if a[section].get(key) != b[section].get(key)
    }


# ------------------------------------------------------------------- TanStack StreamProcessor

TANSTACK_DIVERGENCES: Final[dict[str, tuple[set[str], str]]] = {
    "loom-multi-agent.ndjson": (
        {
            "text:run-329d7871-3e9d-4d6b-aab5-0dfccff281ee#1/1/message",
            "text:run-329d7871-3e9d-4d6b-aab5-0dfccff281ee#1/5/message",
        },
        "two Loom sessions stream at once; TanStack's processor, which knows one streaming "
        "message at a time, repeats the first delta of a message that interleaves with another "
        "(the AG-UI stream itself carries each delta once)",
    ),
    "pydantic-ai-approval-resume.sse": (
        {"calls:call_del"},
        "the resumed run answers a call of the previous run (not in the recording): the model "
        "keeps it as a call of no message, the AG-UI stream starts it so that its result has "
        "a call, and TanStack shows it in the resumed run's message",
    ),
    "loom-failed-run.ndjson": (
        {"calls:tool#1"},
        "Loom's id-less tool_call starts the call before its name is known; the AG-UI "
        "TOOL_CALL_START went out with an empty name (the id rename is mapped)",
    ),
}


def test_tanstack_stream_processor_builds_the_same_text_and_tool_calls(tmp_path: Path) -> None:
    require_node()
    jobs, expected = [], {}
    for path in RECORDINGS:
        _, conversation, renames = fold_frames(path)
        out = tmp_path / f"{path.name}.agui.sse"
        out.write_text("".join(convert_file_to_agui(path, "agui-sse")))
        jobs.append({"key": path.name, "version": "current", "file": str(out)})
        expected[path.name] = (
            ui_view(to_ui_messages(conversation, all_sessions=True), renames),
            renames,
        )
    outputs = run_node("run_reference.mjs", jobs)
    report = {}
    for name in NAMES:
        ours, renames = expected[name]
        theirs = ui_view(outputs[name]["messages"], renames)
        assert outputs[name].get("transportError") is None, name
        report[name] = _diff(ours, theirs)
    for name, diffs in report.items():
        declared = TANSTACK_DIVERGENCES.get(name, (set(), ""))[0]
        assert diffs == declared, (name, diffs)
    assert any(expected[n][0]["calls"] for n in NAMES)  # the comparison saw tool calls


# ------------------------------------------------------------------- round trip

ROUND_TRIP_DIVERGENCES: Final[dict[str, tuple[set[str], str]]] = {
    "loom-multi-agent.ndjson": (
        {"runs:call_GgHBBGai2MWeRV8nUTeUHG1Q/agent"},
        "a Loom sub-agent (the spans inside a tool call) goes out as an AG-UI sub-agent, which "
        "the AG-UI decoder reads back as a child run of its own (docs/agui.md, 'Sub-agents')",
    ),
    "loom-failed-run.ndjson": (
        {"calls:tool#1"},
        "the call's name came after its TOOL_CALL_START (see TANSTACK_DIVERGENCES)",
    ),
}


@pytest.mark.parametrize("path", RECORDINGS, ids=NAMES)
def test_folding_the_agui_output_gives_back_the_conversation(path: Path) -> None:
    _, conversation, renames = fold_frames(path)
    original = model_view(conversation, renames)
    data = "".join(convert_file_to_agui(path, "agui-ndjson")).encode()
    reducer = Reducer()
    reducer.feed_bytes(data)
    reducer.close()
    again = model_view(reducer.conversation, {})
    again["runs"] = {k: v for k, v in again["runs"].items() if not k.endswith("/after")}
    declared = ROUND_TRIP_DIVERGENCES.get(path.name, (set(), ""))[0]
    assert _diff(original, again) == declared
    assert original["runs"]  # the comparison saw runs
