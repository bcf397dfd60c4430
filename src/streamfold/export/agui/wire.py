"""The AG-UI wire: an event is a dict in wire shape (camelCase keys, ``"type"`` first), written
as an SSE frame or an NDJSON line (docs/agui-out.md)."""

from __future__ import annotations

from typing import Any, Final

import orjson

from ...model.text import dumps

__all__ = ["AGUI_TARGETS", "Event", "ndjson_line", "sse_frame"]

AGUI_TARGETS: Final = ("agui-sse", "agui-ndjson")
"""Targets of :func:`~streamfold.export.agui.convert_to_agui` (``streamfold convert FILE --to
agui-sse``)."""

Event = dict[str, Any]
"""One AG-UI event in wire shape."""


def _json_safe(value: Any) -> Any:
    """``value`` as plain JSON data (a deep copy; anything orjson cannot write becomes text)."""
    try:
        return orjson.loads(dumps(value, default=str))
    except (TypeError, orjson.JSONEncodeError):
        return str(value)


def sse_frame(event: Event) -> str:
    """One event as an SSE frame (``data: <json>\\n\\n``). Stream text is JSON-escaped, so no
    line break of it can end the frame early."""
    return "data: " + dumps(event).decode() + "\n\n"


def ndjson_line(event: Event) -> str:
    """One event as an NDJSON line."""
    return dumps(event).decode() + "\n"
