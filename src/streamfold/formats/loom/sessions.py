"""Which Loom session a frame of a log belongs to, before any decoding (the ``session_key``
hook, docs/write-a-format.md; used by ``export --log``, docs/batch.md).

The key is the envelope ``session_id``; a frame without one belongs to the Loom session seen
last. A reply line (``{"reply": …}``, ``run_end``) names the CLI *thread*, not the session
(docs/loom.md, A2), so it goes where the decoder sends it: the open session of that id, else the
open session whose last ``event_id`` is the reply's minus one (and same ``node_id``), else the
most recently active open session. O(1) per frame but for a reply line (O(open sessions)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["LoomSessions"]

_DEFAULT: Final = "default"


class _Open:
    __slots__ = ("activity", "last_event_id", "node_id")

    def __init__(self) -> None:
        self.last_event_id: int | None = None
        self.node_id: str | None = None
        self.activity = 0


class LoomSessions:
    """A log's Loom sessions, in log order (:meth:`session_key` per frame)."""

    def __init__(self) -> None:
        self._last: str | None = None
        self._open: dict[str, _Open] = {}
        self._activity = 0

    def session_key(self, frame: Mapping[str, Any]) -> str:
        """The session of ``frame`` (a parsed Loom frame, in log order)."""
        kind = frame.get("type")
        if kind == "run_stream_event":
            inner = frame.get("event")
            if isinstance(inner, Mapping):
                return self.session_key(inner)
        if (kind is None and "reply" in frame) or kind == "run_end":
            return self._reply(frame)
        session_id = frame.get("session_id")
        if type(session_id) is not str:
            session_id = self._last or _DEFAULT
        self._last = session_id
        state = self._open.get(session_id)
        if state is None:
            state = self._open[session_id] = _Open()
        event_id = frame.get("event_id")
        if type(event_id) is int:
            state.last_event_id = event_id
        node_id = frame.get("node_id")
        if type(node_id) is str and kind != "got_expand":
            state.node_id = node_id
        self._activity += 1
        state.activity = self._activity
        return session_id

    def _reply(self, frame: Mapping[str, Any]) -> str:
        named = frame.get("session_id")
        target: str | None = None
        if type(named) is str and named in self._open:
            target = named
        elif self._open:
            event_id = frame.get("event_id")
            node_id = frame.get("node_id")
            if type(event_id) is int:
                matches = [
                    sid
                    for sid, s in self._open.items()
                    if s.last_event_id == event_id - 1 and (node_id is None or s.node_id == node_id)
                ]
                if len(matches) == 1:
                    target = matches[0]
            if target is None:
                target = max(self._open, key=lambda sid: self._open[sid].activity)
        if target is None:  # a reply with no open run: a run of its own in the named session
            target = named if type(named) is str else (self._last or _DEFAULT)
            self._last = target
            return target
        del self._open[target]  # the reply ends the session's run
        return target
