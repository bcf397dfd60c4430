"""The versioned table schema of the folded model, as data (no pyarrow needed to read it).

Six tables, one row per model object (docs/batch.md "Tables"):

* ``runs`` — one per :class:`~streamfold.model.Run`;
* ``spans`` — one per :class:`~streamfold.model.Span` (nested ones included, with their parent);
* ``messages`` — one per :class:`~streamfold.model.Message`, text and reasoning joined;
* ``tool_calls`` — one per :class:`~streamfold.model.ToolCall`;
* ``usage`` — one per model call: a span with usage (``scope="span"``), and the part of a run's
  usage no span took (``scope="run"``: TanStack/AG-UI and NNRP report per run);
* ``diagnostics`` — one per :class:`~streamfold.model.Diagnostic`, plus the batch job's own
  (``file_error``, recording problems).

Every row carries ``source`` (the file, or the log, it came from) and the stable keys of its
object: ``session_id``, ``run_id`` and the span / message / tool call id. Column types are
written as Arrow type names (``string``, ``int64``, ``float64``, ``bool``, ``list<string>``,
``timestamp[us, UTC]``); :mod:`streamfold.tables.arrow` maps them to pyarrow types.

Times: ``start_time`` / ``end_time`` are ``timestamp[us, UTC]``, null when the input has no
wall-clock times (:func:`streamfold.tables.rows.model_times`); ``start_frame`` / ``end_frame``
are 0-based frame indexes in the input (the log's, with ``--log``).

Versioning (docs/batch.md "Versioning"): :data:`SCHEMA_VERSION` is written into every Parquet
file's metadata (``streamfold.schema_version``) and into ``_schema.json``. Adding a nullable
column is a minor change (``1.1``); renaming, removing or retyping a column is a major one
(``2.0``). Readers should select columns by name.
"""

from __future__ import annotations

from typing import Final

import attrs

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "TABLE_NAMES",
    "Column",
    "schema_document",
    "schema_markdown",
]

SCHEMA_VERSION: Final = "1.0"
"""``MAJOR.MINOR`` of the table schema (see the module docstring for what bumps which)."""


@attrs.frozen
class Column:
    """One column: its name, Arrow type name, whether it may be null, and what it holds."""

    name: str
    type: str
    nullable: bool
    doc: str


def _c(name: str, type_: str, doc: str, *, nullable: bool = True) -> Column:
    return Column(name, type_, nullable, doc)


_TS: Final = "timestamp[us, UTC]"

_SOURCE: Final = _c(
    "source", "string", "the input file (or the log) the row came from", nullable=False
)
_SESSION: Final = _c(
    "session_id", "string", "the session (Loom session, AG-UI thread, NNRP session)"
)
_RUN: Final = _c("run_id", "string", "the run (canonical run id, docs/model.md)")
_TIMES: Final = (
    _c("start_time", _TS, "when it started (null without wall-clock times)"),
    _c("end_time", _TS, "when it ended (null without wall-clock times)"),
    _c("start_frame", "int64", "0-based index of the first frame of it in the input"),
    _c("end_frame", "int64", "0-based index of the frame that ended it"),
)
_TOKENS: Final = (
    _c("input_tokens", "int64", "input (prompt) tokens", nullable=False),
    _c("output_tokens", "int64", "output (completion) tokens", nullable=False),
    _c("total_tokens", "int64", "total tokens as reported", nullable=False),
)

TABLES: Final[dict[str, tuple[Column, ...]]] = {
    "runs": (
        _SOURCE,
        _c("session_id", "string", "the session the run belongs to", nullable=False),
        _c("run_id", "string", "the run", nullable=False),
        _c("thread_id", "string", "the conversation thread, when the sender names one"),
        _c("parent_run_id", "string", "the run this one continues or runs under"),
        _c("agent", "string", "the agent (Loom run_start agent)"),
        _c("model", "string", "the model, when the sender names it"),
        _c("status", "string", "running, completed, failed, cancelled, …", nullable=False),
        _c("finish_reason", "string", "why the model stopped (stop, tool_calls, length, …)"),
        _c("stop_reason", "string", "the sender's own stop reason"),
        _c("error", "string", "the error text of a failed run"),
        _c("error_code", "string", "the sender's error code"),
        _c("input_text", "string", "the user input that started the run"),
        _c("text", "string", "the run's answer: the reply, else all assistant text"),
        _c("lossy", "bool", "frames of this run are known to be missing", nullable=False),
        _c("span_count", "int64", "spans, nested ones included", nullable=False),
        _c("message_count", "int64", "messages", nullable=False),
        _c("tool_call_count", "int64", "tool calls", nullable=False),
        *_TOKENS,
        _c("usage_reports", "int64", "usage reports folded into the tokens", nullable=False),
        *_TIMES,
    ),
    "spans": (
        _SOURCE,
        _c("session_id", "string", "the session", nullable=False),
        _c("run_id", "string", "the run", nullable=False),
        _c("span_id", "string", "the span (unique in its run)", nullable=False),
        _c("parent_span_id", "string", "the enclosing span (null for a root span)"),
        _c("parent_tool_call_id", "string", "the tool call a sub-agent span ran inside"),
        _c("name", "string", "the node or step name", nullable=False),
        _c("node_id", "string", "the sender's node_id (display only)"),
        _c("event_id", "int64", "the opening frame's event_id"),
        _c("depth", "int64", "0 for a root span", nullable=False),
        _c("status", "string", "open, ok, error, unclosed", nullable=False),
        _c("error", "string", "the span's error"),
        *_TOKENS,
        *_TIMES,
    ),
    "messages": (
        _SOURCE,
        _SESSION,
        _RUN,
        _c("message_id", "string", "the message", nullable=False),
        _c("span_id", "string", "the span the message was written in"),
        _c("role", "string", "assistant, user, tool, reasoning, …", nullable=False),
        _c("seq", "int64", "0-based position among the session's messages", nullable=False),
        _c("text", "string", "all text parts joined", nullable=False),
        _c("reasoning", "string", "all reasoning parts joined", nullable=False),
        _c("completed", "bool", "the sender ended the message", nullable=False),
        _c(
            "part_count", "int64", "parts (text, reasoning, tool call, tool result)", nullable=False
        ),
        _c(
            "tool_call_ids",
            "list<string>",
            "the tool calls among its parts, in order",
            nullable=False,
        ),
        *_TIMES,
    ),
    "tool_calls": (
        _SOURCE,
        _SESSION,
        _RUN,
        _c("call_id", "string", "the tool call id (unique in its run)", nullable=False),
        _c("name", "string", "the tool's name"),
        _c("message_id", "string", "the message that holds the call"),
        _c("span_id", "string", "the span the call was made in"),
        _c(
            "state", "string", "awaiting-input … complete, error, denied, cancelled", nullable=False
        ),
        _c("arguments", "string", "the arguments as JSON text, as streamed", nullable=False),
        _c("arguments_valid", "bool", "the arguments are complete, valid JSON", nullable=False),
        _c("output", "string", "streamed tool output", nullable=False),
        _c("result", "string", "the result text"),
        _c("error", "string", "the error text of a failed call"),
        _c("approved", "bool", "the approval answer (null: none asked or pending)"),
        _c("provider_executed", "bool", "the provider ran the tool", nullable=False),
        _c("client_tool", "bool", "the client was asked to run the tool", nullable=False),
        *_TIMES,
    ),
    "usage": (
        _SOURCE,
        _c("session_id", "string", "the session", nullable=False),
        _c("run_id", "string", "the run the usage rolls up to", nullable=False),
        _c("span_id", "string", "the span of the model call (null: reported for the run)"),
        _c("scope", "string", "span or run: what the row's tokens roll up to", nullable=False),
        _c("agent", "string", "the span name (Loom node), else the run's agent"),
        _c("model", "string", "the model, when the sender names it"),
        *_TOKENS,
        _c("input_tokens_details", "string", "provider details as a JSON object text"),
        _c("output_tokens_details", "string", "provider details as a JSON object text"),
        _c("reports", "int64", "usage reports folded into this row", nullable=False),
        *_TIMES,
    ),
    "diagnostics": (
        _SOURCE,
        _SESSION,
        _RUN,
        _c("code", "string", "stable code (docs/diagnostics.md, docs/batch.md)", nullable=False),
        _c("severity", "string", "info, warning or error", nullable=False),
        _c("message", "string", "what was wrong", nullable=False),
        _c("dropped", "bool", "the frame was not applied (kept only here)", nullable=False),
        _c("frame_index", "int64", "0-based index of the frame in the input"),
        _c("event_id", "int64", "the frame's event_id"),
        _c("raw", "string", "the frame's text as received (truncated)"),
    ),
}
"""Table name → its columns, in order."""

TABLE_NAMES: Final = tuple(TABLES)


def schema_document() -> dict[str, object]:
    """The schema as a JSON-able document (what ``_schema.json`` holds)."""
    return {
        "streamfold_schema_version": SCHEMA_VERSION,
        "tables": {
            name: [
                {"name": c.name, "type": c.type, "nullable": c.nullable, "doc": c.doc}
                for c in columns
            ]
            for name, columns in TABLES.items()
        },
    }


def schema_markdown() -> str:
    """The tables as Markdown (docs/batch.md embeds this text; a test keeps them equal)."""
    out: list[str] = []
    for name, columns in TABLES.items():
        out.append(f"### `{name}`\n\n| column | type | null | meaning |\n|---|---|---|---|")
        for c in columns:
            out.append(f"| `{c.name}` | `{c.type}` | {'yes' if c.nullable else 'no'} | {c.doc} |")
        out.append("")
    return "\n".join(out)
