"""Import paths that moved in 0.2 keep working for one release (CHANGELOG.md, "Unreleased")."""

from __future__ import annotations

import importlib

import pytest

from streamfold import Reducer, clock, errors, framing
from streamfold.io import recording as io_recording
from streamfold.io import sync

from .support.streams import loom_bytes, model

MOVED = {
    "streamfold.sources": {
        "CHUNK_SIZE": sync.CHUNK_SIZE,
        "Framing": framing.Framing,
        "detect_framing": framing.detect_framing,
        "fold": sync.fold,
        "fold_file": sync.fold_file,
    },
    "streamfold.recording": {
        "Frame": framing.Frame,
        "FrameSplitter": framing.FrameSplitter,
        "HEADER_KEY": framing.HEADER_KEY,
        "InputFraming": framing.Framing,
        "Recording": io_recording.Recording,
        "RecordingError": errors.RecordingError,
        "RecordingProblem": framing.RecordingProblem,
        "RecordingWriter": io_recording.RecordingWriter,
        "encode_sse": framing.encode_sse,
        "read_recording": io_recording.read_recording,
    },
    "streamfold.aio": {
        "Clock": clock.Clock,
        "FakeClock": clock.FakeClock,
        "SystemClock": clock.SystemClock,
        "Reduction": sync.Reduction,
        "reduce_sync": sync.reduce_sync,
    },
    "streamfold.framing": {
        "LineSplitter": framing.lines.LineSplitter,
        "SSESplitter": framing.sse.SSESplitter,
        "SSEEvent": framing.sse.SSEEvent,
        "OversizedLine": framing.lines.OversizedLine,
        "DEFAULT_MAX_LINE_BYTES": framing.lines.DEFAULT_MAX_LINE_BYTES,
    },
}


@pytest.mark.parametrize("path", sorted(MOVED))
def test_old_paths_name_the_same_objects(path: str) -> None:
    module = importlib.import_module(path)
    for name, obj in MOVED[path].items():
        assert getattr(module, name) is obj, name
        assert name in module.__all__


def test_old_recording_functions_behave_as_before() -> None:
    from streamfold.recording import detect_stream_framing, feed_frame

    assert detect_stream_framing(b"da") is None  # its default was final=False
    assert detect_stream_framing(b"da", final=True) == "ndjson"
    frames = framing.FrameSplitter("ndjson").feed(loom_bytes())
    old, new = Reducer(), Reducer()
    old_notes = [type(n) for f in frames for n in feed_frame(old, f)]
    assert old_notes == [type(n) for f in frames for n in new.feed_frame(f)]
    assert len(old_notes) > len(frames)
    assert model(old) == model(new)
