"""Loom's Tree-of-Thoughts / Graph-of-Thoughts frames → typed search events.

The eight kinds (spec §4.2; ``docs/loom.md``, "Search"): ``tot_expand{candidates}``,
``tot_evaluate{chosen, scores}`` (``scores`` may be shorter than the candidates: only the scored
ones), ``tot_backtrack{reason, to_depth}``, ``got_plan{node_count, edge_count, node_ids}``,
``got_node_start{id}``, ``got_node_complete{id, result_summary}``, ``got_node_failed{id, error}``
and ``got_expand{node_id, nodes_added, edges_added}``, whose payload ``node_id`` is the task that
expanded (A10). The core never sees these names or keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ...events import (
    AddTasks,
    Backtrack,
    Diagnose,
    Event,
    ExpandSearch,
    PlanTasks,
    ScoreSearch,
    SetTaskStatus,
)
from ...model import Severity

__all__ = ["search_events"]


def search_events(run_id: str, frame: Mapping[str, Any], out: list[Event]) -> None:
    """ToT / GoT frames (spec §4.2, ``docs/loom.md`` "Search") → typed search events.

    Every field's type is checked here: a frame whose main field has the wrong type
    (``candidates``, ``scores``, ``node_ids`` not a list; a task ``id`` not a string) is
    dropped (``invalid_field``); a wrong optional field or list item is left out with an
    ``invalid_field`` warning. ``got_expand``'s payload ``node_id`` is the task that
    expanded, never the envelope's (A10).
    """
    kind = frame["type"]
    if kind == "tot_expand":
        candidates = _search_list(frame, "candidates", _search_text, out, run_id)
        if candidates is not None:
            out.append(ExpandSearch(run_id, candidates))
    elif kind == "tot_evaluate":
        scores = _search_list(frame, "scores", _search_number, out, run_id)
        if scores is not None:
            chosen = _search_field(frame, "chosen", _search_int, out, run_id)
            out.append(ScoreSearch(run_id, scores, chosen))
    elif kind == "tot_backtrack":
        reason = _search_field(frame, "reason", _search_text, out, run_id)
        to_depth = _search_field(frame, "to_depth", _search_int, out, run_id)
        out.append(Backtrack(run_id, reason or "", to_depth))
    elif kind == "got_plan":
        planned = _search_list(frame, "node_ids", _search_id, out, run_id)
        if planned is not None:
            edges = _search_field(frame, "edge_count", _search_int, out, run_id)
            out.append(PlanTasks(run_id, planned, edges))
    elif kind == "got_expand":
        added_by = _search_field(frame, "node_id", _search_id, out, run_id)
        added = frame.get("nodes_added")
        task_ids: list[str] | None = None
        count = None
        if isinstance(added, list):  # the ids of the tasks added, when a sender names them
            task_ids = _search_list(frame, "nodes_added", _search_id, out, run_id)
        else:
            count = _search_field(frame, "nodes_added", _search_int, out, run_id)
        edges = _search_field(frame, "edges_added", _search_int, out, run_id)
        out.append(AddTasks(run_id, added_by, task_ids or [], count, edges))
    else:  # got_node_start / got_node_complete / got_node_failed
        task_id = _search_id(frame.get("id"))
        if task_id is None:
            out.append(_drop("invalid_field", f"{kind} id is not a string", run_id))
            return
        if kind == "got_node_start":
            out.append(SetTaskStatus(run_id, task_id, "running"))
        elif kind == "got_node_complete":
            summary = _search_field(frame, "result_summary", _search_text, out, run_id)
            out.append(SetTaskStatus(run_id, task_id, "complete", summary=summary))
        else:
            error = _search_field(frame, "error", _search_text, out, run_id)
            out.append(SetTaskStatus(run_id, task_id, "failed", error=error))


# ------------------------------------------------------------------- search field checks
# Each returns the checked value or None when the type is
# wrong (JSON booleans are not numbers; a number too large for a float is not one either).

_T = TypeVar("_T")


def _search_text(value: Any) -> str | None:
    return value if type(value) is str else None


def _search_id(value: Any) -> str | None:
    """A task id: a string, or an integer id written as its decimal text."""
    if type(value) is str:
        return value
    return str(value) if type(value) is int else None


def _search_int(value: Any) -> int | None:
    return value if type(value) is int else None


def _search_number(value: Any) -> float | None:
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return None
    return None


def _search_field(
    frame: Mapping[str, Any],
    key: str,
    check: Callable[[Any], _T | None],
    out: list[Event],
    run_id: str,
) -> _T | None:
    """``frame[key]`` checked, ``None`` when absent or null; a wrong type is a warning."""
    value = frame.get(key)
    if value is None:
        return None
    checked = check(value)
    if checked is None:
        kind = frame.get("type")
        out.append(_warn("invalid_field", f"{kind} {key} has the wrong type; ignored", run_id))
    return checked


def _search_list(
    frame: Mapping[str, Any],
    key: str,
    check: Callable[[Any], _T | None],
    out: list[Event],
    run_id: str,
) -> list[_T] | None:
    """``frame[key]`` as a checked list (absent or null: empty). Not a list: the frame is
    dropped (``None``); items of the wrong type are left out with a warning."""
    value = frame.get(key)
    kind = frame.get("type")
    if value is None:
        return []
    if type(value) is not list:
        out.append(_drop("invalid_field", f"{kind} {key} is not a list", run_id))
        return None
    items = [check(item) for item in value]
    kept = [item for item in items if item is not None]
    if len(kept) != len(items):
        out.append(
            _warn("invalid_field", f"{kind} {key}: items of the wrong type left out", run_id)
        )
    return kept


def _drop(code: str, message: str, run_id: str) -> Diagnose:
    return Diagnose(code, message, Severity.ERROR, dropped=True, run_id=run_id)


def _warn(code: str, message: str, run_id: str) -> Diagnose:
    return Diagnose(code, message, Severity.WARNING, run_id=run_id)
