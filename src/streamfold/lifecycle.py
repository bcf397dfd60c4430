"""The reducer's lifecycle: ``OPEN`` → ``CLOSED`` or ``FAILED`` (the table is in
:mod:`streamfold.reducer`'s docstring and ``docs/model.md``)."""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["LIFECYCLE_ALLOWS_APPLY", "Lifecycle"]


class Lifecycle(enum.Enum):
    """The reducer's lifecycle; see the module docstring's table."""

    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"


LIFECYCLE_ALLOWS_APPLY: Final = frozenset({Lifecycle.OPEN, Lifecycle.CLOSED})
"""States in which :meth:`Reducer.apply` is allowed: apply after close is (client actions)."""
