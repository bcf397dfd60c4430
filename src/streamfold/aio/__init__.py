"""Async streams (anyio: asyncio or trio): reduce any async source, fan notifications out.

* :mod:`~streamfold.aio.reduction` — :class:`AsyncReduction`, :func:`reduce`, :func:`fold` (the
  module is not named ``reduce``: that name is the function);
* :mod:`~streamfold.aio.fanout` — :class:`Broadcaster`, :class:`Subscription`, :class:`Lagged`.

The sync twins (:class:`Reduction`, :func:`reduce_sync`) live in :mod:`streamfold.io.sync` and
the clocks in :mod:`streamfold.clock`; both stay importable from here (docs/async.md).
"""

from ..clock import Clock, FakeClock, SystemClock
from ..io.intake import Item
from ..io.sync import Reduction, reduce_sync
from .fanout import Broadcaster, Lagged, Policy, Subscription
from .reduction import AsyncReduction, fold, reduce

__all__ = [
    "AsyncReduction",
    "Broadcaster",
    "Clock",
    "FakeClock",
    "Item",
    "Lagged",
    "Policy",
    "Reduction",
    "Subscription",
    "SystemClock",
    "fold",
    "reduce",
    "reduce_sync",
]
