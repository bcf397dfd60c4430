"""Which session a frame of a log belongs to: the session key, read from the wire.

``export --log`` folds each session of a log in a reducer of its own, so every frame is routed
to its session first (docs/batch.md "--log"). The key is ``"<format>:<session>"``: the format
that detects the frame, and the session its decoder's ``session_keys()`` hook names
(docs/write-a-format.md, "Hooks"): Loom's envelope session with reply lines routed as the
decoder routes them (:mod:`streamfold.formats.loom.sessions`), AG-UI's thread
(:mod:`streamfold.formats.tanstack.sessions`), NNRP's normalised session
(:mod:`streamfold.formats.nnrp.sessions`). Frames that are not a JSON object (``data:
[DONE]``, text, oversized lines), frames of no known format and frames of a format without the
hook go with the frame before them, as a reducer gives them to its current decoder. A frame
whose format says "the next session I name" (AG-UI's ``CUSTOM`` before the first run) is
:data:`PENDING` until that session is known (:meth:`SessionRouter.pending_key`).

Routing is a sequential state machine over the log, O(1) per frame (each format's keyer bounds
its own maps). Limits (docs/batch.md): AG-UI frames of concurrent runs of *different* threads
interleaved frame by frame cannot be told apart and follow the last thread; a
connection-scoped NNRP ``ERROR`` (session 0) ends only session 0's operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from ..formats import FORMATS, SessionKeys, detect_format
from ..formats.nnrp.sessions import nnrp_session
from .frames import Frame

__all__ = ["DEFAULT_KEY", "PENDING", "SessionRouter", "nnrp_session"]

DEFAULT_KEY: Final = "default"
"""The key of frames that come before any session (and of frames of no known format then)."""
PENDING: Final = ""
"""Returned for a frame that belongs to the next session its format names (an AG-UI frame before
any AG-UI thread is known, a durable stream's ``CUSTOM run.accepted``):
:meth:`SessionRouter.pending_key` gives that session once known."""


class SessionRouter:
    """Gives each frame of a log its session key (:meth:`key`), in log order."""

    def __init__(self) -> None:
        self._last = DEFAULT_KEY  # the key of the frame before
        self._keyers: dict[str, SessionKeys | None] = {}  # format → its keyer (None: no hook)
        self._pending_format: str | None = None  # the format of the PENDING frames
        self._named: dict[str, str] = {}  # format → the last session it named

    def key(self, frame: Frame) -> str:
        """The session key of ``frame``."""
        value = frame.value if frame.value is not None else _parse(frame)
        if value is None:
            return self._last
        fmt = detect_format(value)
        keyer = self._keyer(fmt) if fmt is not None else None
        if keyer is None:
            return self._last
        assert fmt is not None
        session = keyer.session_key(value)
        if session is None:
            self._pending_format = fmt
            return PENDING
        self._named[fmt] = session
        key = self._last = f"{fmt}:{session}"
        return key

    def pending_key(self, *, final: bool = False) -> str | None:
        """The key of the frames :meth:`key` answered :data:`PENDING` for, once known: the
        session their format named since (``None`` while still unknown; the format's
        ``default`` session when ``final``)."""
        fmt = self._pending_format
        if fmt is None:
            return f"tanstack:{DEFAULT_KEY}" if final else None
        session = self._named.get(fmt)
        if session is None:
            if not final:
                return None
            session = self._named[fmt] = DEFAULT_KEY
        return f"{fmt}:{session}"

    def _keyer(self, fmt: str) -> SessionKeys | None:
        if fmt not in self._keyers:
            hook = getattr(FORMATS[fmt], "session_keys", None)
            self._keyers[fmt] = hook() if hook is not None else None
        return self._keyers[fmt]


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
