"""Wire formats: one package per format, each a :class:`Decoder` from JSON frames to canonical
events (:mod:`streamfold.events`).

Rule: a decoder says what a frame means and keeps only the state it needs to say it (open runs
per session, span stacks, id maps); it never touches the model, the reducer or an edge. Per
frame its work is proportional to the frame.

Formats are plugins (``docs/write-a-format.md``): each registers its decoder class under the
entry-point group ``streamfold.formats`` (the built-ins in streamfold's own ``pyproject.toml``),
and says with :meth:`Decoder.detect` how sure it is that a frame is its own. Which decoder takes
a frame is decided in :mod:`streamfold.formats.select`.

:data:`FORMATS` maps format names to decoder classes, loaded on first use.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol

from ..errors import UsageError
from ..events import Diagnose, Event
from ..model import Session

__all__ = [
    "ENTRY_POINT_GROUP",
    "FORMATS",
    "CursorCodec",
    "Decoder",
    "DecoderBase",
    "FormatRegistry",
    "SessionKeys",
    "cursor_codec",
    "detect_format",
    "make_decoder",
]

ENTRY_POINT_GROUP = "streamfold.formats"
"""The entry-point group formats register under: ``name = "module:DecoderClass"``."""


class Decoder(Protocol):
    """The interface every format implements. Derive from :class:`DecoderBase` to get the
    documented defaults of every hook.

    Confidence scale of :meth:`detect` (``docs/write-a-format.md``, "Detection"):

    * ``1.0`` — the frame carries a marker only this format uses (an AG-UI upper-case event
      type, NNRP's ``common_header``);
    * ``0.9`` — this format's shape, with names another format could also use in that shape;
    * ``0.5`` — a name this format knows that is a common word (``tool_call``, ``usage``)
      without anything else that is this format's own;
    * ``0`` (or ``False``) — not this format's.

    The stream's current decoder keeps every frame its ``detect`` accepts (any value above 0);
    only other frames are offered to every format, and the highest confidence wins. On a tie
    the format whose name sorts first wins, so the choice never depends on installation order.
    """

    name: ClassVar[str]

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> float:
        """How sure this format is that ``frame`` (a parsed JSON object) is its own, from 0
        (not mine) to 1 (certain). Cheap: a few key lookups; called on every frame while the
        decoder holds the stream."""
        ...

    @staticmethod
    def non_json(text: str) -> Diagnose | None:
        """How to record a line of this stream that is not JSON (a prompt, a banner): a
        diagnostic whose ``code``, ``message`` and ``severity`` are used for the dropped line,
        or ``None`` for the default WARNING ``not_json``. Asked of the stream's current decoder,
        or of every format (in name order, first answer wins) before one took the stream."""
        ...

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Canonical events for one frame. Must not raise on anything a sender can send: bad
        fields become :class:`~streamfold.events.Diagnose` events."""
        ...

    def end_of_stream(self, frame_index: int) -> list[Event]:
        """Events for the transport's own end marker (SSE ``data: [DONE]``), which is not a
        frame of the format. ``frame_index`` is the marker's index."""
        ...

    def finish(self) -> list[Event]:
        """Events at end of input (e.g. end runs that never received their terminal frame)."""
        ...

    @staticmethod
    def session_keys() -> SessionKeys | None:
        """A new :class:`SessionKeys` for one log of this format: which session each frame
        belongs to, read from the wire before any decoding, so that ``export --log`` can fold
        each session of an interleaved log on its own (docs/batch.md). ``None``: the format's
        frames go with the session of the frame before them. Optional; :class:`DecoderBase`'s
        returns ``None``."""
        ...

    def run_evicted(self, session_id: str, run_id: str) -> None:
        """The reducer ended run ``run_id`` as ``incomplete`` to stay within ``max_open_runs``
        (a ``run_evicted`` diagnostic): forget it as an open run, so that later frames of its
        session do not feed an ended run and the end of input does not end it again. Optional
        (the reducer looks it up by name); :class:`DecoderBase`'s does nothing."""
        ...

    def session_evicted(self, session: Session) -> None:
        """``session`` (the model's, with its runs, messages and tool calls) left the model to
        stay within ``max_sessions``: release every piece of state kept for it, so that a long
        job's memory is bounded by the limit. Optional; :class:`DecoderBase`'s does nothing."""
        ...

    cursor_module: ClassVar[str | None]
    """Resume hook (docs/snapshot.md): the module that owns this decoder's snapshot cursor, a
    :class:`CursorCodec` (``None``: the decoder cannot be snapshotted)."""


class SessionKeys(Protocol):
    """Session keys of one log, in log order (a format's ``session_keys()``)."""

    def session_key(self, frame: Mapping[str, Any]) -> str | None:
        """The session of ``frame`` (parsed, of this format), or ``None`` when it belongs to
        the next session this format names (a frame that comes before any, held by the
        decoder for it, as AG-UI's ``CUSTOM`` before the first run)."""
        ...


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


class DecoderBase:
    """A base for decoders: every hook of :class:`Decoder` with a documented no-op default,
    so a format implements only what it needs (``name``, ``detect``, ``decode``).

    Example, a format whose frames are ``{"toy": "text"}`` (the whole worked example, with its
    registration, is in ``docs/write-a-format.md``)::

        class ToyDecoder(DecoderBase):
            name = "toy"

            @staticmethod
            def detect(frame):
                return 1.0 if "toy" in frame else 0.0

            def decode(self, frame, frame_index):
                ...  # canonical events, e.g. StartRun, AppendText

    Hooks and their defaults: ``detect`` → ``0.0``; ``non_json`` → ``None`` (the default
    ``not_json`` diagnostic); ``decode`` raises :class:`NotImplementedError` (a decoder must
    implement it); ``end_of_stream`` → no events; ``finish`` → no events; ``run_evicted`` and
    ``session_evicted`` → nothing; ``session_keys`` → ``None``; ``cursor_module`` → ``None``
    (the decoder cannot be snapshotted, docs/snapshot.md).
    """

    name: ClassVar[str] = ""

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> float:
        """Not this format's (``0.0``): a format that can be detected overrides it (the
        confidence scale is on :class:`Decoder`)."""
        return 0.0

    @staticmethod
    def non_json(text: str) -> Diagnose | None:
        """``None``: a line that is not JSON is the default WARNING ``not_json`` diagnostic
        (docs/diagnostics.md)."""
        return None

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        """Raises :class:`NotImplementedError`: every format writes its own (see
        :meth:`Decoder.decode`)."""
        raise NotImplementedError(f"{type(self).__name__}.decode")

    def end_of_stream(self, frame_index: int) -> list[Event]:
        """No events at the transport's end marker (SSE ``data: [DONE]``)."""
        return []

    def finish(self) -> list[Event]:
        """No events at end of input."""
        return []

    @staticmethod
    def session_keys() -> SessionKeys | None:
        """``None``: frames of this format go with the session of the frame before them."""
        return None

    def run_evicted(self, session_id: str, run_id: str) -> None:
        """The reducer ended an open run (``max_open_runs``); nothing kept here to forget."""

    def session_evicted(self, session: Session) -> None:
        """A session left the model (``max_sessions``); nothing kept here to release."""

    cursor_module: ClassVar[str | None] = None


# The built-in formats, also declared as entry points in pyproject.toml. Used when the installed
# package metadata does not list them (an editable install older than the entry points, or the
# source tree on sys.path without an install).
_BUILTIN: dict[str, str] = {
    "loom": "streamfold.formats.loom:LoomDecoder",
    "nnrp": "streamfold.formats.nnrp:NnrpDecoder",
    "nnrp-wire": "streamfold.formats.nnrp_wire:NnrpWireDecoder",
    "openai-chat": "streamfold.formats.openai_chat:OpenAIChatDecoder",
    "openai-responses": "streamfold.formats.openai_responses:OpenAIResponsesDecoder",
    "anthropic": "streamfold.formats.anthropic:AnthropicDecoder",
    "vercel-ui": "streamfold.formats.vercel_ui:VercelUIDecoder",
    "tanstack": "streamfold.formats.tanstack:TanStackDecoder",
}


class FormatRegistry(Mapping[str, type[Decoder]]):
    """Format name → decoder class: the entry points of :data:`ENTRY_POINT_GROUP`, plus the
    built-ins. Names are read on first use (and again after :meth:`refresh`); a class is
    imported when first looked up. Iteration is in name order (the tie-break of detection).

    A format that fails to import raises :class:`~streamfold.errors.UsageError` when it is
    asked for by name, and is skipped (with a :class:`RuntimeWarning`) by detection."""

    def __init__(self) -> None:
        self._targets: dict[str, str] | None = None
        self._classes: dict[str, type[Decoder]] = {}
        self._broken: set[str] = set()
        self._detectors: tuple[tuple[str, Callable[[Mapping[str, Any]], float]], ...] | None = None

    def refresh(self) -> None:
        """Read the entry points again (after installing a format into a running process)."""
        self._targets = None
        self._classes.clear()
        self._broken.clear()
        self._detectors = None

    def _names(self) -> dict[str, str]:
        targets = self._targets
        if targets is None:
            found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
            merged = {**_BUILTIN, **found}
            targets = self._targets = {name: merged[name] for name in sorted(merged)}
        return targets

    def __getitem__(self, name: str) -> type[Decoder]:
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        targets = self._names()
        if name not in targets:
            raise UsageError(f"unknown format {name!r}; known formats: {', '.join(targets)}")
        module_name, _, class_name = targets[name].partition(":")
        try:
            loaded = getattr(importlib.import_module(module_name), class_name)
        except Exception as exc:
            raise UsageError(
                f"format {name!r} ({targets[name]}) failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        self._classes[name] = loaded
        return loaded  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def loaded(self) -> Iterator[tuple[str, type[Decoder]]]:
        """``(name, class)`` of every format that loads, in name order; a format that fails to
        load is skipped with a :class:`RuntimeWarning` (once per :meth:`refresh`)."""
        for name in self._names():
            if name in self._broken:
                continue
            try:
                yield name, self[name]
            except UsageError as exc:
                self._broken.add(name)
                warnings.warn(str(exc), RuntimeWarning, stacklevel=2)

    def detectors(self) -> tuple[tuple[str, Callable[[Mapping[str, Any]], float]], ...]:
        """``(name, detect)`` of every format that loads, in name order: what
        :func:`detect_format` asks about each frame, built once (and again after
        :meth:`refresh`), so that detection costs one call per format and no lookups."""
        found = self._detectors
        if found is None:
            found = self._detectors = tuple((name, cls.detect) for name, cls in self.loaded())
        return found


FORMATS = FormatRegistry()
"""Every known format: name → decoder class (see :class:`FormatRegistry`)."""


def cursor_codec(name: str) -> CursorCodec | None:
    """The cursor module of format ``name``'s decoder (``None`` if it has none). The name is
    looked up in :data:`FORMATS`; an unknown one raises :class:`UsageError`."""
    module_name = getattr(FORMATS[name], "cursor_module", None)
    if module_name is None:
        return None
    codec: CursorCodec = importlib.import_module(module_name)
    return codec


def make_decoder(name: str) -> Decoder:
    """A new decoder for format ``name`` with default options. Raises
    :class:`~streamfold.errors.UsageError` for an unknown name (listing the known ones)."""
    return FORMATS[name]()


def detect_format(frame: Mapping[str, Any]) -> str | None:
    """The name of the format most confident that ``frame`` is its own, or ``None`` when every
    format says 0. Ties go to the name that sorts first (see :class:`Decoder`)."""
    best: str | None = None
    best_confidence = 0.0
    for name, detect in FORMATS.detectors():
        confidence = detect(frame)
        if confidence > best_confidence:
            best, best_confidence = name, confidence
    return best
