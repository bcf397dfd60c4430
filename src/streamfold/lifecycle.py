"""The reducer's lifecycle (``docs/model.md``): one state at a time.

=========  ================  ===============  ====================================
state      feed / feed_*     ``apply``        ``close``
=========  ================  ===============  ====================================
OPEN       applied           applied          → CLOSED (flushes, ends open runs)
CLOSED     ``UsageError``    applied (client  no-op
                             actions come
                             after the end)
FAILED     ``UsageError``    ``UsageError``   ``UsageError`` only if it must feed
=========  ================  ===============  ====================================

FAILED is entered by a strict-mode protocol error and is sticky (h11's ERROR state).
"""

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
