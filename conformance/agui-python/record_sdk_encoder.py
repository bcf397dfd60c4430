"""Record AG-UI 1.0 events that no published agent framework sends yet, through the
``ag-ui-protocol`` SDK itself: each event is built as an ``ag_ui.core`` model and written by
``ag_ui.encoder.EventEncoder`` (what every Python AG-UI server uses), so the bytes are the SDK's.
Timestamps are fixed (one millisecond apart) and ids are literal. Run::

    python conformance/agui-python/record_sdk_encoder.py

Writes ``examples/recordings/agui/agui-sdk-*.sse`` and ``*.truth.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

from _truth import write_recording
from ag_ui.core import (
    PROTOCOL_VERSION,
    ActivityDeltaEvent,
    ActivityMessage,
    ActivitySnapshotEvent,
    AssistantMessage,
    BaseEvent,
    CustomEvent,
    FunctionCall,
    Interrupt,
    MessagesSnapshotEvent,
    RawEvent,
    ReasoningEncryptedValueEvent,
    ReasoningEndEvent,
    ReasoningMessage,
    ReasoningMessageChunkEvent,
    ReasoningStartEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedCancelledOutcome,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunFinishedSuccessOutcome,
    RunStartedEvent,
    StateDeltaEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    SubagentErrorEvent,
    SubagentFinishedEvent,
    SubagentFinishedSuspendedOutcome,
    SubagentStartedEvent,
    TextMessageChunkEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TokenUsage,
    ToolCall,
    ToolCallArgsEvent,
    ToolCallChunkEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
    ToolMessage,
    UserMessage,
)
from ag_ui.core.types import TextPart as TextContentPart
from ag_ui.encoder import EventEncoder

SENDER = f"ag-ui-protocol {version('ag-ui-protocol')} EventEncoder"
T0 = 1_767_225_600_000
THREAD = "thread-sdk"


def encode(events: list[BaseEvent]) -> str:
    encoder = EventEncoder()
    out = []
    for n, event in enumerate(events):
        event.timestamp = T0 + n
        out.append(encoder.encode(event))
    return "".join(out)


def text(message_id: str, *pieces: str, sub: str | None = None) -> Iterator[BaseEvent]:
    yield TextMessageStartEvent(message_id=message_id, role="assistant", subagent_run_id=sub)
    for piece in pieces:
        yield TextMessageContentEvent(message_id=message_id, delta=piece, subagent_run_id=sub)
    yield TextMessageEndEvent(message_id=message_id, subagent_run_id=sub)


def call(
    call_id: str, name: str, parent: str, *args: str, sub: str | None = None
) -> Iterator[BaseEvent]:
    yield ToolCallStartEvent(
        tool_call_id=call_id, tool_call_name=name, parent_message_id=parent, subagent_run_id=sub
    )
    for piece in args:
        yield ToolCallArgsEvent(tool_call_id=call_id, delta=piece, subagent_run_id=sub)
    yield ToolCallEndEvent(tool_call_id=call_id, subagent_run_id=sub)


USAGE = [
    TokenUsage(
        provider="anthropic",
        model="claude-sonnet-4",
        input_tokens=1200,
        output_tokens=300,
        total_tokens=1500,
        reasoning_tokens=120,
        cached_input_tokens=800,
        cache_write_input_tokens=200,
    ),
    TokenUsage(
        provider="openai", model="gpt-5-mini", input_tokens=100, output_tokens=20, total_tokens=120
    ),
]


def outcomes() -> list[BaseEvent]:
    """Three runs on one thread: success with pendingToolCallIds, interrupt, cancelled."""
    return [
        RunStartedEvent(thread_id=THREAD, run_id="run-pending", protocol_version=PROTOCOL_VERSION),
        *text("m-1", "I need your location."),
        *call("call-loc", "get_location", "m-1", '{"precision":', ' "city"}'),
        RunFinishedEvent(
            thread_id=THREAD,
            run_id="run-pending",
            outcome=RunFinishedSuccessOutcome(pending_tool_call_ids=["call-loc"]),
            usage=USAGE,
        ),
        RunStartedEvent(
            thread_id=THREAD,
            run_id="run-interrupt",
            parent_run_id="run-pending",
            protocol_version=PROTOCOL_VERSION,
        ),
        *text("m-2", "Booking needs two answers."),
        *call("call-book", "book_flight", "m-2", '{"to": "LIS"}'),
        RunFinishedEvent(
            thread_id=THREAD,
            run_id="run-interrupt",
            outcome=RunFinishedInterruptOutcome(
                interrupts=[
                    Interrupt(
                        id="int-approve",
                        reason="tool_call",
                        tool_call_id="call-book",
                        message="Book the flight to LIS?",
                        response_schema={
                            "type": "object",
                            "properties": {"approved": {"type": "boolean"}},
                        },
                        expires_at="2026-01-01T01:00:00Z",
                    ),
                    Interrupt(
                        id="int-seat",
                        reason="input_required",
                        message="Window or aisle?",
                        response_schema={"type": "string", "enum": ["window", "aisle"]},
                        metadata={"field": "seat"},
                    ),
                ]
            ),
            usage=[TokenUsage(input_tokens=50, output_tokens=10, total_tokens=60)],
        ),
        RunStartedEvent(thread_id=THREAD, run_id="run-cancel", protocol_version=PROTOCOL_VERSION),
        *text("m-3", "Searching fares"),
        RunFinishedEvent(
            thread_id=THREAD, run_id="run-cancel", outcome=RunFinishedCancelledOutcome()
        ),
    ]


def subagents() -> list[BaseEvent]:
    """A parent delegating to sub-agents through a tool call: one succeeds, one fails, one is
    suspended on an interrupt that the run's outcome carries."""
    return [
        RunStartedEvent(thread_id=THREAD, run_id="run-parent", protocol_version=PROTOCOL_VERSION),
        *text("p-1", "Delegating research."),
        *call("call-research", "research", "p-1", '{"topic": "tides"}'),
        SubagentStartedEvent(
            subagent_run_id="sub-research",
            name="researcher",
            description="Finds sources",
            parent_tool_call_id="call-research",
            parent_message_id="p-1",
        ),
        *text("s-1", "Tides follow ", "the moon.", sub="sub-research"),
        SubagentStartedEvent(
            subagent_run_id="sub-cite", name="citer", parent_subagent_run_id="sub-research"
        ),
        SubagentErrorEvent(
            subagent_run_id="sub-cite", message="citation index offline", code="UNAVAILABLE"
        ),
        SubagentFinishedEvent(subagent_run_id="sub-research", result={"sources": 2}),
        ToolCallResultEvent(
            message_id="t-1",
            tool_call_id="call-research",
            content='{"summary": "Tides follow the moon."}',
        ),
        *text("p-2", "Research done; asking the reviewer."),
        SubagentStartedEvent(subagent_run_id="sub-review", name="reviewer"),
        *text("s-2", "Is this claim sourced?", sub="sub-review"),
        SubagentFinishedEvent(
            subagent_run_id="sub-review",
            outcome=SubagentFinishedSuspendedOutcome(interrupt_ids=["int-review"]),
        ),
        RunFinishedEvent(
            thread_id=THREAD,
            run_id="run-parent",
            outcome=RunFinishedInterruptOutcome(
                interrupts=[
                    Interrupt(
                        id="int-review",
                        reason="input_required",
                        subagent_run_id="sub-review",
                        message="Confirm the claim is sourced",
                    ),
                ]
            ),
        ),
    ]


def surface() -> list[BaseEvent]:
    """The rest of the 1.0 surface in one run: RUN_STARTED.input, activities, encrypted values
    by entity, an empty STEP_FINISHED, content-part tool results, chunk events, RAW, state and
    a messages snapshot with activity and reasoning roles."""
    run_input = RunAgentInput(
        thread_id=THREAD,
        run_id="run-surface",
        protocol_version=PROTOCOL_VERSION,
        state={"count": 1},
        messages=[UserMessage(id="u-1", content="Plan my day")],
        tools=[],
        context=[],
    )
    return [
        RunStartedEvent(
            thread_id=THREAD,
            run_id="run-surface",
            parent_run_id="run-before",
            protocol_version=PROTOCOL_VERSION,
            input=run_input,
        ),
        StateSnapshotEvent(snapshot={"count": 1, "plan": []}),
        StepStartedEvent(step_name="plan"),
        ReasoningStartEvent(message_id="r-1"),
        ReasoningMessageChunkEvent(message_id="r-1", delta="Morning first, "),
        ReasoningMessageChunkEvent(delta="then errands."),
        ReasoningEndEvent(message_id="r-1"),
        ReasoningEncryptedValueEvent(subtype="message", entity_id="r-1", encrypted_value="enc-r1"),
        StepFinishedEvent(step_name="plan"),
        ActivitySnapshotEvent(
            message_id="act-1", activity_type="PLAN", content={"steps": ["gym"], "done": 0}
        ),
        ActivityDeltaEvent(
            message_id="act-1",
            activity_type="PLAN",
            patch=[
                {"op": "add", "path": "/steps/-", "value": "shop"},
                {"op": "replace", "path": "/done", "value": 1},
            ],
        ),
        ActivitySnapshotEvent(
            message_id="act-1", activity_type="PLAN", content={"ignored": True}, replace=False
        ),
        TextMessageChunkEvent(message_id="m-1", role="assistant", delta="Here is "),
        TextMessageChunkEvent(delta="your plan."),
        ReasoningEncryptedValueEvent(subtype="message", entity_id="m-1", encrypted_value="enc-m1"),
        ToolCallChunkEvent(
            tool_call_id="call-cal",
            tool_call_name="calendar",
            parent_message_id="m-1",
            delta='{"day": ',
        ),
        ToolCallChunkEvent(delta='"mon"}'),
        ReasoningEncryptedValueEvent(
            subtype="tool-call", entity_id="call-cal", encrypted_value="enc-call"
        ),
        ToolCallResultEvent(
            message_id="t-cal",
            tool_call_id="call-cal",
            role="tool",
            content=[TextContentPart(text="09:00 gym"), TextContentPart(text="; 11:00 shop")],
        ),
        StateDeltaEvent(
            delta=[
                {"op": "replace", "path": "/count", "value": 2},
                {"op": "add", "path": "/plan/-", "value": "gym"},
            ]
        ),
        RawEvent(event={"provider": "x", "kind": "ping"}, source="provider-x"),
        CustomEvent(name="progress", value={"pct": 50}),
        MessagesSnapshotEvent(
            messages=[
                UserMessage(id="u-1", content="Plan my day"),
                ReasoningMessage(
                    id="r-1", content="Morning first, then errands.", encrypted_value="enc-r1"
                ),
                AssistantMessage(
                    id="m-1",
                    content="Here is your plan.",
                    tool_calls=[
                        ToolCall(
                            id="call-cal",
                            function=FunctionCall(name="calendar", arguments='{"day": "mon"}'),
                            encrypted_value="enc-call",
                        ),
                    ],
                ),
                ToolMessage(id="t-cal", tool_call_id="call-cal", content="09:00 gym; 11:00 shop"),
                ActivityMessage(
                    id="act-1", activity_type="PLAN", content={"steps": ["gym", "shop"], "done": 1}
                ),
            ]
        ),
        RunFinishedEvent(thread_id=THREAD, run_id="run-surface", result={"ok": True}),
    ]


def run_error() -> list[BaseEvent]:
    return [
        RunStartedEvent(thread_id=THREAD, run_id="run-err", protocol_version=PROTOCOL_VERSION),
        *text("e-1", "Partial answer"),
        RunErrorEvent(
            message="rate limited",
            code="429",
            usage=[TokenUsage(input_tokens=10, output_tokens=2, total_tokens=12)],
        ),
    ]


def main() -> None:
    scenarios: dict[str, Any] = {
        "agui-sdk-outcomes": outcomes,
        "agui-sdk-subagents": subagents,
        "agui-sdk-surface": surface,
        "agui-sdk-run-error": run_error,
    }
    for name, build in scenarios.items():
        write_recording(name, encode(build()), sender=SENDER)


if __name__ == "__main__":
    main()
