"""A reducer's resume state as live objects, and its lookup indexes rebuilt from the model.

:class:`ResumeState` is what ``Reducer._resume_state()`` hands to the snapshot and what a
restore hands back to :func:`streamfold.resume.restore` (the one place besides the reducer that
reads and writes the reducer's own attributes); the core's state travels as the
:class:`~streamfold.core.FoldState` itself, read through its public fields and rebuilt by
:func:`fold_state` (the indexes the snapshot does not carry — keyed parts, message runs — by
``FoldState.reindex``). The indexes are not written to a snapshot: they are
what the model implies (:func:`derive_indexes`: runs, spans, messages and calls by id, the
latest call per call id), except where the reducer's own indexes differ from that, which the
snapshot writes as :class:`~streamfold.snapshot.schema.IndexOverrides` (:func:`overrides_of`,
:func:`apply_overrides`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from ..core import FoldState
from ..errors import SnapshotError
from ..formats import Decoder
from ..framing import LineSplitter, SSESplitter
from ..model import Conversation, Diagnostic, Message, Run, Span, ToolCall, Usage
from .schema import IndexOverrides, ReducerOptions

__all__ = [
    "Indexes",
    "ResumeState",
    "apply_overrides",
    "derive_indexes",
    "fold_state",
    "indexes_of",
    "overrides_of",
    "walk_spans",
]


@attrs.define(eq=False)
class Indexes:
    """The reducer's lookup tables into the model."""

    runs: dict[str, Run]
    open_runs: dict[str, Run]
    spans: dict[str, Span]
    messages: dict[str, Message]
    calls: dict[tuple[str, str], ToolCall]
    latest_call: dict[str, ToolCall]
    usage_set: dict[str, Usage]


@attrs.define(eq=False)
class ResumeState:
    """Everything that defines a reducer between two frames."""

    options: ReducerOptions
    fold: FoldState
    """The core's state: the model, its indexes, limits, ``index`` and ``seq``."""
    frames_in: int
    frames_dropped: int
    closed: bool
    failure: Diagnostic | None
    """The diagnostic a strict-mode reducer stopped at (it then refuses input)."""
    sse_last_event_id: str | None
    decoders: dict[str, Decoder]
    last_decoder: str | None
    ndjson: LineSplitter
    sse: SSESplitter


def indexes_of(fold: FoldState) -> Indexes:
    """The indexes of ``fold`` that a snapshot writes or checks."""
    return Indexes(
        fold.runs,
        fold.open_runs,
        fold.spans,
        fold.messages,
        fold.calls,
        fold.latest_call,
        fold.usage_set,
    )


def fold_state(
    options: ReducerOptions, conversation: Conversation, indexes: Indexes, index: int, seq: int
) -> FoldState:
    """The core's state for a restored model: every index rebuilt by ``FoldState.reindex``,
    then those the snapshot carries or corrects (``indexes``: derived from the model with the
    snapshot's overrides applied; the open runs in their order; the ``set`` usage baselines)."""
    fold = FoldState(
        max_diagnostics=options.max_diagnostics,
        max_raw_chars=options.max_raw_chars,
        max_text_chars=options.max_text_chars,
        max_open_runs=options.max_open_runs,
        max_sessions=options.max_sessions,
    )
    fold.conversation = conversation
    fold.reindex()
    fold.runs, fold.open_runs, fold.spans = indexes.runs, indexes.open_runs, indexes.spans
    fold.messages, fold.calls = indexes.messages, indexes.calls
    fold.latest_call, fold.usage_set = indexes.latest_call, indexes.usage_set
    fold.index, fold.seq = index, seq
    return fold


def walk_spans(run: Run) -> Iterator[Span]:
    """``run.walk_spans()`` without recursion: depth first, in start order."""
    stack = list(reversed(run._spans or ()))
    while stack:
        span = stack.pop()
        yield span
        if span._children:
            stack.extend(reversed(span._children))


def _runs(conversation: Conversation) -> Iterator[Run]:
    for session in conversation.sessions.values():
        yield from session.runs


def derive_indexes(conversation: Conversation) -> Indexes:
    """The indexes the model implies (where two objects share an id, the later one in model
    order). ``open_runs`` and ``usage_set`` are left empty (the snapshot writes them)."""
    runs: dict[str, Run] = {}
    spans: dict[str, Span] = {}
    messages: dict[str, Message] = {}
    calls: dict[tuple[str, str], ToolCall] = {}
    latest: dict[str, ToolCall] = {}
    for run in _runs(conversation):
        runs[run.run_id] = run
        for span in walk_spans(run):
            spans[span.span_id] = span
        for message in run.messages:
            messages[message.message_id] = message
        run_id = run.run_id
        for call_id, call in run.tool_calls.items():
            calls[(run_id, call_id)] = call
            latest[call_id] = call
    return Indexes(runs, {}, spans, messages, calls, latest, {})


# ------------------------------------------------------------------------------ overrides


class _Locations:
    """Where each span, message and call sits in model order (built only when needed)."""

    def __init__(self, conversation: Conversation) -> None:
        self.spans: dict[int, int] = {}
        self.messages: dict[int, int] = {}
        self.calls: dict[int, tuple[str, str]] = {}
        self.span_list: list[Span] = []
        self.message_list: list[Message] = []
        for run in _runs(conversation):
            for span in walk_spans(run):
                self.spans[id(span)] = len(self.span_list)
                self.span_list.append(span)
            for message in run.messages:
                self.messages[id(message)] = len(self.message_list)
                self.message_list.append(message)
            for call_id, call in run.tool_calls.items():
                self.calls.setdefault(id(call), (run.run_id, call_id))


def _differences(actual: dict[Any, Any], derived: dict[Any, Any]) -> list[Any]:
    keys = [k for k, v in actual.items() if derived.get(k) is not v]
    keys += [k for k in derived if k not in actual]
    return keys


def overrides_of(actual: Indexes, conversation: Conversation) -> IndexOverrides:
    """What a snapshot must write so that :func:`apply_overrides` rebuilds ``actual``."""
    derived = derive_indexes(conversation)
    span_keys = _differences(actual.spans, derived.spans)
    message_keys = _differences(actual.messages, derived.messages)
    call_keys = _differences(actual.calls, derived.calls)
    latest_keys = _differences(actual.latest_call, derived.latest_call)
    if not (span_keys or message_keys or call_keys or latest_keys):
        return IndexOverrides()
    where = _Locations(conversation)

    def place(table: dict[int, Any], obj: Any) -> Any:
        return None if obj is None else table.get(id(obj))

    return IndexOverrides(
        spans={k: place(where.spans, actual.spans.get(k)) for k in span_keys},
        messages={k: place(where.messages, actual.messages.get(k)) for k in message_keys},
        calls=[(k[0], k[1], place(where.calls, actual.calls.get(k))) for k in call_keys],
        latest_call={k: place(where.calls, actual.latest_call.get(k)) for k in latest_keys},
    )


def apply_overrides(
    indexes: Indexes, overrides: IndexOverrides, conversation: Conversation
) -> None:
    """Change the derived ``indexes`` as ``overrides`` say. Raises :class:`SnapshotError` for
    a position or a call that is not in the model."""
    if not overrides:
        return
    where = _Locations(conversation)

    def pick(items: list[Any], position: int, field: str) -> Any:
        if not 0 <= position < len(items):
            raise SnapshotError(f"no object at position {position}", f"reducer.overrides.{field}")
        return items[position]

    def call_at(ref: tuple[str, str], field: str) -> ToolCall:
        run = indexes.runs.get(ref[0])
        call = None if run is None else run.tool_calls.get(ref[1])
        if call is None:
            raise SnapshotError(f"no tool call {list(ref)!r}", f"reducer.overrides.{field}")
        return call

    for key, position in overrides.spans.items():
        if position is None:
            indexes.spans.pop(key, None)
        else:
            indexes.spans[key] = pick(where.span_list, position, "spans")
    for key, position in overrides.messages.items():
        if position is None:
            indexes.messages.pop(key, None)
        else:
            indexes.messages[key] = pick(where.message_list, position, "messages")
    for run_id, call_id, ref in overrides.calls:
        if ref is None:
            indexes.calls.pop((run_id, call_id), None)
        else:
            indexes.calls[(run_id, call_id)] = call_at(ref, "calls")
    for call_id, ref in overrides.latest_call.items():
        if ref is None:
            indexes.latest_call.pop(call_id, None)
        else:
            indexes.latest_call[call_id] = call_at(ref, "latest_call")
