"""Which NNRP session a message belongs to, before any decoding (the ``session_key`` hook,
docs/write-a-format.md; used by ``export --log``, docs/batch.md): the common header's
``session_id`` (an ``ERROR``'s ``related_session_id``), normalised as the decoder names sessions
(``17``, ``"17"`` and ``"0x11"`` are one session). Stateless, O(1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["NnrpSessions", "nnrp_session"]


def nnrp_session(raw: Any) -> str:
    """An NNRP ``session_id`` as the decoder names sessions: zero-padded hex for a number,
    a non-numeric string as given, ``0x00000000`` when absent."""
    value: int | None = None
    if type(raw) is int:
        if raw < 0:
            return str(raw)
        value = raw
    elif type(raw) is str and raw:
        text = raw.strip()
        if text[:2] in ("0x", "0X"):
            try:
                value = int(text[2:], 16)
            except ValueError:
                return raw
        elif text.isdigit():
            value = int(text)
        else:
            return raw
    return f"0x{value or 0:08x}"


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
