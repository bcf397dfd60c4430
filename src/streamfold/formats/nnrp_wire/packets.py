"""Sans-IO NNRP/1 packet splitter: a byte stream split anywhere → whole packets.

A packet is a 40-byte common header, ``meta_len`` bytes of fixed metadata and ``body_len``
bytes of body; every integer is little-endian and there is no padding (``docs/nnrp.md``,
"The wire"). On TCP, QUIC streams and IPC packets are simply concatenated, so the header is
the framing; on WebSocket each message is one packet (feed each message whole, or through
:meth:`PacketSplitter.feed` all the same).

The splitter never raises on what a sender can send. What it cannot take as a packet comes
out as a :class:`WireFault` carrying the bytes concerned (up to ``keep`` of them):

* ``bad_magic``: bytes that do not start with ``NNRP``. The splitter resynchronises at the
  next ``NNRP`` in the stream (a heuristic: a byte stream has no other sync mark).
* ``bad_header_len``: ``header_len`` is not 40 (the packet's length can't be trusted either):
  skipped like bad magic.
* ``packet_too_large``: ``40 + meta_len + body_len`` exceeds ``max_packet_bytes`` (default
  64 MiB, the runtime's default limit). The declared bytes are skipped *without buffering*
  them, and the splitter is in step again after them.
* ``truncated_packet`` (from :meth:`PacketSplitter.close`): the stream ended inside a packet.

Version and wire-format checks belong to the decoder (:mod:`.decoder`), which knows whether
it is strict. Memory: at most one packet (≤ ``max_packet_bytes``) is buffered; per feed the
work is proportional to the bytes fed.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = [
    "DEFAULT_MAX_PACKET_BYTES",
    "HEADER_LEN",
    "MAGIC",
    "Packet",
    "PacketSplitter",
    "WireFault",
]

MAGIC: Final = b"NNRP"
HEADER_LEN: Final = 40
DEFAULT_MAX_PACKET_BYTES: Final = 64 << 20
"""64 MiB: the runtime's default maximum frame size."""

_HEADER: Final = struct.Struct("<4sBBBBIIIIIHHQ")


class Packet:
    """One NNRP/1 packet: the common header's fields, the raw metadata and body.

    Attributes (header offsets in brackets): ``version_major`` u8 [4], ``wire_format`` u8
    [5], ``msg_type`` u8 [6], ``header_len`` u8 [7], ``flags`` u32 [8], ``session_id`` u32
    [20], ``frame_id`` u32 [24], ``view_id`` u16 [28], ``route_id`` u16 [30], ``trace_id``
    u64 [32]; ``meta`` and ``body`` are bytes (``meta_len`` [12] and ``body_len`` [16] are
    their lengths). ``offset`` is the packet's byte offset in the stream.
    """

    __slots__ = (
        "body",
        "flags",
        "frame_id",
        "header_len",
        "meta",
        "msg_type",
        "offset",
        "route_id",
        "session_id",
        "trace_id",
        "version_major",
        "view_id",
        "wire_format",
    )

    def __init__(
        self,
        version_major: int,
        wire_format: int,
        msg_type: int,
        flags: int,
        session_id: int,
        frame_id: int,
        view_id: int,
        route_id: int,
        trace_id: int,
        meta: bytes,
        body: bytes,
        *,
        header_len: int = HEADER_LEN,
        offset: int = 0,
    ) -> None:
        self.version_major = version_major
        self.wire_format = wire_format
        self.msg_type = msg_type
        self.header_len = header_len
        self.flags = flags
        self.session_id = session_id
        self.frame_id = frame_id
        self.view_id = view_id
        self.route_id = route_id
        self.trace_id = trace_id
        self.meta = meta
        self.body = body
        self.offset = offset

    @classmethod
    def parse(cls, data: bytes, offset: int = 0) -> Packet:
        """One whole packet from ``data`` (exactly one packet's bytes). Raises ``ValueError``
        when the bytes are not one well-framed packet."""
        if len(data) < HEADER_LEN:
            raise ValueError(f"{len(data)} bytes is shorter than the 40-byte header")
        magic, ver, wf, mt, hl, flags, ml, bl, sid, fid, vid, rid, tid = _HEADER.unpack_from(data)
        if magic != MAGIC or hl != HEADER_LEN:
            raise ValueError("not an NNRP/1 header (magic or header_len)")
        if len(data) != HEADER_LEN + ml + bl:
            raise ValueError(f"packet is {len(data)} bytes, header says {HEADER_LEN + ml + bl}")
        return cls(
            ver,
            wf,
            mt,
            flags,
            sid,
            fid,
            vid,
            rid,
            tid,
            data[HEADER_LEN : HEADER_LEN + ml],
            data[HEADER_LEN + ml :],
            header_len=hl,
            offset=offset,
        )

    def pack(self) -> bytes:
        """The packet's bytes (header rebuilt from the fields)."""
        return (
            _HEADER.pack(
                MAGIC,
                self.version_major,
                self.wire_format,
                self.msg_type,
                self.header_len,
                self.flags,
                len(self.meta),
                len(self.body),
                self.session_id,
                self.frame_id,
                self.view_id,
                self.route_id,
                self.trace_id,
            )
            + self.meta
            + self.body
        )

    def __len__(self) -> int:
        return HEADER_LEN + len(self.meta) + len(self.body)

    def __repr__(self) -> str:
        # Diagnostics keep a frame's raw text: the packet in hex, bounded.
        data = self.pack()
        text = data[:2048].hex()
        more = f"…(+{len(data) - 2048} bytes)" if len(data) > 2048 else ""
        return f"<NNRP packet at {self.offset}: {text}{more}>"


class WireFault:
    """Bytes the splitter could not take as a packet: ``code`` (``bad_magic``,
    ``bad_header_len``, ``packet_too_large``, ``truncated_packet``), a ``message``, the stream
    ``offset``, the ``size`` of the bytes concerned and their first bytes in ``head``."""

    __slots__ = ("code", "head", "message", "offset", "size")

    def __init__(self, code: str, message: str, offset: int, size: int, head: bytes) -> None:
        self.code = code
        self.message = message
        self.offset = offset
        self.size = size
        self.head = head

    def __repr__(self) -> str:
        return f"<NNRP {self.code} at {self.offset}, {self.size} bytes: {self.head.hex()}>"


class PacketSplitter:
    """Split an NNRP/1 byte stream, fed in chunks split anywhere, into packets.

    >>> s = PacketSplitter()
    >>> data = Packet(1, 0, 0x20, 0, 7, 0, 0, 0, 0, b"", b"").pack()
    >>> [type(p).__name__ for p in s.feed(data[:13])], [p.msg_type for p in s.feed(data[13:])]
    ([], [32])

    Parameters:
        max_packet_bytes: the largest packet (header + metadata + body) taken; larger ones
            are skipped and reported (``packet_too_large``). Must be >= 40.
        keep: how many bytes of a fault are kept in :attr:`WireFault.head`.
    """

    def __init__(self, max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES, *, keep: int = 256):
        if max_packet_bytes < HEADER_LEN:
            raise ValueError("max_packet_bytes must be >= 40")
        self.max_packet_bytes = max_packet_bytes
        self.keep = keep
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]
        self._skip = 0  # bytes of an oversized packet still to skip
        self._skip_fault: WireFault | None = None

    @property
    def offset(self) -> int:
        """Bytes consumed so far (the stream offset of the next unconsumed byte)."""
        return self._offset + len(self._buf)

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a packet."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Packet | WireFault]:
        """Packets completed by ``data`` (and faults found), in stream order."""
        out: list[Packet | WireFault] = []
        if not isinstance(data, bytes | bytearray):
            data = bytes(data)
        if self._skip:
            n = min(self._skip, len(data))
            self._skip -= n
            self._offset += n
            data = data[n:]
            if self._skip:
                return out
        buf = self._buf
        if not buf and len(data) >= HEADER_LEN:
            # Fast path: parse straight from the fed bytes, buffer only the tail.
            view = memoryview(data)
            pos = self._split(view, 0, out)
            if pos < len(data):
                buf += view[pos:]
            self._offset += pos
            return out
        buf += data
        pos = self._split(memoryview(buf), 0, out)
        if pos:
            del buf[:pos]
            self._offset += pos
        return out

    def _split(self, view: memoryview, pos: int, out: list[Packet | WireFault]) -> int:
        """Take whole packets from ``view`` starting at ``pos``; returns the first unconsumed
        position. Oversized packets set up a skip past the end of ``view``."""
        end = len(view)
        unpack = _HEADER.unpack_from
        base = self._offset
        limit = self.max_packet_bytes
        while end - pos >= HEADER_LEN:
            magic, ver, wf, mt, hl, flags, ml, bl, sid, fid, vid, rid, tid = unpack(view, pos)
            if magic != MAGIC or hl != HEADER_LEN:
                pos = self._resync(
                    view, pos, out, "bad_magic" if magic != MAGIC else "bad_header_len"
                )
                continue
            total = HEADER_LEN + ml + bl
            if total > limit:
                fault = WireFault(
                    "packet_too_large",
                    f"{MAGIC.decode()} packet of {total} bytes exceeds max_packet_bytes "
                    f"({limit}); skipped",
                    base + pos,
                    total,
                    bytes(view[pos : pos + min(self.keep, HEADER_LEN)]),
                )
                out.append(fault)
                have = end - pos
                if have >= total:
                    pos += total
                    continue
                self._skip = total - have
                return end
            if end - pos < total:
                break
            meta_end = pos + HEADER_LEN + ml
            out.append(
                Packet(
                    ver,
                    wf,
                    mt,
                    flags,
                    sid,
                    fid,
                    vid,
                    rid,
                    tid,
                    bytes(view[pos + HEADER_LEN : meta_end]),
                    bytes(view[meta_end : pos + total]),
                    offset=base + pos,
                )
            )
            pos += total
        return pos

    def _resync(self, view: memoryview, pos: int, out: list[Packet | WireFault], code: str) -> int:
        """Skip to the next ``NNRP`` after ``pos`` (or to the last 3 bytes, which may start
        one); report the skipped bytes."""
        data = view.obj
        assert isinstance(data, bytes | bytearray)  # feed() views only these, from offset 0
        nxt = data.find(MAGIC, pos + 1)
        if nxt < 0:
            nxt = max(pos + 1, len(view) - (len(MAGIC) - 1))
        what = "does not start with NNRP" if code == "bad_magic" else "has header_len != 40"
        out.append(
            WireFault(
                code,
                f"{nxt - pos} bytes skipped: the data at this offset {what}; resynchronised at "
                "the next NNRP magic",
                self._offset + pos,
                nxt - pos,
                bytes(view[pos : pos + min(self.keep, nxt - pos)]),
            )
        )
        return nxt

    def close(self) -> list[Packet | WireFault]:
        """End of stream: a partial packet left over is a ``truncated_packet`` fault."""
        out: list[Packet | WireFault] = []
        if self._buf:
            out.append(
                WireFault(
                    "truncated_packet",
                    f"stream ended {len(self._buf)} bytes into a packet",
                    self._offset,
                    len(self._buf),
                    bytes(self._buf[: self.keep]),
                )
            )
            self._offset += len(self._buf)
            self._buf.clear()
        if self._skip:
            self._skip = 0
        return out
