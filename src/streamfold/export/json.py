"""The model as a JSON-safe, versioned ``dict``: the document ``streamfold inspect --json``
prints, and the model section of a resume snapshot (docs/snapshot.md).

One :class:`cattrs.Converter`, configured once here, unstructures the whole model:

* enums become their values (``"completed"``, ``"input-complete"``, ``"warning"``);
* :class:`~streamfold.model.TextBuffer` fields become plain strings, under the name the model's
  read-only property uses (``ToolCall.arguments_buffer`` → ``"arguments"``, ``output_buffer`` →
  ``"output"``, a part's ``buffer`` → ``"text"``); characters a size limit did not keep are
  counted beside them (``"arguments_dropped"``, ``"output_dropped"``, ``"text_dropped"``),
  present only when not 0;
* ``Span.parent`` is omitted (the tree is given by nesting ``children``);
* the model's privately kept fields are exported under their public names, as the public
  properties read them (``Run._spans`` → ``"spans"``, an unused list → ``[]``,
  ``ToolCall._timeline`` → ``"timeline"`` of ``[state, frame_index]`` pairs);
* a :class:`~streamfold.model.ToolCallPart` is a reference ``{"kind": "tool-call", "call_id": …}``
  (the call itself is in its run's ``tool_calls``);
* ``UNSET`` is absent (``ToolCall.input``, ``ToolCall.result_value``) or ``null`` elsewhere;
* deques and tuples become lists.

The result contains only ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` /
``None`` (plus whatever JSON values a stream carried in states and custom events), so
``orjson.dumps`` takes it as it is (:func:`to_json`).

:func:`configure_unstructure` is the configuration itself, so that the resume snapshot
(:mod:`streamfold.snapshot`) writes its model section with exactly these rules.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

import cattrs
import orjson
from cattrs.gen import make_dict_unstructure_fn, override

from ..model import (
    UNSET,
    Checkpoint,
    Conversation,
    CustomEvent,
    Interrupt,
    ReasoningPart,
    Run,
    RunStatus,
    Severity,
    Span,
    SpanStatus,
    TextBuffer,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
)
from ..model.text import dumps

__all__ = ["EXPORT_VERSION", "configure_unstructure", "converter", "to_dict", "to_json"]

EXPORT_VERSION: Final = 1
"""Bumped whenever a key changes meaning or disappears (adding keys does not bump it)."""


def configure_unstructure(
    conv: cattrs.Converter, *, share_values: bool = False
) -> cattrs.Converter:
    """Register the model's unstructure hooks on ``conv`` (the module docstring's rules).

    ``share_values=True`` passes the stream's own JSON values (``Run.state``, tool inputs,
    custom event values, metadata values…) through as the same objects instead of copying them
    (the resume snapshot: faster, and no recursion into values nested deeper than the
    interpreter's recursion limit). Span trees are unstructured without recursion either way.
    """
    if share_values:
        conv.register_unstructure_hook_func(lambda t: t is Any, _same)
    else:  # copied without recursion: a stream's value may nest past the recursion limit
        conv.register_unstructure_hook_func(lambda t: t is Any, lambda v: _copy(v, conv))
    conv.register_unstructure_hook(type(UNSET), lambda _: None)
    for kind in (RunStatus, SpanStatus, ToolCallState, Severity):  # plain str, not the member
        conv.register_unstructure_hook(kind, _value)
    conv.register_unstructure_hook(TextBuffer, str)
    conv.register_unstructure_hook(deque, lambda d: [conv.unstructure(item) for item in d])
    conv.register_unstructure_hook(
        ToolCallPart, lambda part: {"kind": part.kind, "call_id": part.call_id}
    )

    def lazy_list(name: str, items: Any) -> Any:
        """Export a list that the model keeps as ``None`` until first used, as ``[]`` then."""

        def unstructure(value: list[Any] | None) -> list[Any]:
            return [] if value is None else conv.unstructure(value, list[items])

        return override(rename=name, unstruct_hook=unstructure)

    span_fields = make_dict_unstructure_fn(
        Span,
        conv,
        parent=override(omit=True),
        _children=override(rename="children", unstruct_hook=_empty_list),
        _message_ids=lazy_list("message_ids", str),
    )
    conv.register_unstructure_hook(Span, lambda span: _span_tree(span, span_fields))
    call_fields = make_dict_unstructure_fn(
        ToolCall,
        conv,
        arguments_buffer=override(rename="arguments"),
        output_buffer=override(rename="output"),
        input=override(omit_if_default=True),
        result_value=override(omit_if_default=True),
        _timeline=override(rename="timeline", unstruct_hook=lambda t: [list(x) for x in t]),
    )

    def tool_call(call: ToolCall) -> dict[str, Any]:
        out = call_fields(call)
        if call.arguments_buffer.dropped:
            out["arguments_dropped"] = call.arguments_buffer.dropped
        if call.output_buffer.dropped:
            out["output_dropped"] = call.output_buffer.dropped
        return out

    conv.register_unstructure_hook(ToolCall, tool_call)
    for part_type in (TextPart, ReasoningPart):
        conv.register_unstructure_hook(
            part_type,
            _with_text_dropped(
                make_dict_unstructure_fn(part_type, conv, buffer=override(rename="text"))
            ),
        )
    # Last: the generated function binds the hooks above (tool calls, parts, spans).
    conv.register_unstructure_hook(
        Run,
        make_dict_unstructure_fn(
            Run,
            conv,
            _spans=lazy_list("spans", Span),
            _checkpoints=lazy_list("checkpoints", Checkpoint),
            _custom_events=lazy_list("custom_events", CustomEvent),
            _interrupts=lazy_list("interrupts", Interrupt),
            _unknown_events=lazy_list("unknown_events", dict[str, Any]),
            _missing=lazy_list("missing", tuple[int, int]),
        ),
    )
    return conv


def _same(value: Any) -> Any:
    return value


def _copy(value: Any, conv: cattrs.Converter) -> Any:
    """A copy of a stream's JSON value (dicts and lists new, scalars shared), by an explicit
    stack; anything else (an object a caller applied) is unstructured by ``conv``."""
    kind = type(value)
    if kind is not dict and kind is not list and kind is not tuple:
        return value if kind in _SCALARS else conv.unstructure(value)
    root: Any = {} if kind is dict else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        is_dict = type(target) is dict
        for key, item in items:
            kind = type(item)
            if kind is dict or kind is list or kind is tuple:
                child: Any = {} if kind is dict else []
                stack.append((item, child))
            elif kind in _SCALARS:
                child = item
            else:
                child = conv.unstructure(item)
            if is_dict:
                target[key] = child
            else:
                target.append(child)
    return root


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def _value(member: enum.Enum) -> Any:
    return member.value


def _empty_list(_: object) -> list[Any]:
    return []


def _with_text_dropped(
    fields: Callable[[Any], dict[str, Any]],
) -> Callable[[TextPart | ReasoningPart], dict[str, Any]]:
    def unstructure(part: TextPart | ReasoningPart) -> dict[str, Any]:
        out = fields(part)
        if part.buffer.dropped:
            out["text_dropped"] = part.buffer.dropped
        return out

    return unstructure


def _span_tree(root: Span, fields: Callable[[Span], dict[str, Any]]) -> dict[str, Any]:
    """``root`` and its descendants, nested under ``"children"``, by an explicit stack (a
    stream can nest spans deeper than Python's recursion limit)."""
    out = fields(root)
    stack = [(root, out)]
    while stack:
        span, node = stack.pop()
        children: list[dict[str, Any]] = node["children"]
        for child in span._children or ():
            child_node = fields(child)
            children.append(child_node)
            stack.append((child, child_node))
    return out


converter: Final = configure_unstructure(
    cattrs.Converter(unstruct_collection_overrides={tuple: list})
)
"""The converter behind :func:`to_dict`; use it to unstructure a single model object."""


def to_dict(
    conversation: Conversation, *, stats: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The conversation as a JSON-safe dict: ``{"version": 1, "sessions": {…}, "usage": {…},
    "diagnostics": […], "diagnostics_evicted": n}``, plus ``"stats"`` when given (a reducer's
    ``frames_in`` / ``frames_applied`` / ``frames_dropped``)."""
    body: dict[str, Any] = converter.unstructure(conversation)
    document: dict[str, Any] = {"version": EXPORT_VERSION}
    if stats is not None:
        document["stats"] = dict(stats)
    document.update(body)
    return document


def to_json(
    conversation: Conversation, *, stats: Mapping[str, int] | None = None, indent: bool = True
) -> bytes:
    """:func:`to_dict` serialized by orjson (UTF-8 bytes, keys in model order). A lone
    surrogate the model was given (e.g. in an id) is written as U+FFFD (``docs/model.md``,
    "Text integrity"): never a ``TypeError``."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return dumps(to_dict(conversation, stats=stats), option=option)
