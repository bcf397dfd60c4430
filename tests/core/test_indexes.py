"""FoldState's indexes: what the appliers look up instead of scanning, and reindex()."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamfold import Reducer
from streamfold import events as ev
from streamfold.core import FoldState
from streamfold.io.sync import fold_file
from streamfold.model import ReasoningPart, TextPart, ToolCallPart, ToolResultPart

RECORDINGS = sorted((Path(__file__).parents[2] / "examples" / "recordings").glob("*.*"))
RECORDINGS = [p for p in RECORDINGS if p.suffix in (".ndjson", ".sse", ".json", ".jsonl")]


def _indexes(state: FoldState) -> dict[str, object]:
    return {
        "runs": state.runs,
        "open_runs": list(state.open_runs.items()),
        "spans": state.spans,
        "messages": state.messages,
        "calls": state.calls,
        "latest_call": state.latest_call,
        "keyed_parts": state.keyed_parts,
        "message_runs": {k: list(v.items()) for k, v in state.message_runs.items()},
        "seq": state.seq,
    }


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_reindex_rebuilds_what_the_appliers_built(path: Path) -> None:
    reducer = Reducer()
    fold_file(path, reducer)
    state = reducer.state
    built = _indexes(state)
    state.reindex()
    assert _indexes(state) == built


def test_a_second_result_replaces_the_first_in_place() -> None:
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r"), ev.StartMessage("r", "m")])
    for i in range(3):
        reducer.apply([ev.StartToolCall("r", f"c{i}", "read", "m")])
        reducer.apply([ev.SetToolResult("r", f"c{i}", f"first {i}")])
    reducer.apply([ev.SetToolResult("r", "c1", "again", is_error=True)])
    message = reducer.state.messages["m"]
    results = [p for p in message.parts if isinstance(p, ToolResultPart)]
    assert [(p.call_id, p.content, p.is_error) for p in results] == [
        ("c0", "first 0", False),
        ("c1", "again", True),
        ("c2", "first 2", False),
    ]
    assert len([p for p in message.parts if isinstance(p, ToolCallPart)]) == 3


def test_an_adopted_id_renames_the_result_part_and_its_index() -> None:
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r"), ev.StartMessage("r", "m")])
    reducer.apply([ev.StartToolCall("r", "read#1", "read", "m")])
    reducer.apply([ev.StartToolCall("r", "other", "read", "m")])
    reducer.apply([ev.SetToolResult("r", "read#1", "ok")])
    reducer.apply([ev.AdoptToolCallId("r", "read#1", "call_9")])
    reducer.apply([ev.SetToolResult("r", "call_9", "ok again")])
    run = reducer.run("r")
    assert list(run.tool_calls) == ["call_9", "other"]  # order kept
    [result] = [p for p in run.messages[0].parts if isinstance(p, ToolResultPart)]
    assert (result.call_id, result.content) == ("call_9", "ok again")


def test_reasoning_steps_are_found_without_a_scan() -> None:
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r")])
    for i in range(3):
        reducer.apply([ev.AppendReasoning("r", "m", f"a{i} ", step_id="a")])
        reducer.apply([ev.AppendText("r", "m", f"t{i} ")])
        reducer.apply([ev.AppendReasoning("r", "m", f"b{i} ", step_id="b")])
    parts = reducer.state.messages["m"].parts
    reasoning = [(p.step_id, p.text) for p in parts if isinstance(p, ReasoningPart)]
    assert reasoning == [("a", "a0 a1 a2 "), ("b", "b0 b1 b2 ")]
    # text goes on after the last part when that is text (t1 then t2), as before the index
    assert [p.text for p in parts if isinstance(p, TextPart)] == ["t0 ", "t1 t2 "]
