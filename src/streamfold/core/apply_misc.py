"""State, JSON Patch, checkpoints, custom and unknown events, missing ranges, the search tree
and diagnostics: ``SetState``, ``PatchState``, ``SaveCheckpoint``, ``RecordCustom``,
``KeepUnknown``, ``MarkMissing``, ``ExpandSearch``, ``ScoreSearch``, ``Backtrack``,
``PlanTasks``, ``SetTaskStatus``, ``AddTasks``, ``Diagnose``."""

from __future__ import annotations

from .. import events as ev
from ..model import Checkpoint, CustomEvent, Run, SearchTree, TaskExpansion, TaskNode, TotStep
from ..model.values import _appended
from ..notifications import CheckpointSaved, CustomEventReceived, SearchTreeUpdated, StateUpdated
from .apply_runs import get_run
from .state import FoldState, Notes

__all__ = [
    "apply_add_tasks",
    "apply_backtrack",
    "apply_diagnose",
    "apply_expand_search",
    "apply_keep_unknown",
    "apply_mark_missing",
    "apply_patch_state",
    "apply_plan_tasks",
    "apply_record_custom",
    "apply_save_checkpoint",
    "apply_score_search",
    "apply_set_state",
    "apply_set_task_status",
]


def apply_set_state(state: FoldState, e: ev.SetState, notes: Notes) -> None:
    """Apply ``SetState`` (:class:`streamfold.events.SetState`): replace the run's state with
    ``state`` (any JSON value)."""
    run = get_run(state, e.run_id, notes)
    run.state = e.state
    run.state_updates += 1
    notes.append(StateUpdated(e.run_id, e.source, e.state))


def apply_patch_state(state: FoldState, e: ev.PatchState, notes: Notes) -> None:
    """Apply ``PatchState`` (:class:`streamfold.events.PatchState`): an RFC 6902 JSON Patch against
    the run's state."""
    import jsonpatch

    run = get_run(state, e.run_id, notes)
    try:
        run.state = jsonpatch.apply_patch(run.state if run.state is not None else {}, e.patch)
    except Exception as exc:  # jsonpatch raises several unrelated types on bad patches
        state.diagnose(
            ev.Diagnose("state_patch_failed", f"JSON Patch not applied: {exc}", run_id=run.run_id),
            notes,
        )
        return
    run.state_updates += 1
    notes.append(StateUpdated(e.run_id, "patch", run.state))


def apply_save_checkpoint(state: FoldState, e: ev.SaveCheckpoint, notes: Notes) -> None:
    """Apply ``SaveCheckpoint`` (:class:`streamfold.events.SaveCheckpoint`): record a checkpoint on
    the run: ``checkpoint_id`` as sent, ``data`` the rest of its payload."""
    run = get_run(state, e.run_id, notes)
    run._checkpoints = _appended(run._checkpoints, Checkpoint(e.checkpoint_id, e.data, state.index))
    notes.append(CheckpointSaved(e.run_id, e.checkpoint_id))


def apply_record_custom(state: FoldState, e: ev.RecordCustom, notes: Notes) -> None:
    """Apply ``RecordCustom`` (:class:`streamfold.events.RecordCustom`): record a custom event on
    the run: ``name`` and its decoded ``value``."""
    run = get_run(state, e.run_id, notes)
    run._custom_events = _appended(run._custom_events, CustomEvent(e.name, e.value, state.index))
    notes.append(CustomEventReceived(e.run_id, e.name, e.value))


def apply_keep_unknown(state: FoldState, e: ev.KeepUnknown, notes: Notes) -> None:
    """Apply ``KeepUnknown`` (:class:`streamfold.events.KeepUnknown`): a frame the decoder does not
    understand, kept verbatim on its run."""
    run = get_run(state, e.run_id, notes)
    run._unknown_events = _appended(run._unknown_events, dict(e.frame))


def apply_mark_missing(state: FoldState, e: ev.MarkMissing, notes: Notes) -> None:
    """Apply ``MarkMissing`` (:class:`streamfold.events.MarkMissing`): part of a run is known to be
    missing: ``[start, end)`` counted in ``unit`` (:data:`~streamfold.model.MissingUnit`:
    ``"event_id"`` or ``"token_seq"``)."""
    run = get_run(state, e.run_id, notes)
    if run.missing_unit is not None and run.missing_unit != e.unit:
        state.diagnose(
            ev.Diagnose(
                "missing_unit_conflict",
                f"run {e.run_id!r} has missing ranges in {run.missing_unit}; a range in "
                f"{e.unit} is not kept",
                run_id=e.run_id,
            ),
            notes,
        )
        return
    run.lossy = True
    run.missing_unit = e.unit
    run._missing = _appended(run._missing, (e.start, e.end))


def apply_diagnose(state: FoldState, e: ev.Diagnose, notes: Notes) -> None:
    """Apply ``Diagnose`` (:class:`streamfold.events.Diagnose`): report an anomaly."""
    state.diagnose(e, notes)


# ---------------------------------------------------------------------------- search tree


def _tree(state: FoldState, run_id: str, notes: Notes) -> tuple[Run, SearchTree]:
    run = get_run(state, run_id, notes)
    tree = run.search
    if tree is None:
        tree = run.search = SearchTree()
    return run, tree


def apply_expand_search(state: FoldState, e: ev.ExpandSearch, notes: Notes) -> None:
    """Apply ``ExpandSearch`` (:class:`streamfold.events.ExpandSearch`): a Tree-of-Thoughts step
    proposes ``candidates`` (a new :class:`~streamfold.model.TotStep`)."""
    run, tree = _tree(state, e.run_id, notes)
    tree.tot_steps.append(TotStep(list(e.candidates)))
    notes.append(SearchTreeUpdated(run.run_id, "expand", {"candidates": list(e.candidates)}, tree))


def apply_score_search(state: FoldState, e: ev.ScoreSearch, notes: Notes) -> None:
    """Apply ``ScoreSearch`` (:class:`streamfold.events.ScoreSearch`): the latest step is evaluated:
    ``scores`` (may be shorter than the candidates: only the scored ones) and the index of the
    ``chosen`` candidate (``None`` when not given)."""
    run, tree = _tree(state, e.run_id, notes)
    if not tree.tot_steps:
        tree.tot_steps.append(TotStep([]))
    step = tree.tot_steps[-1]
    step.scores = list(e.scores)
    step.chosen = e.chosen
    change = {"scores": list(e.scores), "chosen": e.chosen}
    notes.append(SearchTreeUpdated(run.run_id, "score", change, tree))


def apply_backtrack(state: FoldState, e: ev.Backtrack, notes: Notes) -> None:
    """Apply ``Backtrack`` (:class:`streamfold.events.Backtrack`): the search abandons its latest
    step: ``reason``, and the depth it returns to."""
    run, tree = _tree(state, e.run_id, notes)
    tree.backtracks.append((e.reason, e.to_depth))
    if tree.tot_steps:
        tree.tot_steps[-1].backtracked = e.reason
    change = {"reason": e.reason, "to_depth": e.to_depth}
    notes.append(SearchTreeUpdated(run.run_id, "backtrack", change, tree))


def apply_plan_tasks(state: FoldState, e: ev.PlanTasks, notes: Notes) -> None:
    """Apply ``PlanTasks`` (:class:`streamfold.events.PlanTasks`): a Graph-of-Thoughts plan:
    ``task_ids`` become pending tasks (known ones are kept); ``edge_count`` is the plan's number of
    dependency edges (``None`` when not given)."""
    run, tree = _tree(state, e.run_id, notes)
    for task_id in e.task_ids:
        if task_id not in tree.tasks:
            tree.tasks[task_id] = TaskNode(task_id)
    tree.planned_edges = e.edge_count
    change = {"task_ids": list(e.task_ids), "edge_count": e.edge_count}
    notes.append(SearchTreeUpdated(run.run_id, "plan", change, tree))


def apply_set_task_status(state: FoldState, e: ev.SetTaskStatus, notes: Notes) -> None:
    """Apply ``SetTaskStatus`` (:class:`streamfold.events.SetTaskStatus`): a task starts, completes
    (with a result ``summary``) or fails (with an ``error``); an unknown task is added."""
    run, tree = _tree(state, e.run_id, notes)
    task = tree.tasks.get(e.task_id)
    if task is None:
        task = tree.tasks[e.task_id] = TaskNode(e.task_id)
    task.status = e.status
    if e.status == "complete":
        task.result_summary = e.summary
    elif e.status == "failed":
        task.error = e.error
    change = {"task_id": e.task_id, "status": e.status, "summary": e.summary, "error": e.error}
    notes.append(SearchTreeUpdated(run.run_id, "task_status", change, tree))


def apply_add_tasks(state: FoldState, e: ev.AddTasks, notes: Notes) -> None:
    """Apply ``AddTasks`` (:class:`streamfold.events.AddTasks`): the running graph expands: task
    ``added_by`` added ``task_ids`` (when the sender names them; each becomes a pending task with
    ``added_by`` set) or only reports the counts ``tasks_added`` / ``edges_added``."""
    run, tree = _tree(state, e.run_id, notes)
    for task_id in e.task_ids:
        task = tree.tasks.get(task_id)
        if task is None:
            task = tree.tasks[task_id] = TaskNode(task_id)
        if task.added_by is None:
            task.added_by = e.added_by
    tree.expansions.append(
        TaskExpansion(e.added_by, list(e.task_ids), e.tasks_added, e.edges_added)
    )
    change = {
        "added_by": e.added_by,
        "task_ids": list(e.task_ids),
        "tasks_added": e.tasks_added,
        "edges_added": e.edges_added,
    }
    notes.append(SearchTreeUpdated(run.run_id, "add_tasks", change, tree))
