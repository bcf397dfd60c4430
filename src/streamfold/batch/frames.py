"""The intake names the batch job uses, in one place.

Cutting bytes into frames (:class:`Frame`, :class:`FrameSplitter`, with framing detection) lives
in :mod:`streamfold.framing`, applying a frame to a reducer in ``Reducer.feed_frame``
(:func:`feed_frame` here); docs/recording.md describes frames and framings.
"""

from __future__ import annotations

from ..errors import RecordingError
from ..framing import Frame, FrameSplitter, RecordingProblem
from ..reducer import Reducer

feed_frame = Reducer.feed_frame
"""``feed_frame(reducer, frame)`` is ``reducer.feed_frame(frame)``."""

__all__ = [
    "Frame",
    "FrameSplitter",
    "RecordingError",
    "RecordingProblem",
    "close_at",
    "feed_at",
    "feed_frame",
]


def feed_at(reducer: Reducer, frame: Frame, index: int) -> None:
    """Apply ``frame`` to ``reducer`` as the frame of index ``index`` of the input.

    The ``--log`` job folds each session of a log in a reducer of its own; numbering each
    session's frames with their index in the log keeps every frame index in the model (spans,
    runs, tool call timelines, diagnostics) the log's, and keeps frame-counted windows (NNRP's
    terminal grace) counted in log frames. Indexes must increase. This sets the frame counter
    of the reducer's core state (``reducer.state.index``, the index of the frame being applied),
    the one place the batch job does; a reducer option (``feed(..., index=)``) would be cleaner.
    """
    reducer.state.index = index - 1
    feed_frame(reducer, frame)


def close_at(reducer: Reducer, index: int) -> None:
    """Close ``reducer`` as at frame index ``index`` (the log's end; see :func:`feed_at`)."""
    reducer.state.index = index - 1
    reducer.close()
