"""Reassemble a multi-agent transcript from a recorded log: every session and run, the spans in
order, each sub-agent nested under the tool call that ran it, what was said, which tools ran
with what result, and the tokens used.

Run: ``python examples/transcript.py [FILE]`` (default: the bundled multi-agent Loom recording).
The tutorial ``docs/tutorials/transcript.md`` walks through it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamfold import Conversation, Reducer, Run, Span, fold_file
from streamfold.model import ReasoningPart, TextPart, ToolCallPart
from streamfold.safe_text import inline, preview

DEFAULT = Path(__file__).parent / "recordings" / "loom-multi-agent.ndjson"


# --8<-- [start:fold]
def load(path: Path) -> tuple[Conversation, Reducer]:
    """Fold the whole file; the reducer keeps the frame counters."""
    reducer = Reducer()  # the format (Loom, AG-UI, NNRP) is detected per frame
    conversation = fold_file(path, reducer)  # detects NDJSON / SSE framing, closes at the end
    assert reducer.frames_applied + reducer.frames_dropped == reducer.frames_in
    return conversation, reducer


# --8<-- [end:fold]


# --8<-- [start:walk]
def span_lines(run: Run, span: Span, indent: str) -> list[str]:
    """One span: its status and tokens, then its messages' parts in stream order."""
    tokens = span.usage.total_tokens
    lines = [f"{indent}- {span.name} [{span.status}]" + (f" ({tokens} tok)" if tokens else "")]
    by_id = {m.message_id: m for m in run.messages}
    for message_id in span.message_ids:
        for part in by_id[message_id].parts:
            if isinstance(part, TextPart) and part.text.strip():
                lines.append(f"{indent}  > {preview(part.text, 100)}")
            elif isinstance(part, ReasoningPart):
                lines.append(f"{indent}  (thinking) {preview(part.text, 80)}")
            elif isinstance(part, ToolCallPart):
                call = part.call
                # Loom dev sends results JSON-quoted; result_value is the decoded text
                # (docs/loom.md#a8)
                value = call.result_value
                text = value if isinstance(value, str) else call.result or call.error or ""
                result = preview(text, 60)
                lines.append(f"{indent}  tool {call.name} [{call.state}] -> {result}")
    for child in span.children:
        lines += span_lines(run, child, indent + "  ")
    return lines


def transcript(conversation: Conversation) -> list[str]:
    """The whole conversation as Markdown-ish lines (stream text made safe to print)."""
    lines: list[str] = []
    for session in conversation.sessions.values():
        lines.append(f"## session {inline(session.session_id)}")
        for run in session.runs:
            lines.append(
                f"### run {inline(run.run_id)}: {run.status}, {run.usage.total_tokens} tok"
            )
            for span in run.spans:
                lines += span_lines(run, span, "")
            if run.reply is not None:
                lines.append(f"**reply:** {preview(run.reply, 200)}")
    return lines


# --8<-- [end:walk]


# --8<-- [start:sub_agents]
def sub_agents(conversation: Conversation) -> dict[str, list[str]]:
    """For every tool call that ran a sub-agent, ``"<tool name> <call id>"`` → the sub-agent's
    span names in order. Loom inlines a sub-agent's events in the parent's stream with no
    marker; streamfold nests them under the call (``span.parent_tool_call_id``,
    docs/loom.md#a14)."""
    found: dict[str, list[str]] = {}
    for run in conversation.runs:
        for span in run.walk_spans():
            if span.parent_tool_call_id is not None:
                call = run.tool_calls[span.parent_tool_call_id]
                found.setdefault(f"{call.name} {call.call_id}", []).append(span.name)
    return found


# --8<-- [end:sub_agents]


def main(path: Path = DEFAULT) -> list[str]:
    conversation, reducer = load(path)
    lines = transcript(conversation)
    lines.append(f"frames: {reducer.frames_in} in, {reducer.frames_dropped} dropped")
    lines.append(f"diagnostics: {len(conversation.diagnostics)}")
    for call, spans in sub_agents(conversation).items():
        lines.append(f"sub-agent in {call}: {' -> '.join(spans)}")
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
