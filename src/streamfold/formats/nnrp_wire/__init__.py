"""NNRP/1 on the wire: the binary packets an NNRP client receives (``docs/nnrp.md``, "The wire").

* :mod:`.packets`: the sans-IO packet splitter (bytes split anywhere → packets, with a maximum
  packet size);
* :mod:`.vocab`, :mod:`.meta`: message types, flags, enums, fixed-metadata layouts and typed
  bodies;
* :mod:`.decoder`: the ``nnrp-wire`` format (packets → canonical events, via the JSON-profile
  decoder :class:`streamfold.formats.nnrp.NnrpDecoder`);
* :mod:`.stream`: bytes → reducer frames, and the reducer glue.
"""

from .decoder import NnrpWireDecoder
from .packets import DEFAULT_MAX_PACKET_BYTES, Packet, PacketSplitter, WireFault
from .stream import NnrpWireStream, close_wire, feed_wire, read_packets, wire_frames

__all__ = [
    "DEFAULT_MAX_PACKET_BYTES",
    "NnrpWireDecoder",
    "NnrpWireStream",
    "Packet",
    "PacketSplitter",
    "WireFault",
    "close_wire",
    "feed_wire",
    "read_packets",
    "wire_frames",
]
