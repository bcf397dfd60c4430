"""Lifecycles as tables (h11 style): tool calls, runs and the reducer itself."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from streamfold import Reducer
from streamfold import events as ev
from streamfold.errors import ProtocolError, UsageError
from streamfold.model import TOOL_CALL_TRANSITIONS, RunStatus, ToolCallState
from streamfold.reducer import Lifecycle

ROOT = Path(__file__).parents[2]
S = ToolCallState


def _tables_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_state_tables", ROOT / "docs" / "make_state_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_model_draws_the_tables_of_the_code() -> None:
    script = _tables_script()
    page = (ROOT / "docs" / "model.md").read_text()
    start, end = page.index(script.BEGIN), page.index(script.END) + len(script.END)
    assert page[start:end] == script.render(), "run: python docs/make_state_tables.py"


def test_every_state_has_a_row_and_terminal_states_have_no_moves() -> None:
    assert set(TOOL_CALL_TRANSITIONS) == set(ToolCallState)
    for state, moves in TOOL_CALL_TRANSITIONS.items():
        assert state not in moves
        if state.is_terminal:  # only a correction to another terminal state (complete → error)
            assert all(new.is_terminal for new in moves)
        else:
            assert moves


def _reducer_with_call() -> Reducer:
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r"), ev.StartMessage("r", "m")])
    reducer.apply([ev.StartToolCall("r", "c", "read", "m")])
    return reducer


def test_a_full_legal_lifecycle_has_no_diagnostic() -> None:
    reducer = _reducer_with_call()
    reducer.apply(
        [
            ev.AppendToolArguments("r", "c", '{"a":'),
            ev.AppendToolArguments("r", "c", "1}"),
            ev.RequestApproval("r", "c", "ap-1"),
            ev.RespondApproval("r", "c", True),
            ev.StartToolExecution("r", "c"),
            ev.AppendToolOutput("r", "c", "working"),
            ev.SetToolResult("r", "c", "done"),
        ]
    )
    call = reducer.tool_call("c")
    assert call is not None
    assert [state for state, _ in call.timeline] == [
        S.AWAITING_INPUT,
        S.INPUT_STREAMING,
        S.INPUT_COMPLETE,
        S.APPROVAL_REQUESTED,
        S.APPROVAL_RESPONDED,
        S.EXECUTING,
        S.COMPLETE,
    ]
    assert list(reducer.conversation.diagnostics) == []


def test_an_illegal_move_is_applied_and_reported() -> None:
    reducer = _reducer_with_call()
    reducer.apply([ev.SetToolResult("r", "c", "boom", is_error=True)])
    notes = reducer.apply([ev.AppendToolOutput("r", "c", "late output")])  # error: terminal
    reducer.apply([ev.SetToolResult("r", "c", "done")])
    call = reducer.tool_call("c")
    assert call is not None and call.state is S.COMPLETE and call.output == "late output"
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert codes == ["illegal_tool_transition"]  # error -> complete; output after it: no move
    assert not [n for n in notes if getattr(n, "code", None)]


def test_a_result_marked_failed_afterwards_is_a_legal_move() -> None:
    reducer = _reducer_with_call()
    reducer.apply([ev.SetToolResult("r", "c", "retry please")])
    reducer.apply([ev.SetToolResult("r", "c", "retry please", is_error=True)])
    call = reducer.tool_call("c")
    assert call is not None and call.state is S.ERROR and call.error == "retry please"
    assert not reducer.conversation.diagnostics


def test_a_denied_call_that_executes_is_reported() -> None:
    reducer = _reducer_with_call()
    reducer.apply([ev.RespondApproval("r", "c", False), ev.StartToolExecution("r", "c")])
    [diagnostic] = reducer.conversation.diagnostics
    assert (
        diagnostic.code == "illegal_tool_transition" and "denied -> executing" in diagnostic.message
    )


def test_a_run_ends_once() -> None:
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r"), ev.EndRun("r", RunStatus.COMPLETED)])
    reducer.apply([ev.EndRun("r", RunStatus.FAILED, error="late")])
    reducer.apply([ev.StartRun("s", "r2"), ev.EndRun("r2", RunStatus.RUNNING)])
    run = reducer.run("r")
    assert run.status is RunStatus.COMPLETED and run.error is None
    assert reducer.run("r2").status is RunStatus.RUNNING
    codes = [d.code for d in reducer.conversation.diagnostics]
    assert codes == ["run_already_ended", "illegal_run_transition"]


def test_reducer_lifecycle_open_closed_failed() -> None:
    reducer = Reducer()
    assert (reducer.lifecycle, reducer.closed) == (Lifecycle.OPEN, False)
    reducer.feed_line('{"type":"node_enter","id":"think","session_id":"s","event_id":1}')
    reducer.close()
    assert (reducer.lifecycle, reducer.closed) == (Lifecycle.CLOSED, True)
    assert reducer.close() == []  # idempotent
    reducer.apply([ev.SetState("s#1", {"after": "close"})])  # apply after close is allowed
    with pytest.raises(UsageError, match="after close"):
        reducer.feed_line("{}")

    strict = Reducer(strict=True)
    with pytest.raises(ProtocolError):
        strict.feed_line("not json")
    assert strict.lifecycle is Lifecycle.FAILED
    with pytest.raises(UsageError, match="not_json at frame 0"):
        strict.feed_line("{}")
    with pytest.raises(UsageError, match="not_json at frame 0"):
        strict.apply([])
