"""TanStack's ``ChunkRecording`` JSON document → frames: the one parser of it.

The document (docs/recording.md, "Reading other files") is ``{"version", "timestamp",
"chunks": [{"chunk", "timestamp", "index"}], …}``: one frame per chunk, in order, with ``t``
from the chunk timestamps (milliseconds, relative to the document's ``timestamp``, or to the
first chunk when that is later or missing). It is a container framing, not a wire format: the
chunks inside are AG-UI / TanStack events that the decoders read like any other frame.

A document must be read whole to be parsed; :class:`ChunkDocument` holds it, bounded by
``max_document_bytes``.
"""

from __future__ import annotations

import json
import math
from typing import Final, cast

import orjson

from .frame import Frame, RecordingProblem

__all__ = ["MAX_DOCUMENT_BYTES", "ChunkDocument", "read_chunk_recording"]

MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024
"""Default bound on a ChunkRecording JSON document (it must be read whole to be parsed)."""
_KEEP: Final = 4096  # bytes of an oversized document kept for its diagnostic
_PROBLEM_RAW: Final = 200


def read_chunk_recording(document: bytes) -> list[Frame]:
    """The frames of a whole ChunkRecording document.

    Each chunk that is an object becomes a frame carrying it parsed (``Frame.value``) and as
    JSON text; an entry without an object chunk becomes a frame of the entry's JSON text (the
    reducer reports it). A document that is not a recording is one frame of its raw bytes,
    which the reducer keeps as a dropped diagnostic: nothing is lost silently. A blank document
    has no frames.
    """
    if not document.strip():
        return []
    try:
        doc = orjson.loads(document)
    except orjson.JSONDecodeError:
        doc = None
    entries = doc.get("chunks") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        return [Frame(document)]
    assert isinstance(doc, dict)
    stamps = [_stamp(e.get("timestamp")) if isinstance(e, dict) else None for e in entries]
    known = [s for s in stamps if s is not None]
    base = _stamp(doc.get("timestamp"))
    if known and (base is None or base > known[0]):
        base = known[0]
    out: list[Frame] = []
    for entry, stamp in zip(entries, stamps, strict=True):
        t = None if stamp is None or base is None else (stamp - base) / 1000.0
        chunk = entry.get("chunk") if isinstance(entry, dict) else None
        if isinstance(chunk, dict):
            out.append(Frame(_json_text(chunk), t, value=chunk))
        else:
            out.append(Frame(_json_text(entry), t))
    return out


def _json_text(value: object) -> str:
    """``value`` as JSON text; past what orjson writes (nesting deeper than 254 levels) the
    standard library's, past its recursion limit the ``repr`` (the frame's raw text only)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        pass
    try:
        return json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError, TypeError):
        return repr(value)


def _stamp(value: object) -> float | None:
    if type(value) in (int, float) and math.isfinite(cast(float, value)):
        return float(cast(float, value))
    return None


class ChunkDocument:
    """Collects a ChunkRecording document fed in pieces, then parses it at :meth:`close`.

    Over ``max_document_bytes`` only the first bytes are kept: :meth:`close` then returns one
    oversized frame and a ``document_too_large`` problem instead of parsing.
    """

    __slots__ = ("_doc", "_size", "max_document_bytes")

    def __init__(self, max_document_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        self.max_document_bytes = max_document_bytes
        self._doc = bytearray()
        self._size = 0

    def feed(self, data: bytes) -> None:
        """Take the next piece of the document (beyond ``max_document_bytes``, only its start
        is kept)."""
        self._size += len(data)
        doc = self._doc
        if self._size <= self.max_document_bytes:
            doc += data
        elif len(doc) < _KEEP:  # over the bound at once: keep its start all the same
            doc += data[: _KEEP - len(doc)]
        else:
            del doc[_KEEP:]

    def close(self) -> tuple[list[Frame], RecordingProblem | None]:
        """The document's frames, and the problem when it was too large to parse."""
        document = bytes(self._doc)
        self._doc = bytearray()
        if self._size > self.max_document_bytes:
            problem = RecordingProblem(
                "document_too_large",
                f"ChunkRecording of {self._size} bytes exceeds max_document_bytes",
                None,
                _cut(document),
            )
            return [Frame(document[:_KEEP], oversized=self._size)], problem
        return read_chunk_recording(document), None


def _cut(raw: bytes) -> str:
    text = raw[:_PROBLEM_RAW].decode("utf-8", "replace")
    return text + "…" if len(raw) > _PROBLEM_RAW else text
