"""Recordings of published AG-UI senders folded by streamfold and compared with what each sender
meant (issue #16).

Each ``examples/recordings/agui/<name>.sse`` was produced by a published sender (pydantic-ai's
``AGUIAdapter``, ag-ui-langgraph's ``LangGraphAgent``, the ``ag-ui-protocol`` SDK encoder; see
``examples/recordings/README.md``), and ``<name>.truth.json`` was written by the recorder from the
sender's own event objects: per run the outcome, each message's text, reasoning, tool calls
(arguments, results, errors, owed by the client), interrupts, state, usage, sub-agents and
activities (docs/agui.md). One test per recording and aspect; where streamfold is wrong today the
test is a strict xfail naming the gap, so it flips (and must be un-marked) when the decoder is
fixed.

Accessors for what the model does not have yet (``run.interrupts``, activity parts, a
``Reducer`` seeded from a ``RunAgentInput``) are the names docs/agui.md proposes; they are
read with ``getattr`` so the tests fail (xfail) rather than error at collection.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold import Reducer, fold, fold_file
from streamfold.actions import pending_tool_calls
from streamfold.model import (
    Conversation,
    Message,
    ReasoningPart,
    Run,
    ToolCall,
)

ag_ui_core = pytest.importorskip("ag_ui.core")

ROOT = Path(__file__).resolve().parents[3]
DIR = ROOT / "examples" / "recordings" / "agui"
NAMES = sorted(p.name.removesuffix(".sse") for p in DIR.glob("*.sse"))
TRUTH = {name: json.loads((DIR / f"{name}.truth.json").read_text()) for name in NAMES}
_FOLDED: dict[str, Conversation] = {}


def folded(name: str) -> Conversation:
    if name not in _FOLDED:
        _FOLDED[name] = fold_file(DIR / f"{name}.sse")
    return _FOLDED[name]


def _runs(name: str) -> Iterator[tuple[dict[str, Any], Run]]:
    conversation = folded(name)
    for truth in TRUTH[name]["runs"]:
        run = conversation.find_run(truth["run_id"])
        assert run is not None, f"run {truth['run_id']} missing"
        yield truth, run


def _messages(conversation: Conversation) -> dict[str, Message]:
    return {m.message_id: m for run in conversation.runs for m in run.messages}


def _calls(conversation: Conversation) -> dict[str, ToolCall]:
    return {cid: call for run in conversation.runs for cid, call in run.tool_calls.items()}


def _all_calls(name: str, *, history: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    """The calls of every run, and those of the request's history the stream answers."""
    truth = TRUTH[name]
    if history:
        yield from ((c, v) for c, v in truth["history"]["tool_calls"].items() if v["result"])
    for run in truth["runs"]:
        yield from run["tool_calls"].items()


def _survives_snapshot(run: dict[str, Any], message_id: str) -> bool:
    snapshot = run["messages_snapshot"]
    return snapshot is None or any(m["id"] == message_id for m in snapshot)


# --------------------------------------------------------------------------- aspects


def check_status(name: str) -> None:
    got = [(t["run_id"], str(run.status)) for t, run in _runs(name)]
    assert got == [(t["run_id"], t["status"]) for t in TRUTH[name]["runs"]]


def check_run_fields(name: str) -> None:
    for truth, run in _runs(name):
        assert run.parent_run_id == truth["parent_run_id"]
        assert run.thread_id == truth["thread_id"]
        if truth["error"] is not None:
            assert run.error == truth["error"]
            assert run.error_code == truth["error_code"]


def check_text(name: str) -> None:
    messages = _messages(folded(name))
    for truth, _ in _runs(name):
        for mid, message in truth["messages"].items():
            if message["subagent_run_id"] is None and _survives_snapshot(truth, mid):
                assert mid in messages, mid
                assert messages[mid].text == message["text"], mid


def check_reasoning(name: str) -> None:
    """Every reasoning text the sender sent, and no reasoning part it did not send."""
    for truth, run in _runs(name):
        want = [r["text"] for r in truth["reasoning"].values() if r["subagent_run_id"] is None]
        got = [p.text for m in run.messages for p in m.parts if isinstance(p, ReasoningPart)]
        assert got == want


def _encrypted_holders(conversation: Conversation) -> Iterator[tuple[str, Any]]:
    """(entity id, value) pairs the model attaches encrypted values to."""
    for message in _messages(conversation).values():
        for part in message.parts:
            if isinstance(part, ReasoningPart) and part.encrypted is not None:
                yield "reasoning", part.encrypted
        for value in message.metadata.values():
            yield message.message_id, value
    for cid, call in _calls(conversation).items():
        for value in call.metadata.values():
            yield cid, value


def check_encrypted(name: str) -> None:
    """Each encrypted value lands on the entity it names, never as an empty reasoning part."""
    conversation = folded(name)
    held = list(_encrypted_holders(conversation))
    for truth, run in _runs(name):
        for rid, reasoning in truth["reasoning"].items():
            if reasoning["encrypted_value"] is not None:
                assert ("reasoning", reasoning["encrypted_value"]) in held, rid
        for mid, message in truth["messages"].items():
            if message.get("encrypted_value") is not None:
                assert (mid, message["encrypted_value"]) in held, mid
        for cid, call in truth["tool_calls"].items():
            for key in ("encrypted_value", "result_encrypted_value"):
                if call.get(key) is not None:
                    assert (cid, call[key]) in held, (cid, key)
        empty = [
            p
            for m in run.messages
            for p in m.parts
            if isinstance(p, ReasoningPart) and not p.text and p.encrypted is not None
        ]
        assert not empty


def check_tool_args(name: str) -> None:
    calls = _calls(folded(name))
    for cid, call in _all_calls(name, history=False):
        assert cid in calls, cid
        assert calls[cid].arguments == call["arguments"], cid
        assert calls[cid].name == call["name"], cid


def check_tool_results(name: str) -> None:
    calls = _calls(folded(name))
    for cid, call in _all_calls(name):
        if call["result"] is None:
            continue
        assert cid in calls, cid
        if isinstance(call["result"], str):
            assert calls[cid].result == call["result"], cid
        else:  # content parts: kept as the parts the sender sent
            assert calls[cid].result_value == call["result"], cid


def check_tool_errors(name: str) -> None:
    calls = _calls(folded(name))
    for cid, call in _all_calls(name):
        if cid in calls:
            assert (calls[cid].error is not None) == (call["error"] is not None), cid


def check_owed_by_client(name: str) -> None:
    want = {
        cid
        for run in TRUTH[name]["runs"]
        for cid, call in run["tool_calls"].items()
        if call["owed_by_client"] and call["result"] is None
    }
    assert {c.call_id for c in pending_tool_calls(folded(name))} == want


def _interrupts(run: Run) -> list[tuple[Any, Any, Any]]:
    """The run's interrupts as (id, reason, tool call id): the proposed ``Run.interrupts``."""
    items = getattr(run, "interrupts", None)
    assert items is not None, "Run has no interrupts"
    return [(i.interrupt_id, i.reason, i.tool_call_id) for i in items]


def check_interrupts(name: str) -> None:
    if not any(t["interrupts"] for t in TRUTH[name]["runs"]):
        return  # nothing to find (a recording without interrupts says nothing about them)
    for truth, run in _runs(name):
        want = [(i["id"], i["reason"], i.get("toolCallId")) for i in truth["interrupts"]]
        assert _interrupts(run) == want


def check_approvals(name: str) -> None:
    calls = _calls(folded(name))
    for truth in TRUTH[name]["runs"]:
        for interrupt in truth["interrupts"]:
            cid = interrupt.get("toolCallId")
            if cid and interrupt["reason"] in ("tool_call", "approval_required"):
                call = calls[cid]
                assert call.approval is not None and call.approval.approval_id == interrupt["id"]
                assert str(call.state) == "approval-requested"


def check_state(name: str) -> None:
    for truth, run in _runs(name):
        if truth["state"] is not None:
            assert run.state == truth["state"]


def check_usage(name: str) -> None:
    for truth, run in _runs(name):
        entries = truth["usage"] or []
        if not entries:
            continue

        def total(key: str, entries: list[dict[str, Any]] = entries) -> int:
            return sum(e.get(key) or 0 for e in entries)

        assert run.usage.prompt_tokens == total("inputTokens")
        assert run.usage.completion_tokens == total("outputTokens")
        assert run.usage.total_tokens == total("totalTokens")
        details = {**run.usage.prompt_tokens_details, **run.usage.completion_tokens_details}
        for wire, ours in (
            ("cachedInputTokens", "cachedTokens"),
            ("reasoningTokens", "reasoningTokens"),
            ("cacheWriteInputTokens", "cacheWriteTokens"),
        ):
            if total(wire):
                assert details.get(ours) == total(wire), wire


_SUBAGENT_STATUS = {"completed": "completed", "failed": "failed", "suspended": "interrupted"}


def check_subagents(name: str) -> None:
    """Each sub-agent invocation is a child run of its parent; its messages are in it."""
    conversation = folded(name)
    messages = _messages(conversation)
    for truth, run in _runs(name):
        for sid, agent in truth["subagents"].items():
            child = conversation.find_run(sid)
            assert child is not None, sid
            parent = agent["parent_subagent_run_id"] or run.run_id
            assert child.parent_run_id == parent, sid
            assert str(child.status) == _SUBAGENT_STATUS[agent["status"]], sid
        for mid, message in truth["messages"].items():
            if message["subagent_run_id"] is not None:
                assert messages[mid].run_id == message["subagent_run_id"], mid
                assert messages[mid].text == message["text"], mid


def _activity(message: Message) -> tuple[Any, Any]:
    """(activity type, content) of an activity message: the proposed activity part."""
    assert message.role == "activity", message.role
    (part,) = message.parts
    return getattr(part, "activity_type", None), getattr(part, "content", None)


def check_activities(name: str) -> None:
    messages = _messages(folded(name))
    for truth, _ in _runs(name):
        for mid, activity in truth["activities"].items():
            assert mid in messages, mid
            assert _activity(messages[mid]) == (activity["activity_type"], activity["content"])


def check_snapshot_roles(name: str) -> None:
    """activity / reasoning messages of a MESSAGES_SNAPSHOT are not empty assistant messages."""
    conversation = folded(name)
    messages = _messages(conversation)
    for truth, _ in _runs(name):
        for entry in truth["messages_snapshot"] or ():
            got = messages.get(entry["id"])
            if entry["role"] == "activity":
                assert got is not None
                assert _activity(got) == (entry["activityType"], entry["content"])
            elif entry["role"] == "reasoning":
                assert got is None or got.parts, entry["id"]
                texts = [getattr(p, "text", None) for m in messages.values() for p in m.parts]
                assert entry["content"] in texts
    assert not [m for m in messages.values() if m.role == "assistant" and not m.parts]


def check_raw_and_custom(name: str) -> None:
    """RAW and CUSTOM events are kept on their run, none lost."""
    for truth, run in _runs(name):
        names = [e.name for e in run.custom_events]
        assert names.count("RAW") == len(truth["raw"])
        for custom in truth["custom"]:
            assert custom["name"] in names


def _seeded(name: str) -> Reducer:
    """A reducer seeded from the recording's request (the proposed ``Reducer.from_run_input``)."""
    truth = TRUTH[name]
    request = json.loads((DIR / truth["run_input"]).read_text())
    seed = getattr(Reducer, "from_run_input", None)
    assert seed is not None, "Reducer.from_run_input does not exist"
    reducer: Reducer = seed(request)
    return reducer


def check_history(name: str) -> None:
    """A continuation resolves the calls of the conversation it continues (RunAgentInput)."""
    truth = TRUTH[name]
    if "run_input" not in truth:
        return
    reducer = _seeded(name)
    reducer.feed_sse((DIR / f"{name}.sse").read_bytes())
    reducer.close()
    calls = _calls(reducer.conversation)
    for cid, call in truth["history"]["tool_calls"].items():
        assert cid in calls, cid
        assert calls[cid].result == call["result"]
        assert str(calls[cid].state) == "complete"
    assert not pending_tool_calls(reducer.conversation)


CHECKS: dict[str, Callable[[str], None]] = {
    name.removeprefix("check_"): fn for name, fn in globals().items() if name.startswith("check_")
}

# Where streamfold is wrong today: (recording, aspect) -> the gap (see docs/agui.md). Every gap
# the recordings measured for issue #16 is closed; a new one goes here as a strict xfail.
GAPS: dict[tuple[str, str], str] = {}


def _cases() -> Iterator[Any]:
    for name in NAMES:
        for aspect in CHECKS:
            marks = []
            gap = GAPS.get((name, aspect))
            if gap is not None:
                marks.append(pytest.mark.xfail(strict=True, reason=f"issue #16: {gap}"))
            yield pytest.param(name, aspect, id=f"{name}:{aspect}", marks=marks)


@pytest.mark.parametrize(("name", "aspect"), list(_cases()))
def test_sender_meaning(name: str, aspect: str) -> None:
    CHECKS[aspect](name)


# ----------------------------------------------------------------------- the recordings


def _events(name: str) -> list[dict[str, Any]]:
    text = (DIR / f"{name}.sse").read_text()
    return [orjson.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize("name", NAMES)
def test_every_event_validates_against_ag_ui_core(name: str) -> None:
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(ag_ui_core.Event)
    events = _events(name)
    assert len(events) == TRUTH[name]["events"]
    for event in events:
        assert adapter.validate_python(event).type.value == event["type"]


def test_every_recording_has_a_truth_file_and_a_readme_entry() -> None:
    readme = (ROOT / "examples" / "recordings" / "README.md").read_text()
    assert {p.name.removesuffix(".truth.json") for p in DIR.glob("*.truth.json")} == set(NAMES)
    for name in NAMES:
        assert f"`agui/{name}.sse`" in readme, name


def _summary(conversation: Conversation) -> Any:
    return [
        (
            run.run_id,
            str(run.status),
            [(m.message_id, m.role, m.text, m.reasoning) for m in run.messages],
            [(c.call_id, c.arguments, c.result, str(c.state)) for c in run.tool_calls.values()],
            run.state,
            run.usage.total_tokens,
        )
        for run in conversation.runs
    ]


SPLIT_SOURCE = (DIR / "pydantic-ai-tools.sse").read_bytes()
SPLIT_WHOLE = _summary(fold([SPLIT_SOURCE], framing="sse"))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(SPLIT_SOURCE) - 1), max_size=12))
def test_byte_splits_anywhere_fold_the_same(cuts: list[int]) -> None:
    points = [0, *sorted(set(cuts)), len(SPLIT_SOURCE)]
    chunks = [SPLIT_SOURCE[a:b] for a, b in itertools.pairwise(points)]
    assert _summary(fold(chunks, framing="sse")) == SPLIT_WHOLE


# ------------------------------------------------------------------ unknown future input

_START = {"type": "RUN_STARTED", "threadId": "t", "runId": "r", "protocolVersion": "1.1"}
_END = {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}


def _fold_frames(frames: list[dict[str, Any]]) -> tuple[Reducer, Conversation]:
    reducer = Reducer()
    for frame in frames:
        reducer.feed(frame)
    reducer.close()
    return reducer, reducer.conversation


def test_unknown_event_type_is_kept_with_a_diagnostic() -> None:
    future = {"type": "MEMORY_WRITTEN", "key": "k", "value": {"x": 1}}
    reducer, conversation = _fold_frames([_START, future, _END])
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped
    (run,) = conversation.runs
    kept = [e for e in run.unknown_events if e.get("type") == "MEMORY_WRITTEN"]
    kept += [e.value for e in run.custom_events if isinstance(e.value, dict)]
    assert any(e.get("key") == "k" for e in kept)
    assert any("MEMORY_WRITTEN" in (d.message + (d.raw or "")) for d in conversation.diagnostics)
    assert str(run.status) == "completed"


def test_unknown_outcome_type_is_kept_with_a_diagnostic() -> None:
    end = {**_END, "outcome": {"type": "handed_off", "to": "human"}}
    _, conversation = _fold_frames([_START, end])
    assert any("handed_off" in (d.message + (d.raw or "")) for d in conversation.diagnostics)


def test_unknown_fields_are_kept_with_a_diagnostic() -> None:
    frames = [
        _START,
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant", "tone": "calm"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "hi"},
        {"type": "TEXT_MESSAGE_END", "messageId": "m"},
        _END,
    ]
    _, conversation = _fold_frames(frames)
    (message,) = conversation.runs[0].messages
    assert message.text == "hi"
    assert any("tone" in d.message for d in conversation.diagnostics)
