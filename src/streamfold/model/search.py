"""The search tree of a run that explores (Tree-of-Thoughts steps, Graph-of-Thoughts tasks): a
model extension written only by the typed search events (``ExpandSearch``, ``ScoreSearch``,
``Backtrack``, ``PlanTasks``, ``SetTaskStatus``, ``AddTasks``; ``docs/model.md``)."""

from __future__ import annotations

import attrs

__all__ = ["SearchTree", "TaskExpansion", "TaskNode", "TotStep"]


@attrs.define(slots=True, eq=False)
class TotStep:
    """One Tree-of-Thoughts expansion: candidates, then (when evaluated) scores and a choice."""

    candidates: list[str]
    scores: list[float] = attrs.field(factory=list)
    chosen: int | None = None
    backtracked: str | None = None
    """Set to the reason when a later backtrack abandoned this step."""


@attrs.define(slots=True, eq=False)
class TaskNode:
    """One Graph-of-Thoughts task: ``pending → running → complete | failed``."""

    node_id: str
    status: str = "pending"
    result_summary: str | None = None
    error: str | None = None
    added_by: str | None = None
    """For tasks added while the graph ran (an adaptive expansion): the task that expanded."""


@attrs.define(slots=True, eq=False)
class TaskExpansion:
    """One adaptive expansion of the task graph while it ran.

    ``added_by`` is the task that expanded (``None`` when the sender did not say);
    ``task_ids`` the tasks it added when the sender named them (each also in
    :attr:`SearchTree.tasks` with ``added_by`` set); ``tasks_added`` / ``edges_added`` the counts
    the sender gave (``None`` when it gave none).
    """

    added_by: str | None = None
    task_ids: list[str] = attrs.field(factory=list)
    tasks_added: int | None = None
    edges_added: int | None = None


@attrs.define(slots=True, eq=False)
class SearchTree:
    """The Tree-of-Thoughts steps and Graph-of-Thoughts task graph of a run.

    ``backtracks`` lists ``(reason, to_depth)`` in arrival order; ``planned_edges`` is the edge
    count of the last plan; ``expansions`` the adaptive expansions in arrival order.
    """

    tot_steps: list[TotStep] = attrs.field(factory=list)
    backtracks: list[tuple[str, int | None]] = attrs.field(factory=list)
    tasks: dict[str, TaskNode] = attrs.field(factory=dict)
    planned_edges: int | None = None
    expansions: list[TaskExpansion] = attrs.field(factory=list)
