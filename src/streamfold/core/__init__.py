"""The core: canonical events → the model + notifications. Knows no wire format and no bytes.

Rules of this package (the h11 ``_state.py`` habit):

* **Rule 1: everything that changes the model lives in** ``core/apply_*.py``: one function
  ``apply_x(state, event, notes)`` per canonical event type, collected in :data:`APPLY`. An
  applier changes :class:`FoldState` (the model and its indexes) and appends what changed to
  ``notes`` as notifications. Nothing else in the package writes to the model.
* **Rule 2: nothing in** ``core/`` **knows a wire format.** It imports neither
  :mod:`streamfold.formats` nor :mod:`streamfold.framing`; a decoder says what a frame means as
  events (:mod:`streamfold.events`), the core applies them the same way whatever the format.
* No I/O, no clock. Per event, work is proportional to the event: everything looked up is
  found through an index of :class:`FoldState`, nothing accumulated is re-read.
* Lifecycles are tables beside their enums (:data:`~streamfold.model.TOOL_CALL_TRANSITIONS`,
  :data:`~streamfold.model.RUN_TRANSITIONS`), consulted in one place each
  (:meth:`FoldState.set_tool_state`, :func:`~streamfold.core.apply_runs.apply_end_run`); a
  move the table does not list is a diagnostic, never silent (``docs/model.md``).

The modules, by concern: ``state`` (:class:`FoldState`: the model, indexes, limits, the
current frame, diagnostics, the transition helper), ``apply_runs`` (runs, spans, reply, usage,
limits), ``apply_messages`` (messages, text, reasoning, metadata), ``apply_tools`` (the
tool-call lifecycle), ``apply_snapshot`` (messages snapshots), ``apply_interrupts``
(interrupts and activities) and ``apply_misc`` (state, checkpoints, custom and unknown events,
missing ranges, the search tree, diagnostics).

The reducer (:class:`streamfold.reducer.Reducer`) is the facade: it turns input into events
with a decoder and applies each one with ``APPLY[type(event)](state, event, notes)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .. import events as ev
from .apply_interrupts import (
    apply_patch_activity,
    apply_raise_interrupt,
    apply_resolve_interrupt,
    apply_set_activity,
)
from .apply_messages import (
    apply_append_reasoning,
    apply_append_text,
    apply_end_message,
    apply_merge_metadata,
    apply_replace_text,
    apply_set_reasoning_signature,
    apply_start_message,
)
from .apply_misc import (
    apply_add_tasks,
    apply_backtrack,
    apply_diagnose,
    apply_expand_search,
    apply_keep_unknown,
    apply_mark_missing,
    apply_patch_state,
    apply_plan_tasks,
    apply_record_custom,
    apply_save_checkpoint,
    apply_score_search,
    apply_set_state,
    apply_set_task_status,
)
from .apply_runs import (
    apply_close_span,
    apply_end_run,
    apply_open_span,
    apply_report_usage,
    apply_set_reply,
    apply_start_run,
)
from .apply_snapshot import apply_replace_messages
from .apply_tools import (
    apply_adopt_tool_call_id,
    apply_append_tool_arguments,
    apply_append_tool_output,
    apply_request_approval,
    apply_request_client_tool,
    apply_respond_approval,
    apply_set_tool_arguments,
    apply_set_tool_result,
    apply_start_tool_call,
    apply_start_tool_execution,
)
from .state import FoldState, Notes
from .text import clean_fields, flush_halves, may_hold_surrogates

__all__ = [
    "APPLY",
    "Applier",
    "FoldState",
    "Notes",
    "clean_fields",
    "flush_halves",
    "may_hold_surrogates",
]

Applier = Callable[[FoldState, Any, Notes], None]
"""``apply_x(state, event, notes)``: apply one event of its type."""

APPLY: Final[dict[type[Any], Applier]] = {
    # runs, spans, reply, usage (apply_runs)
    ev.StartRun: apply_start_run,
    ev.EndRun: apply_end_run,
    ev.SetReply: apply_set_reply,
    ev.OpenSpan: apply_open_span,
    ev.CloseSpan: apply_close_span,
    ev.ReportUsage: apply_report_usage,
    # messages (apply_messages, apply_snapshot)
    ev.StartMessage: apply_start_message,
    ev.AppendText: apply_append_text,
    ev.ReplaceText: apply_replace_text,
    ev.AppendReasoning: apply_append_reasoning,
    ev.SetReasoningSignature: apply_set_reasoning_signature,
    ev.EndMessage: apply_end_message,
    ev.MergeMetadata: apply_merge_metadata,
    ev.ReplaceMessages: apply_replace_messages,
    # interrupts and activities (apply_interrupts)
    ev.RaiseInterrupt: apply_raise_interrupt,
    ev.ResolveInterrupt: apply_resolve_interrupt,
    ev.SetActivity: apply_set_activity,
    ev.PatchActivity: apply_patch_activity,
    # tool calls (apply_tools)
    ev.StartToolCall: apply_start_tool_call,
    ev.AppendToolArguments: apply_append_tool_arguments,
    ev.SetToolArguments: apply_set_tool_arguments,
    ev.AdoptToolCallId: apply_adopt_tool_call_id,
    ev.RequestApproval: apply_request_approval,
    ev.RequestClientTool: apply_request_client_tool,
    ev.RespondApproval: apply_respond_approval,
    ev.StartToolExecution: apply_start_tool_execution,
    ev.AppendToolOutput: apply_append_tool_output,
    ev.SetToolResult: apply_set_tool_result,
    # state, checkpoints, custom, unknown, missing, search, diagnostics (apply_misc)
    ev.SetState: apply_set_state,
    ev.PatchState: apply_patch_state,
    ev.SaveCheckpoint: apply_save_checkpoint,
    ev.RecordCustom: apply_record_custom,
    ev.KeepUnknown: apply_keep_unknown,
    ev.MarkMissing: apply_mark_missing,
    ev.ExpandSearch: apply_expand_search,
    ev.ScoreSearch: apply_score_search,
    ev.Backtrack: apply_backtrack,
    ev.PlanTasks: apply_plan_tasks,
    ev.SetTaskStatus: apply_set_task_status,
    ev.AddTasks: apply_add_tasks,
    ev.Diagnose: apply_diagnose,
}
"""Canonical event type → the function that applies it (every member of
:data:`streamfold.events.Event` has one; a test checks)."""
