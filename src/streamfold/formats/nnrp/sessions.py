"""Which NNRP session a message belongs to, before any decoding (the ``session_key`` hook,
docs/write-a-format.md; used by ``export --log``, docs/batch.md): the common header's
``session_id`` (an ``ERROR``'s ``related_session_id``), normalised as the decoder names sessions
(``17``, ``"17"`` and ``"0x11"`` are one session). Stateless, O(1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .wire import _norm_id

__all__ = ["NnrpSessions", "nnrp_session"]


def nnrp_session(raw: Any) -> str:
    """An NNRP ``session_id`` as the decoder names sessions (its own normalisation, shared):
    zero-padded hex for a number, a non-numeric string as given, ``0x00000000`` when absent."""
    return _norm_id(raw, 8) or "0x00000000"


class NnrpSessions:
    """NNRP's :meth:`session_key` (no state: every message names its session)."""

    def session_key(self, frame: Mapping[str, Any]) -> str:
        """The session of ``frame`` (a parsed NNRP message)."""
        header = frame.get("common_header")
        header = header if isinstance(header, Mapping) else {}
        kind = frame.get("message_type") or header.get("msg_type")
        if kind == "ERROR":
            meta = frame.get("fixed_metadata")
            related = meta.get("related_session_id") if isinstance(meta, Mapping) else None
            if related is not None and nnrp_session(related) != "0x00000000":
                return nnrp_session(related)
        return nnrp_session(header.get("session_id"))
