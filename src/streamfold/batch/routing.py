"""Which session a frame of a log belongs to: the session key, read from the wire keys.

``export --log`` folds each session of a log in a reducer of its own, so every frame is routed
to its session first (docs/batch.md "--log"). The key is ``"<format>:<session>"``:

* **Loom** — the envelope ``session_id``; a frame without one belongs to the Loom session seen
  last. A reply line (``{"reply": …}``, ``run_end``) names the CLI *thread*, not the session
  (docs/loom.md), so it goes where the Loom decoder sends it: the open session of that id, else
  the open session whose last ``event_id`` is the reply's minus one (and same ``node_id``), else
  the most recently active open session.
* **AG-UI / TanStack** — the ``threadId`` (the decoder's session). Frames that carry none
  follow their ``runId``, ``messageId``, ``toolCallId`` or ``parentMessageId`` to the thread
  they were first seen with, else the AG-UI thread seen last. Legacy TanStack chunks belong to
  session ``default``, as in the decoder.
* **NNRP** — the common header's ``session_id`` (``related_session_id`` of an ``ERROR``),
  normalised as the NNRP decoder does (``17``, ``"17"`` and ``"0x11"`` are one session).
* Frames that are not a JSON object (``data: [DONE]``, text, oversized lines) and frames of no
  known format go with the frame before them, as a reducer gives them to its current decoder.

Routing is a sequential state machine over the log, O(1) per frame (bounded id maps). It reads
the same wire keys the decoders read; it belongs in each format as a declared hook
(``session_key(frame)``) once the formats have one.

Limits (docs/batch.md): AG-UI frames of concurrent runs of *different* threads interleaved
frame by frame cannot be told apart (the wire does not say whose a message is) and follow the
last thread; a connection-scoped NNRP ``ERROR`` (session 0) ends only session 0's operations.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

import orjson

from ..formats import detect_format
from .frames import Frame

__all__ = ["DEFAULT_KEY", "PENDING", "SessionRouter", "nnrp_session"]

DEFAULT_KEY: Final = "default"
"""The key of frames that come before any session (and of frames of no known format then)."""
PENDING: Final = ""
"""Returned for an AG-UI frame that comes before any AG-UI thread is known (``CUSTOM
run.accepted`` of a durable stream): it belongs to the thread of the next AG-UI frame that names
one (:meth:`SessionRouter.pending_key`), as the decoder holds it for the first run."""
_ID_MAP_LIMIT: Final = 100_000  # ids remembered per map (AG-UI); the oldest are forgotten
_LOOM_WRAPPERS: Final = frozenset({"run_stream_event", "run_end"})


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


class _Bounded(OrderedDict[str, str]):
    def remember(self, key: str, value: str) -> None:
        self[key] = value
        if len(self) > _ID_MAP_LIMIT:
            self.popitem(last=False)


class _LoomSession:
    __slots__ = ("activity", "last_event_id", "node_id")

    def __init__(self) -> None:
        self.last_event_id: int | None = None
        self.node_id: str | None = None
        self.activity = 0


class SessionRouter:
    """Gives each frame of a log its session key (:meth:`key`), in log order."""

    def __init__(self) -> None:
        self._last = DEFAULT_KEY  # the key of the frame before
        self._loom_last: str | None = None
        self._loom_open: dict[str, _LoomSession] = {}
        self._activity = 0
        self._agui_last: str | None = None
        self._agui_ids = _Bounded()

    def key(self, frame: Frame) -> str:
        """The session key of ``frame``."""
        value = frame.value if frame.value is not None else _parse(frame)
        if value is None:
            return self._last
        fmt = detect_format(value)
        if fmt == "loom":
            key = "loom:" + self._loom(value)
        elif fmt == "tanstack":
            thread = self._agui(value)
            if thread is PENDING:
                return PENDING
            key = "tanstack:" + thread
        elif fmt == "nnrp":
            key = "nnrp:" + self._nnrp(value)
        else:
            return self._last
        self._last = key
        return key

    def pending_key(self, *, final: bool = False) -> str | None:
        """The key of the frames :meth:`key` answered :data:`PENDING` for, once known: the first
        AG-UI thread (``None`` while still unknown; ``tanstack:default`` when ``final``)."""
        if self._agui_last is not None:
            return "tanstack:" + self._agui_last
        if final:
            self._agui_last = DEFAULT_KEY
            return "tanstack:" + DEFAULT_KEY
        return None

    # -- Loom

    def _loom(self, frame: Mapping[str, Any]) -> str:
        kind = frame.get("type")
        if kind == "run_stream_event":
            inner = frame.get("event")
            if isinstance(inner, Mapping):
                return self._loom(inner)
        if (kind is None and "reply" in frame) or kind == "run_end":
            return self._loom_reply(frame)
        session_id = frame.get("session_id")
        if type(session_id) is not str:
            session_id = self._loom_last or DEFAULT_KEY
        self._loom_last = session_id
        state = self._loom_open.get(session_id)
        if state is None:
            state = self._loom_open[session_id] = _LoomSession()
        event_id = frame.get("event_id")
        if type(event_id) is int:
            state.last_event_id = event_id
        node_id = frame.get("node_id")
        if type(node_id) is str and kind != "got_expand":
            state.node_id = node_id
        self._activity += 1
        state.activity = self._activity
        return session_id

    def _loom_reply(self, frame: Mapping[str, Any]) -> str:
        named = frame.get("session_id")
        target: str | None = None
        if type(named) is str and named in self._loom_open:
            target = named
        elif self._loom_open:
            event_id = frame.get("event_id")
            node_id = frame.get("node_id")
            if type(event_id) is int:
                matches = [
                    sid
                    for sid, s in self._loom_open.items()
                    if s.last_event_id == event_id - 1 and (node_id is None or s.node_id == node_id)
                ]
                if len(matches) == 1:
                    target = matches[0]
            if target is None:
                target = max(self._loom_open, key=lambda sid: self._loom_open[sid].activity)
        if target is None:  # a reply with no open run: a run of its own in the named session
            target = named if type(named) is str else (self._loom_last or DEFAULT_KEY)
            self._loom_last = target
            return target
        del self._loom_open[target]  # the reply ends the session's run
        return target

    # -- AG-UI / TanStack

    def _agui(self, frame: Mapping[str, Any]) -> str:
        if frame.get("type") is None and isinstance(frame.get("chunk"), Mapping):
            frame = frame["chunk"]  # the durable NDJSON envelope {"id", "chunk"}
        kind = frame.get("type")
        if not (type(kind) is str and kind[:1].isupper()):
            return DEFAULT_KEY  # a legacy chunk: session "default" in the decoder
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
                thread = self._agui_ids.get(id_)
                if thread is not None:
                    break
            else:
                if self._agui_last is None:
                    return PENDING
                thread = self._agui_last
        for id_ in ids:
            if id_ not in self._agui_ids:
                self._agui_ids.remember(id_, thread)
        self._agui_last = thread
        return thread

    # -- NNRP

    def _nnrp(self, frame: Mapping[str, Any]) -> str:
        header = frame.get("common_header")
        header = header if isinstance(header, Mapping) else {}
        kind = frame.get("message_type") or header.get("msg_type")
        if kind == "ERROR":
            meta = frame.get("fixed_metadata")
            related = meta.get("related_session_id") if isinstance(meta, Mapping) else None
            if related is not None and nnrp_session(related) != "0x00000000":
                return nnrp_session(related)
        return nnrp_session(header.get("session_id"))


def _str(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _parse(frame: Frame) -> Mapping[str, Any] | None:
    """The frame's JSON object, or ``None``; text before the first ``{`` is skipped, as the
    reducer does (Loom REPL prompts)."""
    if frame.oversized is not None:
        return None
    data = frame.data
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        brace = text.find("{")
        if brace <= 0:
            return None
        try:
            value = orjson.loads(text[brace:])
        except orjson.JSONDecodeError:
            return None
    return value if type(value) is dict else None
