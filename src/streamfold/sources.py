"""Folding whole inputs: byte iterables and recording files.

These are thin loops over :class:`~streamfold.reducer.Reducer`; everything they do can be done
by feeding the reducer directly. Three framings are understood:

* ``"ndjson"`` — one JSON object per line (Loom, TanStack ``toHttpStream``, NNRP dumps);
* ``"sse"`` — Server-Sent Events (``data:`` lines; TanStack ``toServerSentEventsResponse``);
* ``"chunk-recording"`` — TanStack's ``ChunkRecording`` JSON document
  (``{"version", "chunks": [{"chunk", "timestamp", "index"}], "result"}``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar

import orjson

from .errors import UsageError
from .model import Conversation
from .reducer import Reducer

__all__ = ["CHUNK_SIZE", "Framing", "detect_framing", "fold", "fold_file"]

CHUNK_SIZE = 64 * 1024

Framing = Literal["ndjson", "sse", "chunk-recording"]
_Frame = TypeVar("_Frame")  # what a splitter yields: a line or an SSE event (or OversizedLine)
_SSE_FIELDS = (b"data:", b"id:", b"event:", b"retry:", b":")


def detect_framing(head: bytes, name: str = "") -> Framing:
    """Guess the framing from a file's first bytes (and its name as a tie-breaker).

    SSE when the first non-blank line starts with an SSE field (``data:``, ``id:``, ``event:``,
    ``retry:``, or a ``:`` comment); a ChunkRecording when the text is a JSON object that begins
    with a ``"version"`` or ``"chunks"`` key; otherwise NDJSON.
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(_SSE_FIELDS) or name.endswith(".sse"):
        return "sse"
    if text.startswith(b"{"):
        first_line = text.split(b"\n", 1)[0].strip()
        whole_line_object = first_line.endswith(b"}")
        key = text[1:].lstrip()
        if (key.startswith((b'"version"', b'"chunks"')) and not whole_line_object) or (
            name.endswith(".json") and not whole_line_object
        ):
            return "chunk-recording"
        if whole_line_object and name.endswith(".json"):
            try:
                doc = orjson.loads(first_line)
            except orjson.JSONDecodeError:
                return "ndjson"
            if isinstance(doc, dict) and isinstance(doc.get("chunks"), list):
                return "chunk-recording"
    return "ndjson"


def fold(
    chunks: Iterable[bytes],
    reducer: Reducer | None = None,
    *,
    framing: Framing = "ndjson",
    **options: Any,
) -> Conversation:
    """Fold a byte stream given as chunks of any size and return the final model.

    ``options`` are :class:`Reducer` arguments (``format``, ``strict``, limits); pass a
    ``reducer`` instead to keep access to its counters (a partial frame it was already fed
    through ``feed_bytes`` / ``feed_sse`` is continued). Frames are applied as they are split,
    as ``feed_bytes`` / ``feed_sse`` would, and their notifications are dropped at once. The
    reducer is closed at the end, which ends runs that never received their terminal frame.
    Raises :class:`UsageError` for an unknown ``framing``.
    """
    reducer = reducer if reducer is not None else Reducer(**options)
    # Frame by frame through the reducer's own splitters (what feed_bytes / feed_sse do), so
    # that each frame's notifications, unused here, are dropped at once. feed_bytes would keep a
    # whole chunk's (~400 frames in 64 KiB) until it returns: they would survive young garbage
    # collections, be promoted and count towards CPython's trigger for full collections, which
    # doubled them on a 1M-frame file (docs/performance.md).
    if framing == "ndjson":
        _apply_each(reducer, chunks, reducer._splitter.feed, reducer.feed_framed)
    elif framing == "sse":
        _apply_each(reducer, chunks, reducer._sse.feed, reducer.feed_sse_event)
    elif framing == "chunk-recording":
        feed_chunk_recording(reducer, b"".join(chunks))
    else:
        raise UsageError(f"unknown framing {framing!r}")
    reducer.close()
    return reducer.conversation


def _apply_each(
    reducer: Reducer,
    chunks: Iterable[bytes],
    split: Callable[[bytes], list[_Frame]],
    apply: Callable[[_Frame], object],
) -> None:
    """Split every chunk and apply each frame at once, discarding its notifications."""
    reducer._check_usable()  # as feed_bytes / feed_sse do, before reading anything
    for chunk in chunks:
        for frame in split(chunk):
            apply(frame)


def feed_chunk_recording(reducer: Reducer, document: bytes) -> None:
    """Feed every chunk of a TanStack ``ChunkRecording`` JSON document, in order.

    A document that is not a recording is kept as one dropped frame (a ``not_a_recording``
    diagnostic), so nothing is lost silently.
    """
    try:
        doc = orjson.loads(document)
    except orjson.JSONDecodeError:
        doc = None
    entries = doc.get("chunks") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        reducer.feed_line(document)  # becomes a diagnostic with the raw text
        return
    for entry in entries:
        chunk = entry.get("chunk") if isinstance(entry, dict) else None
        if isinstance(chunk, dict):
            reducer.feed(chunk)
        else:
            reducer.feed_line(orjson.dumps(entry))


def fold_file(
    path: str | os.PathLike[str],
    reducer: Reducer | None = None,
    *,
    framing: Framing | Literal["recording"] | None = None,
    **options: Any,
) -> Conversation:
    """Fold a recording file and return the final model; the framing is detected when not
    given (:func:`streamfold.recording.detect_stream_framing`): NDJSON, SSE, a ChunkRecording or
    a streamfold recording (``"recording"``, docs/recording.md).

    Raises :class:`OSError` when the file cannot be read; the content itself never raises in
    lenient mode.
    """
    from .recording import detect_stream_framing, feed_frame, read_recording

    with open(path, "rb") as fh:
        head = fh.read(CHUNK_SIZE)
        detected = framing or detect_stream_framing(head, os.fspath(path), final=True)
        if detected in ("recording", "chunk-recording"):
            # A streamfold recording (docs/recording.md) or a ChunkRecording: frames with
            # arrival times, which become the model's times (docs/transcript.md, "Time").
            reducer = reducer if reducer is not None else Reducer(**options)
            fh.seek(0)
            for frame in read_recording(fh, framing=detected):
                feed_frame(reducer, frame)
            reducer.close()
            return reducer.conversation
        framing = detected or detect_framing(head, os.fspath(path))
        assert framing != "recording"  # read above
        rest = iter(lambda: fh.read(CHUNK_SIZE), b"")

        def chunks() -> Iterable[bytes]:
            yield head
            yield from rest

        return fold(chunks(), reducer, framing=framing, **options)
