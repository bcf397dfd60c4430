"""A plain-data view of a Conversation, for comparing two reductions in tests."""

from __future__ import annotations

from typing import Any

from streamfold.model import (
    UNSET,
    ActivityPart,
    Conversation,
    ReasoningPart,
    Span,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)


def usage(u: Usage) -> tuple[int, int, int]:
    return (u.prompt_tokens, u.completion_tokens, u.total_tokens)


def span(s: Span) -> dict[str, Any]:
    return {
        "name": s.name,
        "status": str(s.status),
        "error": s.error,
        "tool": s.parent_tool_call_id,
        "usage": usage(s.usage),
        "children": [span(c) for c in s.children],
    }


def part(p: object) -> tuple[Any, ...]:
    if isinstance(p, TextPart):
        return ("text", p.text)
    if isinstance(p, ReasoningPart):
        return ("reasoning", p.text)
    if isinstance(p, ToolCallPart):
        return ("tool-call", p.call_id)
    if isinstance(p, ActivityPart):
        return ("activity", p.activity_type, p.content)
    assert isinstance(p, ToolResultPart)
    return ("tool-result", p.call_id, p.content, p.is_error)


def summarize(c: Conversation) -> dict[str, Any]:
    return {
        "usage": usage(c.usage),
        "diagnostics": [(d.code, d.frame_index, d.dropped) for d in c.diagnostics],
        "sessions": {
            sid: {
                "thread_id": s.thread_id,
                "usage": usage(s.usage),
                "runs": [
                    {
                        "run_id": r.run_id,
                        "status": str(r.status),
                        "error": r.error,
                        "stop_reason": r.stop_reason,
                        "reply": r.reply,
                        "thread_id": r.thread_id,
                        "usage": usage(r.usage),
                        "lossy": r.lossy,
                        "missing": r.missing,
                        "spans": [span(x) for x in r.spans],
                        "messages": [
                            (m.role, m.span_id, [part(p) for p in m.parts]) for m in r.messages
                        ],
                        "tool_calls": {
                            cid: (
                                t.name,
                                str(t.state),
                                t.arguments,
                                None if t.input is UNSET else t.input,
                                t.result,
                                t.output,
                            )
                            for cid, t in r.tool_calls.items()
                        },
                        "state_updates": r.state_updates,
                        "checkpoints": len(r.checkpoints),
                        "interrupts": [
                            (i.interrupt_id, i.reason, i.tool_call_id, i.status)
                            for i in r.interrupts
                        ],
                        "parent_run_id": r.parent_run_id,
                    }
                    for r in s.runs
                ],
            }
            for sid, s in c.sessions.items()
        },
    }
