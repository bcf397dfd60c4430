"""Deprecated: moved to :mod:`streamfold.framing` and :mod:`streamfold.io.recording`."""

from .errors import RecordingError
from .framing import (
    DETECT_LIMIT,
    HEADER_KEY,
    MAX_DOCUMENT_BYTES,
    RECORDING_VERSION,
    Frame,
    FrameKind,
    FrameSplitter,
    RecordingProblem,
    detect_framing,
    encode_sse,
    worth_detecting,
)
from .framing import Framing as InputFraming
from .io.recording import Recording, RecordingWriter, read_recording
from .reducer import Reducer

feed_frame = Reducer.feed_frame  # feed_frame(reducer, frame) is reducer.feed_frame(frame)


def detect_stream_framing(
    head: bytes, name: str = "", *, final: bool = False
) -> InputFraming | None:
    """``detect_framing(head, name, final=final)``, with its old default ``final=False``."""
    return detect_framing(head, name, final=final)


__all__ = [
    "DETECT_LIMIT",
    "HEADER_KEY",
    "MAX_DOCUMENT_BYTES",
    "RECORDING_VERSION",
    "Frame",
    "FrameKind",
    "FrameSplitter",
    "InputFraming",
    "Recording",
    "RecordingError",
    "RecordingProblem",
    "RecordingWriter",
    "detect_stream_framing",
    "encode_sse",
    "feed_frame",
    "read_recording",
    "worth_detecting",
]
