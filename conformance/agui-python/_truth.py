"""What an AG-UI stream means, computed from the sender's own event objects.

``truth(events)`` reads the events a sender produced (``ag_ui.core`` models, dumped with their
wire names) and states, per run, what the sender meant by them according to the AG-UI 1.0
specification (the ``ag_ui.core`` model docstrings): the outcome, each message's text,
reasoning, tool calls with their arguments, results and whether the client owes the result,
interrupts, state, usage, sub-agents, activities and the last messages snapshot. It never looks
at streamfold. ``write_recording`` encodes the events with the sender's encoder output (the
SSE text it actually produced), validates each against ``ag_ui.core`` and writes
``<name>.sse`` and ``<name>.truth.json``.

Sender conventions that the specification leaves open are read here too, each named where it
is applied: pydantic-ai's tool-failure results, LangGraph's ``on_interrupt`` custom event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonpatch
from ag_ui.core import Event
from pydantic import TypeAdapter

EVENT = TypeAdapter(Event)
OUT = Path(__file__).resolve().parents[2] / "examples" / "recordings" / "agui"

APPROVAL_REASONS = {"tool_call", "approval_required"}


def _status(outcome: str, interrupts: list[dict[str, Any]]) -> str:
    """The streamfold RunStatus an outcome means (docs/agui.md "Run outcomes")."""
    if outcome == "interrupt":
        if any(i.get("toolCallId") and i.get("reason") in APPROVAL_REASONS for i in interrupts):
            return "awaiting_approval"
        return "interrupted"
    return {"success": "completed", "cancelled": "cancelled", "error": "failed"}[outcome]


def _new_run(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": event["runId"],
        "thread_id": event.get("threadId"),
        "parent_run_id": event.get("parentRunId"),
        "protocol_version": event.get("protocolVersion"),
        "input_messages": [m["id"] for m in (event.get("input") or {}).get("messages", [])],
        "outcome": None,
        "status": None,
        "error": None,
        "error_code": None,
        "result": None,
        "pending_tool_call_ids": None,
        "interrupts": [],
        "usage": None,
        "state": None,
        "messages": {},
        "reasoning": {},
        "tool_calls": {},
        "subagents": {},
        "activities": {},
        "messages_snapshot": None,
        "custom": [],
        "raw": [],
        "steps": [],
        "empty_step_finished": 0,
    }


def _history(run_input: dict[str, Any] | None) -> dict[str, Any]:
    """The tool calls a ``RunAgentInput`` carries in its messages (the conversation so far)."""
    calls: dict[str, Any] = {}
    for message in (run_input or {}).get("messages", []):
        for call in message.get("toolCalls") or ():
            calls[call["id"]] = {
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
                "result": None,
                "result_message_id": None,
                "error": None,
                "owed_by_client": False,
                "encrypted_value": None,
                "subagent_run_id": None,
            }
        if message.get("role") == "tool":
            calls[message["toolCallId"]]["result"] = message["content"]
    return {"tool_calls": calls}


def truth(
    events: list[dict[str, Any]], *, sender: str, run_input: dict[str, Any] | None = None
) -> dict[str, Any]:
    history = _history(run_input)
    runs: list[dict[str, Any]] = []
    state: Any = None
    run: dict[str, Any] | None = None
    result_message_to_call: dict[str, str] = {}
    last_call: str | None = None
    last_text: str | None = None
    last_reasoning: str | None = None
    for event in events:
        kind = event["type"]
        if kind == "RUN_STARTED":
            run = _new_run(event)
            runs.append(run)
            continue
        assert run is not None, f"{kind} before RUN_STARTED"
        sub = event.get("subagentRunId")
        if kind in ("TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_CHUNK"):
            mid = event.get("messageId") or last_text
            assert mid is not None
            last_text = mid
            message = run["messages"].setdefault(
                mid,
                {"role": event.get("role") or "assistant", "text": "", "subagent_run_id": sub},
            )
            message["text"] += event.get("delta") or ""
        elif kind in ("REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_CHUNK", "REASONING_START"):
            mid = event.get("messageId") or last_reasoning
            assert mid is not None
            last_reasoning = mid
            entry = run["reasoning"].setdefault(
                mid, {"text": "", "encrypted_value": None, "subagent_run_id": sub}
            )
            entry["text"] += event.get("delta") or ""
        elif kind == "REASONING_ENCRYPTED_VALUE":
            entity, value = event["entityId"], event["encryptedValue"]
            if event["subtype"] == "tool-call":
                run["tool_calls"][entity]["encrypted_value"] = value
            elif entity in run["reasoning"]:
                run["reasoning"][entity]["encrypted_value"] = value
            elif entity in run["messages"]:
                run["messages"][entity]["encrypted_value"] = value
            elif entity in result_message_to_call:
                call = _find_call(runs, history, result_message_to_call[entity])
                call["result_encrypted_value"] = value
                outcome = _pydantic_ai_outcome(value)
                if outcome not in (None, "success"):
                    # pydantic-ai: a tool return's non-success outcome rides on the result
                    # message's encrypted value; the result text is the failure message.
                    call["error"] = call["result"]
                    call["outcome"] = outcome
            else:
                raise AssertionError(f"encrypted value for unknown entity {entity}")
        elif kind in ("TOOL_CALL_START", "TOOL_CALL_CHUNK"):
            cid = event.get("toolCallId") or last_call
            assert cid is not None
            last_call = cid
            call = run["tool_calls"].setdefault(
                cid,
                {
                    "name": event.get("toolCallName"),
                    "parent_message_id": event.get("parentMessageId"),
                    "arguments": "",
                    "result": None,
                    "result_message_id": None,
                    "error": None,
                    "owed_by_client": False,
                    "encrypted_value": None,
                    "subagent_run_id": sub,
                },
            )
            call["arguments"] += event.get("delta") or ""
        elif kind == "TOOL_CALL_ARGS":
            run["tool_calls"][event["toolCallId"]]["arguments"] += event["delta"]
        elif kind == "TOOL_CALL_RESULT":
            call = _find_call(runs, history, event["toolCallId"])
            call["result"] = event["content"]
            call["result_message_id"] = event["messageId"]
            result_message_to_call[event["messageId"]] = event["toolCallId"]
        elif kind == "STATE_SNAPSHOT":
            state = event["snapshot"]
            run["state"] = state
        elif kind == "STATE_DELTA":
            state = jsonpatch.apply_patch(state, event["delta"])
            run["state"] = state
        elif kind == "MESSAGES_SNAPSHOT":
            run["messages_snapshot"] = [_snapshot_message(m) for m in event["messages"]]
            # A snapshot is the sender's resynchronisation point: the arguments it states for
            # a call win over the streamed fragments (ag-ui-langgraph streams a call's first
            # fragment only when it arrives without the name; the snapshot has them whole).
            for message in event["messages"]:
                for tc in message.get("toolCalls") or ():
                    for scope in (run["tool_calls"], history["tool_calls"]):
                        if tc["id"] in scope:
                            known = scope[tc["id"]]
                            known.setdefault("streamed_arguments", known["arguments"])
                            known["arguments"] = tc["function"]["arguments"]
        elif kind == "ACTIVITY_SNAPSHOT":
            mid = event["messageId"]
            existing = run["activities"].get(mid)
            if existing is None or event.get("replace") is not False:
                run["activities"][mid] = {
                    "activity_type": event["activityType"],
                    "content": event["content"],
                    "subagent_run_id": sub,
                }
        elif kind == "ACTIVITY_DELTA":
            activity = run["activities"][event["messageId"]]
            activity["content"] = jsonpatch.apply_patch(activity["content"], event["patch"])
        elif kind == "SUBAGENT_STARTED":
            run["subagents"][event["subagentRunId"]] = {
                "name": event["name"],
                "description": event.get("description"),
                "parent_subagent_run_id": event.get("parentSubagentRunId"),
                "parent_tool_call_id": event.get("parentToolCallId"),
                "parent_message_id": event.get("parentMessageId"),
                "status": "running",
                "result": None,
                "interrupt_ids": None,
                "error": None,
            }
        elif kind == "SUBAGENT_FINISHED":
            agent = run["subagents"][event["subagentRunId"]]
            outcome = event.get("outcome") or {"type": "success"}
            agent["status"] = "suspended" if outcome["type"] == "suspended" else "completed"
            agent["interrupt_ids"] = outcome.get("interruptIds")
            agent["result"] = event.get("result")
        elif kind == "SUBAGENT_ERROR":
            agent = run["subagents"][event["subagentRunId"]]
            agent["status"] = "failed"
            agent["error"] = event["message"]
        elif kind == "CUSTOM":
            run["custom"].append({"name": event["name"], "value": event.get("value")})
            if event["name"] == "on_interrupt":
                # LangGraph (ag-ui-langgraph): the graph called interrupt(); the value is the
                # interrupt's payload (JSON text). The run pauses until resumed.
                # The interrupt's id rides only in the event's rawEvent.
                raw = event.get("rawEvent") if isinstance(event.get("rawEvent"), dict) else {}
                run["interrupts"].append(
                    {
                        "id": raw.get("id"),
                        "reason": "langgraph:interrupt",
                        "value": event.get("value"),
                    }
                )
        elif kind == "RAW":
            run["raw"].append(event.get("source"))
        elif kind == "STEP_STARTED":
            run["steps"].append(event["stepName"])
        elif kind == "STEP_FINISHED":
            if not event.get("content") and not event.get("delta"):
                run["empty_step_finished"] += 1
        elif kind == "RUN_FINISHED":
            outcome = event.get("outcome") or {"type": "success"}
            run["outcome"] = outcome["type"]
            run["result"] = event.get("result")
            run["usage"] = event.get("usage")
            if outcome["type"] == "interrupt":
                run["interrupts"] = [
                    i for i in run["interrupts"] if i["reason"] != "langgraph:interrupt"
                ] + outcome["interrupts"]
            elif run["interrupts"]:  # LangGraph's custom-event interrupt, no outcome
                run["outcome"] = "interrupt"
            if outcome["type"] == "success":
                run["pending_tool_call_ids"] = outcome.get("pendingToolCallIds")
            run["status"] = _status(run["outcome"], run["interrupts"])
            _mark_owed(run)
        elif kind == "RUN_ERROR":
            run["outcome"] = "error"
            run["status"] = "failed"
            run["error"] = event["message"]
            run["error_code"] = event.get("code")
            run["usage"] = event.get("usage")
        elif kind in (
            "TEXT_MESSAGE_END",
            "TOOL_CALL_END",
            "REASONING_MESSAGE_START",
            "REASONING_MESSAGE_END",
            "REASONING_END",
        ):
            pass
        else:
            raise AssertionError(f"truth does not read {kind}")
    return {"sender": sender, "history": history, "runs": runs}


def _pydantic_ai_outcome(value: str) -> str | None:
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    if isinstance(decoded, dict) and isinstance(decoded.get("pydantic_ai"), dict):
        outcome = decoded["pydantic_ai"].get("outcome")
        return outcome if isinstance(outcome, str) else None
    return None


def _find_call(runs: list[dict[str, Any]], history: dict[str, Any], call_id: str) -> dict[str, Any]:
    for run in reversed(runs):
        if call_id in run["tool_calls"]:
            return run["tool_calls"][call_id]
    if call_id in history["tool_calls"]:
        return history["tool_calls"][call_id]  # a call of the conversation the run continues
    raise AssertionError(f"result for unknown call {call_id}")


def _mark_owed(run: dict[str, Any]) -> None:
    """Which calls the client must answer (AG-UI 1.0 RUN_FINISHED.outcome docs)."""
    calls = run["tool_calls"]
    if run["outcome"] == "success":
        named = run["pending_tool_call_ids"]
        if named:
            owed = set(named)
        else:  # "absent or empty: a consumer derives the list from the stream"
            owed = {cid for cid, call in calls.items() if call["result"] is None}
    elif run["outcome"] == "interrupt":
        owed = {i["toolCallId"] for i in run["interrupts"] if i.get("toolCallId")}
    else:
        owed = set()
    for cid, call in calls.items():
        call["owed_by_client"] = cid in owed


def _snapshot_message(message: dict[str, Any]) -> dict[str, Any]:
    out = {"id": message["id"], "role": message["role"]}
    for key in ("content", "toolCalls", "toolCallId", "activityType", "encryptedValue", "error"):
        if key in message:
            out[key] = message[key]
    return out


def validate(sse: str) -> list[dict[str, Any]]:
    """Every ``data:`` payload of an SSE text as a validated ``ag_ui.core`` event, dumped back
    to wire names. Raises if any event does not validate."""
    events = []
    for block in sse.split("\n\n"):
        if not block.strip():
            continue
        lines = [line[len("data: ") :] for line in block.split("\n") if line.startswith("data: ")]
        assert len(lines) == 1, block
        model = EVENT.validate_json(lines[0])
        events.append(json.loads(lines[0]))
        assert model.type.value == events[-1]["type"]
    return events


def write_recording(
    name: str,
    sse: str,
    *,
    sender: str,
    extra: dict[str, Any] | None = None,
    run_input: dict[str, Any] | None = None,
) -> dict[str, Any]:
    events = validate(sse)
    result = truth(events, sender=sender, run_input=run_input)
    result["events"] = len(events)
    if extra:
        result.update(extra)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.sse").write_text(sse)
    (OUT / f"{name}.truth.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {name}.sse ({len(events)} events) and {name}.truth.json")
    return result
