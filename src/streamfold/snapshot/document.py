"""The snapshot document: :class:`~streamfold.snapshot.state.ResumeState` ⇄ JSON-safe ``dict``.

Layout (docs/snapshot.md)::

    {"streamfold_snapshot": 4,
     "reducer":  {"v": 1, "options": {...}, "frames_in": ..., "open_runs": [...], ...},
     "framing":  {"v": 1, "ndjson": {...}, "sse": {...}},
     "decoders": {"loom": {"v": 1, ...}, ...},      # each owned by its format's cursor.py
     "model":    {"version": 1, "sessions": {...}, ...}}   # the JSON export's document

Reading checks, in this order, before any model object is built: the version of the document
and of every section, the reducer's options and counters (every size bounded), the framing
state, then the decoders (a format name is looked up in :data:`streamfold.formats.FORMATS`;
nothing in the data names a class or a module), then the model. A restored state is complete
or not returned at all.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from ..core import FoldState
from ..core.text import PendingHalf, StreamKind
from ..errors import SnapshotError, UsageError
from ..export.json import EXPORT_VERSION
from ..formats import FORMATS, CursorCodec, Decoder, cursor_codec
from ..framing import LineSplitter, LineSplitterState, SSESplitter, SSESplitterState
from ..model import (
    Conversation,
    Message,
    ReasoningPart,
    Run,
    TextPart,
    ToolCall,
    ToolCallPart,
)
from .schema import (
    CallRef,
    FailedState,
    FramingSection,
    PendingHalfRef,
    ReducerOptions,
    ReducerSection,
    converter,
    structure,
)
from .state import (
    Indexes,
    ResumeState,
    apply_overrides,
    derive_indexes,
    fold_state,
    indexes_of,
    overrides_of,
)

__all__ = ["FRAMING_VERSION", "REDUCER_VERSION", "SNAPSHOT_VERSION", "decode", "encode"]

SNAPSHOT_VERSION: Final = 4
"""The document's version (``"streamfold_snapshot"``)."""
REDUCER_VERSION: Final = 1
FRAMING_VERSION: Final = 1
_KEY: Final = "streamfold_snapshot"


# ------------------------------------------------------------------------------------ write


def encode(state: ResumeState) -> dict[str, Any]:
    """The snapshot document of ``state``. Raises :class:`SnapshotError` for a decoder that
    cannot be snapshotted."""
    decoders = {name: _save_decoder(name, decoder) for name, decoder in state.decoders.items()}
    fold = state.fold
    conversation = fold.conversation
    model: dict[str, Any] = {"version": EXPORT_VERSION, **converter.unstructure(conversation)}
    indexes = indexes_of(fold)
    _mark_foreign_calls(conversation, model, indexes.runs)
    reducer = ReducerSection(
        options=state.options,
        frames_in=state.frames_in,
        frames_dropped=state.frames_dropped,
        index=fold.index,
        seq=fold.seq,
        closed=state.closed,
        failed=None if state.failure is None else FailedState(state.failure),
        sse_last_event_id=state.sse_last_event_id,
        last_decoder=state.last_decoder,
        open_runs=list(indexes.open_runs),
        usage_set=indexes.usage_set,
        overrides=overrides_of(indexes, conversation),
        text_check=fold.text_check,
        halves=_save_halves(fold),
    )
    reducer_doc: dict[str, Any] = {"v": REDUCER_VERSION, **converter.unstructure(reducer)}
    if not reducer.overrides:
        del reducer_doc["overrides"]
    if not reducer.text_check:
        del reducer_doc["text_check"], reducer_doc["halves"]
    framing = {
        "v": FRAMING_VERSION,
        "ndjson": converter.unstructure(state.ndjson.state()),
        "sse": converter.unstructure(state.sse.state()),
    }
    return {
        _KEY: SNAPSHOT_VERSION,
        "reducer": reducer_doc,
        "framing": framing,
        "decoders": decoders,
        "model": model,
    }


def _save_decoder(name: str, decoder: Decoder) -> dict[str, Any]:
    codec = _codec(name, f"decoders.{name}")
    if codec is None:
        raise SnapshotError(
            f"cannot snapshot the {name!r} decoder: its format has no snapshot cursor "
            "(docs/write-a-format.md, 'Snapshots')"
        )
    if type(decoder) is not codec.DECODER:
        raise SnapshotError(
            f"cannot snapshot the {name!r} decoder ({type(decoder).__name__}): only the "
            "registered decoder of each format has a snapshot cursor"
        )
    return {"v": codec.VERSION, **converter.unstructure(codec.save(decoder), codec.CURSOR)}


def _codec(name: str, where: str) -> CursorCodec | None:
    if name not in FORMATS:
        raise SnapshotError(f"unknown format {name!r}", where)
    try:
        return cursor_codec(name)
    except UsageError as exc:
        raise SnapshotError(str(exc), where) from None


def _mark_foreign_calls(
    conversation: Conversation, model: dict[str, Any], runs: dict[str, Run]
) -> None:
    """A tool-call part is written as ``{"kind": "tool-call", "call_id"}``, resolved in its own
    run's ``tool_calls``; a part whose call another run holds adds that run's ``"run_id"``, and
    one whose call no run holds (its session was evicted) carries the call whole (``"call"``)."""
    for session_id, session in conversation.sessions.items():
        for run_index, run in enumerate(session.runs):
            for message_index, message in enumerate(run.messages):
                for part_index, part in enumerate(message.parts):
                    if type(part) is not ToolCallPart:
                        continue
                    call = part.call
                    if run.tool_calls.get(call.call_id) is call:
                        continue
                    node = model["sessions"][session_id]["runs"][run_index]["messages"][
                        message_index
                    ]["parts"][part_index]
                    holder = runs.get(call.run_id) if call.run_id is not None else None
                    if holder is not None and holder.tool_calls.get(call.call_id) is call:
                        node["run_id"] = holder.run_id
                    else:
                        node["call"] = converter.unstructure(call)


# ------------------------------------------------------------------------------------- read


def decode(document: Any) -> ResumeState:
    """The resume state ``document`` describes, every object built and linked. Raises
    :class:`SnapshotError` for anything else (module docstring)."""
    try:
        return _decode(document)
    except SnapshotError:
        raise
    except Exception as exc:  # a check this module missed: still the caller's typed error
        raise SnapshotError(f"damaged snapshot: {type(exc).__name__}: {exc}") from None


def _decode(document: Any) -> ResumeState:
    if type(document) is not dict:
        raise SnapshotError("not a streamfold snapshot (not a JSON object)")
    version = document.get(_KEY)
    if version is None and document.get("format") == "streamfold.reducer":
        raise SnapshotError(
            f"snapshot version {document.get('version')!r} is not supported: this streamfold "
            f"reads version {SNAPSHOT_VERSION} (an explicit schema; versions 1-3 wrote the "
            "reducer's private object graph and are not read). Fold the original input again "
            "(snapshots are not an archive, docs/snapshot.md)"
        )
    if version != SNAPSHOT_VERSION or type(version) is not int:
        raise SnapshotError(
            f"snapshot version {version!r} is not supported (this streamfold reads version "
            f"{SNAPSHOT_VERSION})"
            if version is not None
            else "not a streamfold snapshot"
        )
    reducer = _section(document, "reducer", REDUCER_VERSION)
    section = structure(reducer, ReducerSection, "reducer")
    options = section.options
    framing_doc = _section(document, "framing", FRAMING_VERSION)
    framing = structure(framing_doc, FramingSection, "framing")
    ndjson_state = structure(framing.ndjson, LineSplitterState, "framing.ndjson")
    sse_state = structure(framing.sse, SSESplitterState, "framing.sse")
    try:
        ndjson = LineSplitter.from_state(ndjson_state, options.max_line_bytes)
    except ValueError as exc:
        raise SnapshotError(str(exc), "framing.ndjson") from None
    try:
        sse = SSESplitter.from_state(sse_state, options.max_line_bytes)
    except ValueError as exc:
        raise SnapshotError(str(exc), "framing.sse") from None
    decoders = _read_decoders(document.get("decoders"))
    if section.last_decoder is not None and section.last_decoder not in decoders:
        raise SnapshotError("not one of the decoders", "reducer.last_decoder")
    if options.format is not None and options.format not in FORMATS:
        raise SnapshotError(f"unknown format {options.format!r}", "reducer.options.format")
    conversation = _read_model(document.get("model"), options)
    indexes = derive_indexes(conversation)
    _check_model(conversation, indexes)
    _link_calls(conversation, indexes.runs)
    apply_overrides(indexes, section.overrides, conversation)
    for position, run_id in enumerate(section.open_runs):
        run = indexes.runs.get(run_id)
        where = f"reducer.open_runs[{position}]"
        if run is None or run.status.is_terminal or run_id in indexes.open_runs:
            raise SnapshotError(f"{run_id!r} is not a run that is still open", where)
        indexes.open_runs[run_id] = run
    indexes.usage_set = dict(section.usage_set)
    fold = fold_state(options, conversation, indexes, section.index, section.seq)
    fold.text_check = fold.field_check = section.text_check
    fold.halves = _load_halves(fold, section.halves)
    return ResumeState(
        options=options,
        fold=fold,
        frames_in=section.frames_in,
        frames_dropped=section.frames_dropped,
        closed=section.closed,
        failure=None if section.failed is None else section.failed.diagnostic,
        sse_last_event_id=section.sse_last_event_id,
        decoders=decoders,
        last_decoder=section.last_decoder,
        ndjson=ndjson,
        sse=sse,
    )


def _save_halves(fold: FoldState) -> list[PendingHalfRef]:
    """The pending surrogate halves, each named by its stream (a half whose part left the
    model is not written: its stream can't grow any more)."""
    out: list[PendingHalfRef] = []
    for half in fold.halves:
        owner = half.owner
        if isinstance(owner, Message):
            index = next((i for i, p in enumerate(owner.parts) if p is half.part), None)
            if index is not None:
                out.append(
                    PendingHalfRef(half.code, half.run_id, half.kind, owner.message_id, index)
                )
        else:
            out.append(PendingHalfRef(half.code, half.run_id, half.kind, owner.call_id))
    return out


_STREAMS: Final[dict[str, StreamKind]] = {
    "text": "text",
    "reasoning": "reasoning",
    "arguments": "arguments",
    "output": "output",
}


def _load_halves(fold: FoldState, refs: list[PendingHalfRef]) -> list[PendingHalf]:
    halves: list[PendingHalf] = []
    for position, ref in enumerate(refs):
        where = f"reducer.halves[{position}]"
        kind = _STREAMS[ref.kind]  # checked by PendingHalfRef
        if kind in ("text", "reasoning"):
            message = fold.messages.get(ref.owner)
            parts = message.parts if message is not None else []
            part = parts[ref.part] if ref.part is not None and 0 <= ref.part < len(parts) else None
            wanted = TextPart if ref.kind == "text" else ReasoningPart
            if message is None or type(part) is not wanted:
                raise SnapshotError(f"no {ref.kind} part {ref.part} in {ref.owner!r}", where)
            assert isinstance(part, TextPart | ReasoningPart)
            halves.append(PendingHalf(ref.code, part.buffer, ref.run_id, kind, message, part))
            continue
        call = fold.calls.get((ref.run_id, ref.owner)) or fold.latest_call.get(ref.owner)
        if call is None:
            raise SnapshotError(f"no tool call {ref.owner!r}", where)
        buffer = call.arguments_buffer if ref.kind == "arguments" else call.output_buffer
        halves.append(PendingHalf(ref.code, buffer, ref.run_id, kind, call))
    return halves


def _section(document: dict[str, Any], name: str, version: int) -> dict[str, Any]:
    section = document.get(name)
    if type(section) is not dict:
        raise SnapshotError("missing or not an object", name)
    found = section.get("v")
    if found != version or type(found) is not int:
        raise SnapshotError(
            f"section version {found!r} is not supported (this streamfold reads {version})",
            f"{name}.v",
        )
    return section


def _read_decoders(section: Any) -> dict[str, Decoder]:
    if type(section) is not dict:
        raise SnapshotError("missing or not an object", "decoders")
    decoders: dict[str, Decoder] = {}
    for name, cursor in section.items():
        where = f"decoders.{name}"
        codec = _codec(name, where)
        if codec is None:
            raise SnapshotError("this format's decoder has no snapshot cursor", where)
        if type(cursor) is not dict:
            raise SnapshotError("not an object", where)
        found = cursor.get("v")
        if found != codec.VERSION or type(found) is not int:
            raise SnapshotError(
                f"cursor version {found!r} is not supported (this streamfold reads "
                f"{codec.VERSION})",
                f"{where}.v",
            )
        decoders[name] = codec.load(structure(cursor, codec.CURSOR, where))
    return decoders


def _read_model(model: Any, options: ReducerOptions) -> Conversation:
    if type(model) is not dict:
        raise SnapshotError("missing or not an object", "model")
    if model.get("version") != EXPORT_VERSION:
        raise SnapshotError(
            f"model version {model.get('version')!r} is not supported (this streamfold reads "
            f"{EXPORT_VERSION})",
            "model.version",
        )
    diagnostics = model.get("diagnostics")
    if type(diagnostics) is list and len(diagnostics) > options.max_diagnostics:
        raise SnapshotError("more diagnostics than max_diagnostics", "model.diagnostics")
    conversation = structure(model, Conversation, "model")
    conversation.diagnostics = deque(conversation.diagnostics, maxlen=options.max_diagnostics)
    return conversation


def _check_model(conversation: Conversation, indexes: Indexes) -> None:
    """What the reducer relies on and the export cannot say wrong: a session under its own id,
    each run in the session it names, run ids unique."""
    seen = 0
    for key, session in conversation.sessions.items():
        if session.session_id != key:
            raise SnapshotError(
                f"session {session.session_id!r} is keyed {key!r}", "model.sessions"
            )
        for position, run in enumerate(session.runs):
            seen += 1
            if run.session_id != key:
                raise SnapshotError(
                    f"run {run.run_id!r} names session {run.session_id!r}",
                    f"model.sessions[{key!r}].runs[{position}]",
                )
    if seen != len(indexes.runs):
        raise SnapshotError("two runs have the same run_id", "model.sessions")


def _link_calls(conversation: Conversation, runs: dict[str, Run]) -> None:
    """Replace each :class:`~streamfold.snapshot.schema.CallRef` read from a message's parts by
    a ``ToolCallPart`` of the one ``ToolCall`` it names (the object ``run.tool_calls`` holds)."""
    for session_id, session in conversation.sessions.items():
        for run_index, run in enumerate(session.runs):
            for message_index, message in enumerate(run.messages):
                parts: list[Any] = message.parts
                for part_index, part in enumerate(parts):
                    if type(part) is not CallRef:
                        continue
                    call: ToolCall | None
                    if part.call is not None:
                        call = part.call
                    else:
                        holder = run if part.run_id is None else runs.get(part.run_id)
                        call = None if holder is None else holder.tool_calls.get(part.call_id)
                    if call is None or call.call_id != part.call_id:
                        raise SnapshotError(
                            f"tool call {part.call_id!r} is not in the run",
                            f"model.sessions[{session_id!r}].runs[{run_index}].messages"
                            f"[{message_index}].parts[{part_index}]",
                        )
                    parts[part_index] = ToolCallPart(call)
