"""Which AG-UI thread a TanStack / AG-UI frame belongs to, before any decoding (the
``session_key`` hook, docs/write-a-format.md; used by ``export --log``, docs/batch.md).

The key is the ``threadId`` (the decoder's session). Frames that carry none follow their
``runId``, ``messageId``, ``toolCallId`` or ``parentMessageId`` to the thread they were first
seen with, else the AG-UI thread seen last; before any thread is known the answer is ``None``
(pending: the frame belongs to the next thread named, as the decoder holds such frames for the
first run). Legacy TanStack chunks belong to session ``default``, as in the decoder. O(1) per
frame; at most 100,000 ids are remembered (the oldest forgotten first).

Limit (docs/batch.md): frames of concurrent runs of *different* threads interleaved frame by
frame cannot be told apart (the wire does not say whose a message is) and follow the last thread.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["AguiSessions"]

_DEFAULT: Final = "default"
_ID_MAP_LIMIT: Final = 100_000


class AguiSessions:
    """A log's AG-UI threads, in log order (:meth:`session_key` per frame)."""

    def __init__(self) -> None:
        self._last: str | None = None
        self._ids: OrderedDict[str, str] = OrderedDict()

    def session_key(self, frame: Mapping[str, Any]) -> str | None:
        """The thread of ``frame`` (a parsed AG-UI event or legacy chunk), or ``None`` while no
        thread is known yet (pending)."""
        if frame.get("type") is None and isinstance(frame.get("chunk"), Mapping):
            frame = frame["chunk"]  # the durable NDJSON envelope {"id", "chunk"}
        kind = frame.get("type")
        if not (type(kind) is str and kind[:1].isupper()):
            return _DEFAULT  # a legacy chunk: session "default" in the decoder
        meta = frame.get("metadata")
        extras = meta.get("tanstack") if isinstance(meta, Mapping) else None
        if not isinstance(extras, Mapping):
            extras = {}
        thread = _str(frame.get("threadId")) or _str(extras.get("threadId"))
        run = _str(frame.get("runId")) or _str(extras.get("runId"))
        ids = [
            f"{field}:{value}"
            for field in ("messageId", "toolCallId", "parentMessageId")
            if (value := _str(frame.get(field))) is not None
        ]
        if run is not None:
            ids.append(f"runId:{run}")
        if thread is None:
            for id_ in ids:
                thread = self._ids.get(id_)
                if thread is not None:
                    break
            else:
                if self._last is None:
                    return None
                thread = self._last
        for id_ in ids:
            if id_ not in self._ids:
                self._ids[id_] = thread
                if len(self._ids) > _ID_MAP_LIMIT:
                    self._ids.popitem(last=False)
        self._last = thread
        return thread


def _str(value: Any) -> str | None:
    return value if type(value) is str and value else None
