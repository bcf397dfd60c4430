"""The one place that decides how a byte stream is cut into frames (its *framing*).

Every intake asks this module: :class:`~streamfold.framing.frames.FrameSplitter`, the sync and
async reductions (``streamfold.io``, ``streamfold.aio``), ``fold_file`` and the CLI. The
vocabulary is :data:`Framing`:

* ``"ndjson"`` — one JSON object per line (Loom, TanStack ``toHttpStream``, NNRP dumps);
* ``"sse"`` — Server-Sent Events (TanStack ``toServerSentEventsResponse``);
* ``"chunk-recording"`` — TanStack's ``ChunkRecording`` JSON document;
* ``"recording"`` — a streamfold recording, frames with arrival times (docs/recording.md).

The rules (docs/recording.md, "Reading other files"): a first line that is a recording header
→ ``"recording"``; SSE field names (``data:``, ``id:``, ``event:``, ``retry:``, ``:``) or a
``.sse`` name → ``"sse"``; a JSON object with a ``chunks`` list (or ``"version"`` / ``"chunks"``
first, or a ``.json`` name) → ``"chunk-recording"``; anything else → ``"ndjson"``. On a live
stream detection waits until the first line is complete (two lines for a pretty-printed
document), at most :data:`DETECT_LIMIT` bytes, and never guesses early: every prefix of a
stream either says "need more" (``None``) or gives the final answer.
"""

from __future__ import annotations

from typing import Final, Literal, TypeGuard, get_args, overload

import orjson

from ..errors import UsageError

__all__ = [
    "DETECT_LIMIT",
    "FRAMINGS",
    "HEADER_KEY",
    "Framing",
    "FramingDetector",
    "WireFraming",
    "check_framing",
    "detect_framing",
    "is_framing",
    "worth_detecting",
]

Framing = Literal["ndjson", "sse", "chunk-recording", "recording"]
"""How a byte stream is cut into frames."""
WireFraming = Literal["ndjson", "sse"]
"""The framings a sender streams (the other two are files that hold such frames)."""
FRAMINGS: Final[tuple[Framing, ...]] = get_args(Framing)
"""Every framing, in the order the docs list them."""
HEADER_KEY: Final = "streamfold_recording"
"""The key that marks a streamfold recording's header line (its value is the format version)."""
DETECT_LIMIT: Final = 64 * 1024
"""Detection decides at the latest after this many bytes."""

_SSE_FIELDS: Final = (b"data:", b"id:", b"event:", b"retry:", b":")
_BLANK: Final = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 BOM and whitespace before the first frame


def is_framing(value: object) -> TypeGuard[Framing]:
    """Whether ``value`` is one of :data:`FRAMINGS`."""
    return value in FRAMINGS


def check_framing(value: object) -> Framing:
    """``value`` as a :data:`Framing`; raises :class:`UsageError` for anything else."""
    if not is_framing(value):
        raise UsageError(f"unknown framing {value!r} (one of {', '.join(FRAMINGS)})")
    return value


@overload
def detect_framing(head: bytes, name: str = "", *, final: Literal[True] = True) -> Framing: ...


@overload
def detect_framing(head: bytes, name: str = "", *, final: bool) -> Framing | None: ...


def detect_framing(head: bytes, name: str = "", *, final: bool = True) -> Framing | None:
    """The framing of a stream from its first bytes ``head`` (``name``, a file name, is a hint).

    With ``final=True`` (the default: ``head`` is all there is, or all the caller will look at)
    the answer is always a framing. With ``final=False`` (a live stream) it is ``None`` while
    more bytes could change it: until the first non-blank line is complete (two lines when the
    first is a lone ``{`` or ``[``, as in a pretty-printed ChunkRecording) and fewer than
    :data:`DETECT_LIMIT` bytes arrived; an SSE field decides at once.
    """
    text = head.lstrip(_BLANK)
    decided = final or len(head) >= DETECT_LIMIT
    if not text:
        if not decided:
            return None
        return "sse" if name.endswith(".sse") else "ndjson"
    if text.startswith(_SSE_FIELDS):
        return "sse"
    lines = text.split(b"\n", 2)
    if not decided and (len(lines) < 2 or (lines[0].strip() in (b"{", b"[") and len(lines) < 3)):
        return None
    first = lines[0].strip()
    whole_line_object = first.startswith(b"{") and first.endswith(b"}")
    if whole_line_object:
        try:
            doc = orjson.loads(first)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            if HEADER_KEY in doc:
                return "recording"
            if isinstance(doc.get("chunks"), list) and (
                "type" not in doc or name.endswith(".json")
            ):
                return "chunk-recording"
    if name.endswith(".sse"):
        return "sse"
    if text.startswith(b"{") and not whole_line_object:
        key = text[1:].lstrip()
        if key.startswith((b'"version"', b'"chunks"')) or name.endswith(".json"):
            return "chunk-recording"
    return "ndjson"


def worth_detecting(head: bytes | bytearray, new: bytes) -> bool:
    """Whether :func:`detect_framing` can decide differently now that ``new`` arrived (a line
    ended, the head is still short, or it reached the limit): asking only then keeps detection
    linear however small the chunks."""
    return b"\n" in new or len(head) <= 16 or len(head) >= DETECT_LIMIT


class FramingDetector:
    """Holds a live stream's first bytes until :func:`detect_framing` decides.

    ``feed(data)`` returns the framing once it is known (then :meth:`take` hands the held bytes
    back, to be split from the start), ``None`` while more bytes are needed; ``close()`` decides
    with what arrived (the stream ended). Bounded: it holds at most :data:`DETECT_LIMIT` bytes
    plus one chunk.
    """

    __slots__ = ("_head", "name")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._head = bytearray()

    def feed(self, data: bytes) -> Framing | None:
        """Hold ``data``; the framing once :func:`detect_framing` decides, else ``None``."""
        head = self._head
        head += data
        if not worth_detecting(head, data):
            return None
        return detect_framing(bytes(head), self.name, final=False)

    def close(self) -> Framing:
        """The stream ended: decide with the bytes held (never ``None``)."""
        return detect_framing(bytes(self._head), self.name)

    def take(self) -> bytes:
        """The bytes held so far (and forget them)."""
        head = bytes(self._head)
        self._head.clear()
        return head
