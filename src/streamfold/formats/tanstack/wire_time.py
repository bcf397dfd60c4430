"""The sender's own time of a TanStack AI / AG-UI frame: its ``timestamp`` field.

AG-UI events carry ``timestamp``, milliseconds since the Unix epoch (``docs/agui.md``); TanStack
AI's server stamps every chunk with it (``docs/tanstack.md``). The reducer asks for it only where
it stamps a start or an end (``docs/transcript.md``, "Time"), never per text delta.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["frame_time"]

_EARLIEST: Final = 1.0e9
"""Seconds: 2001-09-09. Smaller values are not epoch milliseconds (a counter, seconds by
mistake) and are not used as times."""
_LATEST: Final = 1.0e11
"""Seconds: the year 5138. Larger values are not epoch milliseconds either."""


def frame_time(frame: Mapping[str, Any]) -> float | None:
    """The frame's ``timestamp`` in seconds since the Unix epoch, or ``None`` when it has none
    or it is not a plausible epoch time in milliseconds (a number, finite, between 2001 and
    5138). An NDJSON envelope's ``chunk`` is looked into."""
    value = frame.get("timestamp")
    if value is None:
        chunk = frame.get("chunk")
        if isinstance(chunk, Mapping):
            value = chunk.get("timestamp")
    if type(value) is not int and type(value) is not float:
        return None
    seconds = value / 1000.0
    # NaN fails both comparisons and an infinity the second: no isfinite() needed.
    return seconds if _EARLIEST <= seconds <= _LATEST else None
