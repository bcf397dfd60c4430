"""The resume snapshot's schema: its sections as attrs classes, and the one cattrs converter that
writes and reads them (docs/snapshot.md).

The converter is configured once, here. Writing (unstructure): the model with the JSON export's
rules (:func:`streamfold.export.json.configure_unstructure`, the stream's values shared, not
copied), the sections as plain attrs classes, bytes as base64. Reading (structure) goes through
the classes' constructors, with strict scalars: an ``int`` field takes an ``int`` and nothing
else (no ``"3"``, no ``3.0``, no ``true``), a list field a list, an object field an object; the
stream's own JSON values pass :func:`~streamfold.snapshot.values.check_value`. Span trees are read
with an explicit stack, without recursion. Anything else raises
:class:`~streamfold.errors.SnapshotError` with the path of the first problem
(``model.sessions['s'].runs[0].usage.prompt_tokens``).

Unknown keys are ignored, missing keys with a default take it (no version bump: docs/snapshot.md).
"""

from __future__ import annotations

import base64
import binascii
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from ..core.depth import DEFAULT_MAX_JSON_DEPTH
from ..errors import SnapshotError
from ..export.json import configure_unstructure
from ..framing import DEFAULT_MAX_LINE_BYTES
from ..model import (
    ActivityPart,
    Checkpoint,
    Conversation,
    CustomEvent,
    Diagnostic,
    Interrupt,
    Part,
    ReasoningPart,
    Run,
    RunStatus,
    Severity,
    Span,
    SpanStatus,
    TextBuffer,
    TextPart,
    ToolCall,
    ToolCallState,
    ToolResultPart,
    Usage,
)
from .values import check_value

__all__ = [
    "MAX_LIMIT",
    "CallRef",
    "FailedState",
    "FramingSection",
    "IndexOverrides",
    "PendingHalfRef",
    "ReducerOptions",
    "ReducerSection",
    "converter",
    "structure",
]

T = TypeVar("T")

MAX_LIMIT: Final = 1 << 48
"""Bound on every size or limit a snapshot sets (``max_line_bytes``, ``max_diagnostics``…):
nothing is allocated from them, and a value beyond any real use is refused."""
_MAX_COUNT: Final = 1 << 63


def _limit(low: int) -> Callable[[Any, Any, int | None], None]:
    def check(_: Any, attribute: Any, value: int | None) -> None:
        if value is not None and not low <= value <= MAX_LIMIT:
            raise ValueError(f"{attribute.name} must be between {low} and {MAX_LIMIT}")

    return check


def _count(_: Any, attribute: Any, value: int) -> None:
    if not 0 <= value < _MAX_COUNT:
        raise ValueError(f"{attribute.name} must be between 0 and 2**63")


# ------------------------------------------------------------------------------- sections


@attrs.frozen
class ReducerOptions:
    """The reducer's constructor options (docs/snapshot.md, ``reducer.options``): each field is
    the ``Reducer`` parameter of the same name (a restore passes them as keywords)."""

    format: str | None = None
    strict: bool = False
    max_line_bytes: int = attrs.field(default=DEFAULT_MAX_LINE_BYTES, validator=_limit(1))
    max_diagnostics: int = attrs.field(default=10_000, validator=_limit(1))
    max_raw_chars: int = attrs.field(default=4096, validator=_limit(0))
    max_text_chars: int = attrs.field(default=16 * 1024 * 1024, validator=_limit(1))
    max_open_runs: int = attrs.field(default=10_000, validator=_limit(1))
    max_sessions: int | None = attrs.field(default=None, validator=_limit(1))
    max_json_depth: int = attrs.field(default=DEFAULT_MAX_JSON_DEPTH, validator=_limit(1))


@attrs.frozen
class FailedState:
    """A strict-mode reducer stopped at a protocol error: the error's diagnostic."""

    diagnostic: Diagnostic


@attrs.frozen
class IndexOverrides:
    """Where the reducer's lookup indexes differ from what the model implies (rare: duplicate
    ids, renamed calls, evicted sessions). Spans and messages are numbered in model order
    (sessions, runs, then each run's span tree depth first / its messages); calls are named
    ``[run_id, call_id]`` as in ``run.tool_calls``; ``null`` removes an entry."""

    spans: dict[str, int | None] = attrs.Factory(dict)
    messages: dict[str, int | None] = attrs.Factory(dict)
    calls: list[tuple[str, str, tuple[str, str] | None]] = attrs.Factory(list)
    latest_call: dict[str, tuple[str, str] | None] = attrs.Factory(dict)

    def __bool__(self) -> bool:
        return bool(self.spans or self.messages or self.calls or self.latest_call)


def _half(_: Any, attribute: Any, value: int) -> None:
    if not 0xD800 <= value <= 0xDBFF:
        raise ValueError(f"{attribute.name} is not a high surrogate")


def _stream_kind(_: Any, attribute: Any, value: str) -> None:
    if value not in ("text", "reasoning", "arguments", "output"):
        raise ValueError(f"unknown text stream {value!r}")


@attrs.frozen
class PendingHalfRef:
    """An open text stream's pending high surrogate (``docs/model.md``, "Text integrity"):
    the code unit, and the stream — part ``part`` of message ``owner`` (text, reasoning) or
    the arguments or output of call ``owner`` of run ``run_id``."""

    code: int = attrs.field(validator=_half)
    run_id: str
    kind: str = attrs.field(validator=_stream_kind)
    owner: str
    part: int | None = None


@attrs.frozen
class ReducerSection:
    """The reducer's own state: options, counters, lifecycle and what the model does not hold."""

    options: ReducerOptions = ReducerOptions()
    frames_in: int = attrs.field(default=0, validator=_count)
    frames_dropped: int = attrs.field(default=0, validator=_count)
    index: int = -1
    """The index of the last frame (``-1`` before the first)."""
    seq: int = attrs.field(default=0, validator=_count)
    """The ``Message.seq`` given last."""
    closed: bool = False
    failed: FailedState | None = None
    sse_last_event_id: str | None = None
    last_decoder: str | None = None
    """The format of the decoder the last frame went to (a key of ``decoders``)."""
    open_runs: list[str] = attrs.Factory(list)
    """Runs not ended, oldest first (the first to end when ``max_open_runs`` is passed)."""
    usage_set: dict[str, Usage] = attrs.Factory(dict)
    """Per run, the last usage report in ``set`` mode (a later one replaces it)."""
    overrides: IndexOverrides = IndexOverrides()
    text_check: bool = False
    """Input that may hold lone surrogates was seen: text follows the text integrity rule."""
    halves: list[PendingHalfRef] = attrs.Factory(list)
    """The pending surrogate halves of open text streams."""

    def __attrs_post_init__(self) -> None:
        if self.frames_dropped > self.frames_in:
            raise ValueError("frames_dropped is more than frames_in")
        if not -1 <= self.index < _MAX_COUNT:
            raise ValueError("index out of range")


@attrs.frozen
class FramingSection:
    """The partial NDJSON line and SSE event (:class:`~streamfold.framing.LineSplitterState`,
    :class:`~streamfold.framing.SSESplitterState`)."""

    ndjson: Any = None
    sse: Any = None


@attrs.frozen
class CallRef:
    """A tool-call part as read, before it is linked to its call: by ``call_id`` in its own run,
    in run ``run_id`` when given, or the call written whole (``call``) when no run holds it."""

    call_id: str
    run_id: str | None = None
    call: ToolCall | None = None


# ------------------------------------------------------------------------------ converter


def _strict(kind: type[Any], name: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is kind:
            return value
        raise TypeError(f"expected {name}, got {_name(value)}")

    return structure


def _name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), f"a {type(value).__name__}")


def _float(value: Any, _: Any) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    raise TypeError(f"expected a number, got {_name(value)}")


def _enum(kind: type[enum.Enum]) -> Callable[[Any, Any], enum.Enum]:
    members = {member.value: member for member in kind}

    def structure(value: Any, _: Any) -> enum.Enum:
        member = members.get(value) if type(value) is str else None
        if member is None:
            raise ValueError(f"{value!r} is not a valid {kind.__name__}")
        return member

    return structure


def _optional(conv: cattrs.Converter, kind: Any) -> Callable[[Any, Any], Any]:
    """``T | None``: ``None``, or what ``T``'s hook makes of the value."""
    (inner,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
    hook = conv.get_structure_hook(inner)
    if inner in (str, int, bool):

        def scalar(value: Any, _: Any) -> Any:
            if value is None or type(value) is inner:
                return value
            return hook(value, inner)  # raises the strict hook's error

        return scalar

    def optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return optional


def _is_optional(kind: Any) -> bool:
    args = typing.get_args(kind)
    return (
        _origin(kind) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args
    )


def _bytes(value: Any, _: Any) -> bytes:
    if type(value) is not str:
        raise TypeError(f"expected base64 text, got {_name(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None


def _origin(kind: Any) -> Any:
    return typing.get_origin(kind)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(unstruct_collection_overrides={tuple: list})
    configure_unstructure(conv, share_values=True)
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode())

    # ---- scalars and containers, strictly
    # By class, as cattrs' own hooks for these are; the model's str enums (subclasses of str)
    # get their own, more specific hooks.
    conv.register_structure_hook(int, _strict(int, "an integer"))
    conv.register_structure_hook(str, _strict(str, "a string"))
    conv.register_structure_hook(bool, _strict(bool, "a boolean"))
    conv.register_structure_hook(float, _float)
    conv.register_structure_hook(bytes, _bytes)
    for kind in (RunStatus, SpanStatus, ToolCallState, Severity):
        conv.register_structure_hook(kind, _enum(kind))
    conv.register_structure_hook_factory(_is_optional, lambda t: _optional(conv, t))
    conv.register_structure_hook_func(lambda t: t is Any, lambda v, _: check_value(v))
    conv.register_structure_hook_factory(
        lambda t: _origin(t) in (list, tuple), lambda t: _sequence_hook(conv, t)
    )
    conv.register_structure_hook_factory(
        lambda t: _origin(t) is dict, lambda t: _dict_hook(conv, t)
    )

    # ---- the model (the export's document, read back)
    conv.register_structure_hook(TextBuffer, lambda v, _: TextBuffer(_strict(str, "text")(v, _)))
    span_fields = make_dict_structure_fn(
        Span,
        conv,
        parent=override(omit=True),
        _children=override(rename="children", struct_hook=lambda v, _: None),
        _message_ids=_lazy(conv, "message_ids", list[str]),
    )
    conv.register_structure_hook(Span, lambda v, _: _span_tree(v, span_fields))
    call_fields = make_dict_structure_fn(
        ToolCall,
        conv,
        arguments_buffer=override(rename="arguments"),
        output_buffer=override(rename="output"),
        _timeline=override(rename="timeline", struct_hook=_timeline),
    )

    def tool_call(value: Any, _: Any) -> ToolCall:
        call = call_fields(value, ToolCall)
        _set_dropped(call.arguments_buffer, value.get("arguments_dropped"))
        _set_dropped(call.output_buffer, value.get("output_dropped"))
        return call

    conv.register_structure_hook(ToolCall, tool_call)
    text_part = _with_dropped(
        make_dict_structure_fn(TextPart, conv, buffer=override(rename="text"))
    )
    reasoning_part = _with_dropped(
        make_dict_structure_fn(ReasoningPart, conv, buffer=override(rename="text"))
    )
    result_part = make_dict_structure_fn(ToolResultPart, conv)
    activity_part = make_dict_structure_fn(ActivityPart, conv)
    call_ref = make_dict_structure_fn(CallRef, conv)

    def part(value: Any, _: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {_name(value)}")
        kind = value.get("kind")
        if kind == "text":
            return text_part(value, TextPart)
        if kind == "reasoning":
            return reasoning_part(value, ReasoningPart)
        if kind == "tool-call":
            return call_ref(value, CallRef)
        if kind == "tool-result":
            return result_part(value, ToolResultPart)
        if kind == "activity":
            return activity_part(value, ActivityPart)
        raise ValueError(f"unknown part kind {kind!r}")

    conv.register_structure_hook_func(lambda t: t == Part, part)
    conv.register_structure_hook(
        Run,
        make_dict_structure_fn(
            Run,
            conv,
            _spans=_lazy(conv, "spans", list[Span]),
            _checkpoints=_lazy(conv, "checkpoints", list[Checkpoint]),
            _custom_events=_lazy(conv, "custom_events", list[CustomEvent]),
            _interrupts=_lazy(conv, "interrupts", list[Interrupt]),
            _unknown_events=_lazy(conv, "unknown_events", list[dict[str, Any]]),
            _missing=_lazy(conv, "missing", list[tuple[int, int]]),
        ),
    )
    conv.register_structure_hook(
        Conversation,
        make_dict_structure_fn(
            Conversation,
            conv,
            diagnostics=override(struct_hook=lambda v, _: conv.structure(v, list[Diagnostic])),
        ),
    )
    return conv


def _sequence_hook(conv: cattrs.Converter, kind: Any) -> Callable[[Any, Any], Any]:
    args = typing.get_args(kind)
    is_tuple = _origin(kind) is tuple
    if is_tuple and not (len(args) == 2 and args[1] is Ellipsis):
        hooks = [conv.get_structure_hook(arg) for arg in args]

        def fixed(value: Any, _: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise TypeError(f"expected a list, got {_name(value)}")
            if len(value) != len(args):
                raise ValueError(f"expected {len(args)} items, got {len(value)}")
            return tuple(_items(value, hooks, args, kind))

        return fixed
    item = args[0] if args else Any
    hook = conv.get_structure_hook(item)

    def variadic(value: Any, _: Any) -> Any:
        if type(value) is not list:
            raise TypeError(f"expected a list, got {_name(value)}")
        items: list[Any] = []
        index = 0
        try:
            for index, raw in enumerate(value):  # noqa: B007 (the except reads index)
                items.append(hook(raw, item))
        except Exception as exc:
            raise _at(exc, index, item, kind) from None
        return tuple(items) if is_tuple else items

    return variadic


def _items(value: list[Any], hooks: list[Any], kinds: Any, kind: Any) -> list[Any]:
    out: list[Any] = []
    index = 0
    try:
        for index, raw in enumerate(value):
            out.append(hooks[index](raw, kinds[index]))
    except Exception as exc:
        raise _at(exc, index, kinds[index], kind) from None
    return out


def _at(exc: Exception, index: int | str, item: Any, kind: Any) -> IterableValidationError:
    """``exc`` as cattrs reports a problem at ``index`` of a list or key of an object."""
    exc.__notes__ = [
        *getattr(exc, "__notes__", []),
        IterableValidationNote(f"Structuring {kind} @ {index!r}", index, item),
    ]
    return IterableValidationError(f"While structuring {kind}", [exc], kind)


def _dict_hook(conv: cattrs.Converter, kind: Any) -> Callable[[Any, Any], dict[Any, Any]]:
    key_type, value_type = typing.get_args(kind) or (str, Any)
    key_hook = conv.get_structure_hook(key_type)
    value_hook = conv.get_structure_hook(value_type)

    def structure(value: Any, _: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {_name(value)}")
        out: dict[Any, Any] = {}
        for key, item in value.items():
            try:
                out[key_hook(key, key_type)] = value_hook(item, value_type)
            except Exception as exc:
                raise _at(exc, key, value_type, kind) from None
        return out

    return structure


def _lazy(conv: cattrs.Converter, name: str, kind: Any) -> Any:
    """A list the model keeps as ``None`` until first used: ``[]`` reads back as ``None``."""
    hook = conv.get_structure_hook(kind)

    def structure(value: Any, _: Any) -> Any:
        if value == []:
            return None
        return hook(value, kind)

    return override(rename=name, struct_hook=structure)


def _timeline(value: Any, _: Any) -> list[tuple[str, int | None]]:
    """``[[state, frame_index], ...]``; the states are checked by ``ToolCall``'s converter."""
    if type(value) is not list:
        raise TypeError(f"expected a list, got {_name(value)}")
    out: list[tuple[str, int | None]] = []
    for entry in value:
        if (
            type(entry) is not list
            or len(entry) != 2
            or type(entry[0]) is not str
            or not (entry[1] is None or type(entry[1]) is int)
        ):
            raise ValueError("a timeline entry is [state, frame_index]")
        out.append((entry[0], entry[1]))
    return out


def _set_dropped(buffer: TextBuffer, value: Any) -> None:
    if value is None:
        return
    if type(value) is not int or not 0 <= value < _MAX_COUNT:
        raise ValueError("a dropped character count is a non-negative integer")
    buffer.dropped = value


def _with_dropped(fields: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    def structure(value: Any, kind: Any) -> T:
        part = fields(value, kind)
        _set_dropped(part.buffer, value.get("text_dropped"))  # type: ignore[attr-defined]
        return part

    return structure


def _span_tree(value: Any, fields: Callable[[Any, Any], Span]) -> Span:
    """A span and its descendants from their nested ``children``, by an explicit stack (a
    stream can nest spans deeper than Python's recursion limit). ``parent`` is linked here."""
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {_name(value)}")
    root = fields(value, Span)
    stack: list[tuple[Span, dict[str, Any], tuple[Any, ...]]] = [(root, value, ())]
    while stack:
        span, raw, path = stack.pop()
        children = raw.get("children")
        if children is None or children == []:
            continue
        if type(children) is not list:
            raise _span_error(path, TypeError(f"children: expected a list, got {_name(children)}"))
        built: list[Span] = []
        for index, child_raw in enumerate(children):
            child_path = (path, index)
            if type(child_raw) is not dict:
                raise _span_error(
                    child_path, TypeError(f"expected an object, got {_name(child_raw)}")
                )
            try:
                child = fields(child_raw, Span)
            except Exception as exc:
                raise _span_error(child_path, exc) from None
            child.parent = span
            built.append(child)
            stack.append((child, child_raw, child_path))
        span._children = built
    return root


def _span_error(path: tuple[Any, ...], exc: Exception) -> SnapshotError:
    indexes: list[int] = []
    while path:
        path, index = path
        indexes.append(index)
    where = "".join(f".children[{i}]" for i in reversed(indexes))
    message, inner = first_error(exc)
    return SnapshotError(message, where.lstrip(".") + inner)


converter: Final = _make_converter()
"""The snapshot's converter (module docstring)."""


# ----------------------------------------------------------------------------- structure


def first_error(exc: BaseException) -> tuple[str, str]:
    """The first leaf problem of a cattrs validation error, and its path (``.a[0].b``)."""
    path = ""
    while True:
        if isinstance(exc, SnapshotError):
            return str(exc).split(" (at ")[0], path + ("." + exc.path if exc.path else "")
        if isinstance(exc, IterableValidationError | ClassValidationError):
            with_notes, without = exc.group_exceptions()
            if with_notes:
                inner, note = with_notes[0]
                if isinstance(note, AttributeValidationNote):
                    path += f".{note.name}"
                else:
                    path += f"[{note.index!r}]"
                exc = inner
                continue
            if without:
                exc = without[0]
                continue
        if isinstance(exc, KeyError):
            return f"required field {exc.args[0]!r} missing", path
        return str(exc) or type(exc).__name__, path


def structure(value: Any, kind: type[T], where: str) -> T:
    """``value`` structured as ``kind`` through its constructor; any problem raises
    :class:`SnapshotError` at ``where`` + the problem's path."""
    try:
        result: T = converter.structure(value, kind)
    except SnapshotError as exc:
        message, path = first_error(exc)
        raise SnapshotError(message, where + path) from None
    except (ClassValidationError, IterableValidationError) as exc:
        message, path = first_error(exc)
        raise SnapshotError(message, where + path) from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise SnapshotError(f"{type(exc).__name__}: {exc}", where) from None
    return result
