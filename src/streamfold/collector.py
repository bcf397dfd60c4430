"""The collector strategy for long folds: keep what is already folded out of full collections.

CPython runs a full (generation-2) collection whenever the objects that survived younger
collections have grown by 25% since the last one, and a full collection visits every tracked
object, the folded model included. A fold that keeps many sessions therefore pays, per frame, in
proportion to the model it has built so far: with 10^5 short sessions in one reducer the full
collections took 3–5 s of a 20–35 s fold (docs/performance.md#many-sessions-and-the-collector).

:class:`FreezeSettled` applies the remedy CPython provides for long-lived data: ``gc.freeze()``
every ``every`` frames moves every object tracked at that moment into the permanent generation,
which later collections skip. Young collections still run, so short-lived cyclic garbage is still
freed; objects without cycles are freed by reference counting whether frozen or not. At the end
(:meth:`FreezeSettled.close`, or leaving the ``with`` block) ``gc.unfreeze()`` returns them to
the oldest generation, so a cycle that became garbage while frozen is collected later, as usual.

It is process-wide, like the collector itself, and it stands aside when it would change what the
application set up: when the collector is disabled, or when something is already frozen (an
application that calls ``gc.freeze()`` itself, a pre-fork server for example, manages freezing;
:meth:`close` would otherwise unfreeze its objects too), it does nothing.

Used by :func:`streamfold.fold` / :func:`streamfold.fold_file` (their ``freeze_every``
argument) and by the batch job's workers (docs/batch.md); an application's own feed loop reports its
frames to :meth:`FreezeSettled.reached`.
"""

from __future__ import annotations

import gc
from types import TracebackType
from typing import Final

__all__ = ["FREEZE_EVERY", "FreezeSettled"]

FREEZE_EVERY: Final = 100_000
"""Frames between two freezes by default. A freeze is a constant-time list splice; between two,
the objects the frames built are young or in the oldest generation (a full collection then visits
at most ~100k frames' worth of them)."""


class FreezeSettled:
    """``gc.freeze()`` every ``every`` frames while a long fold runs, ``gc.unfreeze()`` at the end.

    Use as a context manager (or call :meth:`close`) around a feed loop that reports its
    progress to :meth:`reached`::

        with FreezeSettled() as settle:
            for line in lines:
                reducer.feed_line(line)
                settle.reached(reducer.frames_in)

    ``every`` (frames, ``>= 1``, or ``None`` for never; ``ValueError`` otherwise) trades how
    much a full collection may still visit against the freezes themselves, which are
    constant-time list splices.
    ``active`` says whether it freezes at all (see the module docstring for when it stands
    aside). One per feed loop. Two loops in one process share the collector: one created after
    another froze stands aside, and the first to end unfreezes both loops' objects (which only
    makes the other's later collections walk them again until its next freeze).
    """

    __slots__ = ("_froze", "_next", "active", "every")

    def __init__(self, every: int | None = FREEZE_EVERY) -> None:
        if every is not None and every < 1:
            raise ValueError(f"every must be >= 1 (frames) or None, not {every!r}")
        self.every = every or FREEZE_EVERY
        """Frames between two freezes."""
        self.active = every is not None and gc.isenabled() and gc.get_freeze_count() == 0
        """Whether this instance freezes: ``every`` given, the collector enabled and nothing
        frozen yet (decided once, at creation)."""
        self._next = self.every
        self._froze = False

    def reached(self, frames: int) -> None:
        """Tell how many frames the loop has fed in all (``reducer.frames_in``, say); freezes
        when ``every`` more have passed since the last freeze. O(1): call it per frame or per
        chunk."""
        if frames >= self._next:
            self._next = frames + self.every
            if self.active:
                gc.freeze()
                self._froze = True

    def close(self) -> None:
        """Unfreeze what this instance froze (nothing if it never froze). Idempotent."""
        if self._froze:
            self._froze = False
            gc.unfreeze()

    def __enter__(self) -> FreezeSettled:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
