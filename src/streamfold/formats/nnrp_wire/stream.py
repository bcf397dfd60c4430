"""The sans-IO entry for NNRP/1 byte streams: bytes in, reducer frames out.

>>> from streamfold.reducer import Reducer
>>> r, s = Reducer(format="nnrp-wire"), NnrpWireStream()
>>> notes = feed_wire(r, s, b"")  # feed bytes as they arrive, split anywhere
>>> notes = close_wire(r, s)      # at end of stream (reports a truncated last packet)

Each frame is ``{"nnrp_packet": Packet}`` or ``{"nnrp_wire_fault": WireFault}`` (see
:mod:`.packets`); the ``nnrp-wire`` decoder (:mod:`.decoder`) folds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from .packets import DEFAULT_MAX_PACKET_BYTES, Packet, PacketSplitter

__all__ = ["NnrpWireStream", "close_wire", "feed_wire", "read_packets", "wire_frames"]


class NnrpWireStream:
    """Split an NNRP/1 byte stream into reducer frames (``max_packet_bytes``: see
    :class:`~.packets.PacketSplitter`)."""

    def __init__(self, max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES) -> None:
        self.splitter = PacketSplitter(max_packet_bytes)

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Frames completed by ``data``."""
        return [_frame(item) for item in self.splitter.feed(data)]

    def close(self) -> list[dict[str, Any]]:
        """Frames at end of stream (a ``truncated_packet`` fault if the stream stopped inside
        a packet)."""
        return [_frame(item) for item in self.splitter.close()]


def _frame(item: object) -> dict[str, Any]:
    return {"nnrp_packet": item} if type(item) is Packet else {"nnrp_wire_fault": item}


class _Feeds(Protocol):
    def feed(
        self, frame: Any, *, raw: bytes | str | None = None, valid_text: bool = False
    ) -> list[Any]: ...


def feed_wire(reducer: _Feeds, stream: NnrpWireStream, data: bytes) -> list[Any]:
    """Feed a chunk of NNRP/1 bytes to ``reducer`` (a :class:`~streamfold.reducer.Reducer`
    with format ``"nnrp-wire"`` or detection on) and return its notifications."""
    notes: list[Any] = []
    for frame in stream.feed(data):
        notes += reducer.feed(frame, valid_text=True)  # decoded as UTF-8 or by orjson
    return notes


def close_wire(reducer: _Feeds, stream: NnrpWireStream) -> list[Any]:
    """End of the byte stream: feed what the splitter still holds (the reducer's own
    ``close()`` is still the caller's to call)."""
    notes: list[Any] = []
    for frame in stream.close():
        notes += reducer.feed(frame, valid_text=True)  # decoded as UTF-8 or by orjson
    return notes


def read_packets(
    chunks: Iterable[bytes], max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES
) -> list[Any]:
    """All packets and faults of a whole stream (for tools and tests)."""
    splitter = PacketSplitter(max_packet_bytes)
    out: list[Any] = []
    for chunk in chunks:
        out += splitter.feed(chunk)
    return out + splitter.close()


def wire_frames(
    chunks: Iterable[bytes], max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES
) -> list[dict[str, Any]]:
    """All reducer frames of a whole NNRP/1 byte stream (a ``.nnrp`` capture), for tools such
    as the command line; each frame's ``repr`` is its packet in hex (a diagnostic's raw text)."""
    stream = NnrpWireStream(max_packet_bytes)
    frames: list[dict[str, Any]] = []
    for chunk in chunks:
        frames += stream.feed(chunk)
    return frames + stream.close()
