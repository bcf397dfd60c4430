"""Tool calls: :class:`ToolCall`, :class:`Approval`, :class:`ToolCallState` and the table of its
legal transitions, :data:`TOOL_CALL_TRANSITIONS` (``docs/model.md`` draws it)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from .values import UNSET, TextBuffer, display_value

__all__ = ["TOOL_CALL_TRANSITIONS", "Approval", "ToolCall", "ToolCallState"]


class ToolCallState(enum.StrEnum):
    """Tool-call lifecycle, in the TanStack AI / Vercel AI SDK vocabulary (``docs/model.md``)."""

    AWAITING_INPUT = "awaiting-input"
    INPUT_STREAMING = "input-streaming"
    INPUT_COMPLETE = "input-complete"
    APPROVAL_REQUESTED = "approval-requested"
    APPROVAL_RESPONDED = "approval-responded"
    EXECUTING = "executing"
    COMPLETE = "complete"
    ERROR = "error"
    DENIED = "denied"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """Whether the call is over: ``complete``, ``error``, ``denied`` or ``cancelled``."""
        return self in _TERMINAL_TOOL_STATES


_TERMINAL_TOOL_STATES: Final = frozenset(
    {ToolCallState.COMPLETE, ToolCallState.ERROR, ToolCallState.DENIED, ToolCallState.CANCELLED}
)

_S = ToolCallState

TOOL_CALL_TRANSITIONS: Final[Mapping[ToolCallState, Mapping[ToolCallState, str]]] = {
    _S.AWAITING_INPUT: {
        _S.INPUT_STREAMING: "AppendToolArguments",
        _S.INPUT_COMPLETE: "SetToolArguments, or any later step (input completes first)",
        _S.EXECUTING: "AppendToolOutput (output before any arguments)",
    },
    _S.INPUT_STREAMING: {
        _S.INPUT_COMPLETE: "SetToolArguments, or any later step (input completes first)",
        _S.EXECUTING: "AppendToolOutput",
    },
    _S.INPUT_COMPLETE: {
        _S.APPROVAL_REQUESTED: "RequestApproval",
        _S.APPROVAL_RESPONDED: "RespondApproval(approved=True)",
        _S.DENIED: "RespondApproval(approved=False)",
        _S.EXECUTING: "StartToolExecution, AppendToolOutput",
        _S.COMPLETE: "SetToolResult",
        _S.ERROR: "SetToolResult(is_error=True)",
    },
    _S.APPROVAL_REQUESTED: {
        _S.APPROVAL_RESPONDED: "RespondApproval(approved=True)",
        _S.DENIED: "RespondApproval(approved=False)",
        _S.EXECUTING: "StartToolExecution, AppendToolOutput",
        _S.COMPLETE: "SetToolResult",
        _S.ERROR: "SetToolResult(is_error=True)",
    },
    _S.APPROVAL_RESPONDED: {
        _S.EXECUTING: "StartToolExecution, AppendToolOutput",
        _S.COMPLETE: "SetToolResult",
        _S.ERROR: "SetToolResult(is_error=True)",
    },
    _S.EXECUTING: {
        _S.COMPLETE: "SetToolResult",
        _S.ERROR: "SetToolResult(is_error=True)",
        _S.CANCELLED: "EndRun while executing",
    },
    _S.COMPLETE: {
        _S.ERROR: "SetToolResult(is_error=True): the sender marks a returned result failed "
        "afterwards (pydantic-ai's tool outcome, docs/agui.md)",
    },
    _S.ERROR: {},
    _S.DENIED: {},
    _S.CANCELLED: {},
}
"""The legal moves of a tool call's lifecycle, h11 style: ``old state → {new state: the
canonical events that make the move}``. The core's one transition helper
(``FoldState.set_tool_state``) consults it; a move that is not here is still applied (the
sender's last word is kept, nothing is lost) and reported as an ``illegal_tool_transition``
diagnostic. Staying in the same state is not a move. ``docs/model.md`` draws this table (a test
checks the drawing matches it)."""


# --------------------------------------------------------------------------------------------
# Tool calls


@attrs.define(slots=True, eq=False)
class Approval:
    """A pending or answered approval request for a tool call."""

    approval_id: str | None = None
    approved: bool | None = None
    """``None`` while pending."""
    input: Any = None


_Timeline = tuple[tuple[str, int | None], ...] | list[tuple[str, int | None]]
_STATE_VALUES: Final[dict[ToolCallState, str]] = {state: state.value for state in ToolCallState}
_NO_TIMELINE: Final[tuple[tuple[str, int | None], ...]] = ()
_TIMELINE_TUPLE_MAX: Final = 16
"""A timeline longer than this is kept in a list, so appending stays O(1) (a stream that flips a
call's state back and forth must not make each flip cost O(history))."""


def _plain_timeline(entries: Iterable[tuple[str, int | None]]) -> _Timeline:
    """A given timeline (``ToolCall(timeline=...)``) as stored: plain state values."""
    if entries is _NO_TIMELINE:
        return _NO_TIMELINE
    plain = tuple((ToolCallState(state).value, index) for state, index in entries)
    return plain if len(plain) <= _TIMELINE_TUPLE_MAX else list(plain)


# on_setattr=NO_OP: the timeline's converter is for __init__ only; without it attrs would give
# the class a __setattr__ running the converter on every attribute assignment.
@attrs.define(slots=True, eq=False, on_setattr=attrs.setters.NO_OP)
class ToolCall:
    """One tool call's whole lifecycle.

    ``arguments`` is the argument text as streamed (authoritative complete arguments replace it);
    ``input`` is the parsed arguments, set only once they are complete *and* valid JSON (``UNSET``
    before); :meth:`partial_input` parses a streaming prefix on demand (jiter partial mode).
    ``output`` is the streamed tool output (Loom ``tool_output``); ``result`` the final result
    text and ``result_value`` its JSON value when it parses. ``timeline`` lists
    ``(state, frame_index)`` transitions.
    """

    # The transitions are kept as (state value, frame index) tuples of plain str/int/None, which
    # CPython's collector untracks (an enum member would keep each tuple tracked), in a tuple
    # while short: ``timeline`` builds the public list on read (issue #7).

    call_id: str
    name: str | None = None
    run_id: str | None = None
    message_id: str | None = None
    span_id: str | None = None
    state: ToolCallState = ToolCallState.AWAITING_INPUT
    arguments_buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    input: Any = UNSET
    approval: Approval | None = None
    output_buffer: TextBuffer = attrs.field(factory=TextBuffer, repr=False)
    result: str | None = None
    result_value: Any = UNSET
    raw_result: str | None = None
    error: str | None = None
    provider_executed: bool = False
    client_tool: bool = False
    """The sender asked the client to execute this call (AG-UI client-tool interrupt, TanStack
    ``tool-input-available``); its result comes from the client (:mod:`streamfold.actions`)."""
    interrupt_id: str | None = None
    """The id of the interrupt that asked for the client execution, to answer when resuming."""
    metadata: dict[str, Any] = attrs.field(factory=dict)
    start_time: float | None = None
    """When the call started, in seconds on its run's clock (``docs/transcript.md``, "Time");
    ``input_time`` when its arguments were complete, ``end_time`` when it reached a terminal
    state. ``None`` when the input carries no time (the frame indexes are in ``timeline``)."""
    input_time: float | None = None
    end_time: float | None = None
    _timeline: _Timeline = attrs.field(
        default=_NO_TIMELINE,
        alias="timeline",
        converter=_plain_timeline,
        repr=False,
    )

    @property
    def timeline(self) -> list[tuple[ToolCallState, int | None]]:
        """``(state, frame_index)`` per state transition, oldest first (a new list per read)."""
        return [(ToolCallState(state), index) for state, index in self._timeline]

    def _record_state(self, state: ToolCallState, frame_index: int | None) -> None:
        """Append a transition to the timeline (what the reducer calls)."""
        entry = (_STATE_VALUES[state], frame_index)  # not state.value: a Python-level property
        timeline = self._timeline
        if isinstance(timeline, list):
            timeline.append(entry)
        elif len(timeline) < _TIMELINE_TUPLE_MAX:
            self._timeline = (*timeline, entry)
        else:  # a long history: stop copying
            self._timeline = [*timeline, entry]

    @property
    def arguments(self) -> str:
        """The arguments as streamed so far (JSON text, possibly partial; :meth:`partial_input`
        parses it)."""
        return self.arguments_buffer.text

    @property
    def output(self) -> str:
        """The tool's streamed output so far (text; the final value, when the sender gives one, is
        ``result``)."""
        return self.output_buffer.text

    def partial_input(self) -> Any:
        """Best-effort parse of the arguments so far (``None`` if nothing parses yet).

        Uses jiter's ``'trailing-strings'`` partial mode: no invented values, a growing trailing
        string is kept (docs/concepts/notifications.md#partial-tool-arguments). O(len(arguments))
        per call: call it when rendering.
        """
        if self.input is not UNSET:
            return self.input
        import jiter

        text = self.arguments
        if not text.strip():
            return None
        try:
            return jiter.from_json(text.encode(), partial_mode="trailing-strings")
        except ValueError:
            return None

    @property
    def display(self) -> Any:
        """What a UI shows for the call's outcome (docs/model.md, "What a UI shows"): the
        ``error`` text when it failed; else the result as :func:`display_value` gives it (its
        text, or its value when it is structured); else the streamed ``output`` text; ``None``
        while there is nothing to show."""
        if self.error is not None:
            return self.error
        if self.result is not None:
            if self.result_value is UNSET:
                return display_value(self.result)
            return self.result_value
        output = self.output
        return output if output else None
