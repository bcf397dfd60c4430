"""Framing: bytes → frames. Knows no wire format.

Sans-IO, like h11's receive buffer: every splitter takes byte chunks split anywhere and returns
the frames they complete, with bounded buffers. The modules, in the order data flows:

* :mod:`~streamfold.framing.lines` — :class:`LineSplitter`, NDJSON lines (:class:`OversizedLine`
  stands in for a line over ``max_line_bytes``);
* :mod:`~streamfold.framing.sse` — :class:`SSESplitter`, Server-Sent Events (:class:`SSEEvent`;
  the ``[DONE]`` end marker);
* :mod:`~streamfold.framing.detect` — the one place that decides a stream's :data:`Framing`;
* :mod:`~streamfold.framing.chunk_recording` — TanStack's ChunkRecording document;
* :mod:`~streamfold.framing.records` — a streamfold recording's record lines;
* :mod:`~streamfold.framing.frame` — :class:`Frame`, what every framing yields;
* :mod:`~streamfold.framing.frames` — :class:`FrameSplitter`, one splitter for every framing.

``Reducer.feed_frame`` is the one way a :class:`Frame` goes into a reducer.
"""

from .chunk_recording import MAX_DOCUMENT_BYTES, read_chunk_recording
from .detect import (
    DETECT_LIMIT,
    FRAMINGS,
    HEADER_KEY,
    Framing,
    FramingDetector,
    WireFraming,
    check_framing,
    detect_framing,
    worth_detecting,
)
from .frame import Frame, FrameKind, RecordingProblem, encode_sse
from .frames import FrameSplitter
from .lines import DEFAULT_MAX_LINE_BYTES, LineSplitter, LineSplitterState, OversizedLine
from .records import RECORDING_VERSION
from .sse import DONE, SSEEvent, SSESplitter, SSESplitterState, is_done

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "DETECT_LIMIT",
    "DONE",
    "FRAMINGS",
    "HEADER_KEY",
    "MAX_DOCUMENT_BYTES",
    "RECORDING_VERSION",
    "Frame",
    "FrameKind",
    "FrameSplitter",
    "Framing",
    "FramingDetector",
    "LineSplitter",
    "LineSplitterState",
    "OversizedLine",
    "RecordingProblem",
    "SSEEvent",
    "SSESplitter",
    "SSESplitterState",
    "WireFraming",
    "check_framing",
    "detect_framing",
    "encode_sse",
    "is_done",
    "read_chunk_recording",
    "worth_detecting",
]
