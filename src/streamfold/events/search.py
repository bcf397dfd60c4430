"""Canonical events of a search: Tree-of-Thoughts steps and Graph-of-Thoughts tasks
(``docs/model.md``, "Search")."""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = [
    "AddTasks",
    "Backtrack",
    "ExpandSearch",
    "PlanTasks",
    "ScoreSearch",
    "SetTaskStatus",
    "TaskStatus",
]


# Search (Tree-of-Thoughts steps, Graph-of-Thoughts tasks; ``docs/model.md``, "Search"). The
# decoder validates the wire's types; these carry only checked values.


@attrs.define
class ExpandSearch:
    """A Tree-of-Thoughts step proposes ``candidates`` (a new
    :class:`~streamfold.model.TotStep`)."""

    run_id: str
    candidates: list[str]


@attrs.define
class ScoreSearch:
    """The latest step is evaluated: ``scores`` (may be shorter than the candidates: only the
    scored ones) and the index of the ``chosen`` candidate (``None`` when not given)."""

    run_id: str
    scores: list[float]
    chosen: int | None = None


@attrs.define
class Backtrack:
    """The search abandons its latest step: ``reason``, and the depth it returns to."""

    run_id: str
    reason: str
    to_depth: int | None = None


@attrs.define
class PlanTasks:
    """A Graph-of-Thoughts plan: ``task_ids`` become pending tasks (known ones are kept);
    ``edge_count`` is the plan's number of dependency edges (``None`` when not given)."""

    run_id: str
    task_ids: list[str]
    edge_count: int | None = None


TaskStatus = Literal["running", "complete", "failed"]


@attrs.define
class SetTaskStatus:
    """A task starts, completes (with a result ``summary``) or fails (with an ``error``); an
    unknown task is added."""

    run_id: str
    task_id: str
    status: TaskStatus
    summary: str | None = None
    error: str | None = None


@attrs.define
class AddTasks:
    """The running graph expands: task ``added_by`` added ``task_ids`` (when the sender names
    them; each becomes a pending task with ``added_by`` set) or only reports the counts
    ``tasks_added`` / ``edges_added``. Recorded as a :class:`~streamfold.model.TaskExpansion`."""

    run_id: str
    added_by: str | None = None
    task_ids: list[str] = attrs.field(factory=list)
    tasks_added: int | None = None
    edges_added: int | None = None
