"""Wire formats: one module per format, each a :class:`Decoder` from JSON frames to canonical
events (:mod:`streamfold.events`).

A decoder says what a frame means and keeps only the state it needs to say it (open runs per
session, span stacks, id maps); it never touches the model. Per frame its work is proportional to
the frame. ``detect(frame)`` lets the reducer pick a decoder per frame when the caller did not
name a format.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from ..errors import UsageError
from ..events import Event

__all__ = ["FORMATS", "CursorCodec", "Decoder", "cursor_codec", "detect_format", "make_decoder"]


class Decoder(Protocol):
    """The interface every format module implements (see :mod:`streamfold.formats.loom`)."""

    name: ClassVar[str]

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> bool:
        """Whether ``frame`` (a parsed JSON object) is in this format. Cheap: a few key lookups."""
        ...

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame. Must not raise on anything a sender can send: bad
        fields become :class:`~streamfold.events.Diagnose` events."""
        ...

    def finish(self) -> list[Event]:
        """Events at end of input (e.g. end runs that never received their terminal frame)."""
        ...

    cursor_module: ClassVar[str | None]
    """Resume hook (docs/snapshot.md): the module that owns this decoder's snapshot cursor, a
    :class:`CursorCodec` (``None``: the decoder cannot be snapshotted)."""


class CursorCodec(Protocol):
    """What a decoder's cursor module provides (``formats/<name>/cursor.py``): the decoder's
    state as an attrs class of plain values, with its own version (docs/snapshot.md)."""

    VERSION: int
    """Bumped when a cursor of the previous version would resume differently."""
    DECODER: type[Any]
    """The decoder class the cursor belongs to (only that exact class is snapshotted)."""
    CURSOR: type[Any]
    """The attrs class of the cursor (structured by the snapshot's converter)."""

    def save(self, decoder: Any) -> Any:
        """The decoder's state between two frames, as a ``CURSOR``."""
        ...

    def load(self, cursor: Any) -> Decoder:
        """A decoder in the state ``cursor`` describes. Raises
        :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
        ...


# A decoder may also define ``stream_done(frame_index) -> list[Event]``: called when an SSE
# stream sends ``data: [DONE]`` (see Reducer.feed_sse).


FORMATS: dict[str, str] = {
    # TanStack first: Loom also has a "tool_call" type and would claim TanStack's legacy
    # tool_call chunks; TanStack's detect only takes a tool_call with a ``toolCall`` object,
    # which Loom's never has (Loom's carries call_id/arguments).
    "tanstack": "streamfold.formats.tanstack:TanStackDecoder",
    "loom": "streamfold.formats.loom:LoomDecoder",
    "nnrp": "streamfold.formats.nnrp:NnrpDecoder",
}
"""Format name → ``module:class`` of its decoder, in detection order. Other format modules add
themselves here."""


def _load(name: str) -> type[Decoder]:
    try:
        target = FORMATS[name]
    except KeyError:
        raise UsageError(
            f"unknown format {name!r}; known formats: {', '.join(sorted(FORMATS))}"
        ) from None
    module_name, _, class_name = target.partition(":")
    cls: type[Decoder] = getattr(importlib.import_module(module_name), class_name)
    return cls


def cursor_codec(name: str) -> CursorCodec | None:
    """The cursor module of format ``name``'s decoder (``None`` if it has none). The name is
    looked up in :data:`FORMATS`; an unknown one raises :class:`UsageError`."""
    module_name = getattr(_load(name), "cursor_module", None)
    if module_name is None:
        return None
    codec: CursorCodec = importlib.import_module(module_name)
    return codec


def make_decoder(name: str) -> Decoder:
    """A new decoder for format ``name``. Raises :class:`UsageError` for an unknown name."""
    return _load(name)()


def detect_format(frame: Mapping[str, Any]) -> str | None:
    """The name of the first format whose ``detect`` accepts ``frame``, or ``None``."""
    for name in FORMATS:
        if _load(name).detect(frame):
            return name
    return None
