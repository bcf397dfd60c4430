"""Snapshots: the model as a JSON-safe, versioned ``dict`` (DESIGN.md "Snapshots … are the only
copy").

One :class:`cattrs.Converter`, configured once here, unstructures the whole model:

* enums become their values (``"completed"``, ``"input-complete"``, ``"warning"``);
* :class:`~streamfold.model.TextBuffer` fields become plain strings, under the name the model's
  read-only property uses (``ToolCall.arguments_buffer`` → ``"arguments"``, ``output_buffer`` →
  ``"output"``, a part's ``buffer`` → ``"text"``);
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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Final

import cattrs
import orjson
from cattrs.gen import make_dict_unstructure_fn, override

from .model import (
    UNSET,
    Checkpoint,
    Conversation,
    CustomEvent,
    Interrupt,
    ReasoningPart,
    Run,
    Span,
    TextBuffer,
    TextPart,
    ToolCall,
    ToolCallPart,
)

__all__ = ["SNAPSHOT_VERSION", "converter", "to_dict", "to_json"]

SNAPSHOT_VERSION: Final = 1
"""Bumped whenever a key changes meaning or disappears (adding keys does not bump it)."""


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(unstruct_collection_overrides={tuple: list})
    conv.register_unstructure_hook(type(UNSET), lambda _: None)
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

    conv.register_unstructure_hook(
        Span,
        make_dict_unstructure_fn(
            Span,
            conv,
            parent=override(omit=True),
            _children=lazy_list("children", Span),
            _message_ids=lazy_list("message_ids", str),
        ),
    )
    conv.register_unstructure_hook(
        ToolCall,
        make_dict_unstructure_fn(
            ToolCall,
            conv,
            arguments_buffer=override(rename="arguments"),
            output_buffer=override(rename="output"),
            input=override(omit_if_default=True),
            result_value=override(omit_if_default=True),
            _timeline=override(rename="timeline", unstruct_hook=lambda t: [list(x) for x in t]),
        ),
    )
    for part_type in (TextPart, ReasoningPart):
        conv.register_unstructure_hook(
            part_type, make_dict_unstructure_fn(part_type, conv, buffer=override(rename="text"))
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


converter: Final = _make_converter()
"""The converter behind :func:`to_dict`; use it to unstructure a single model object."""


def to_dict(
    conversation: Conversation, *, stats: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The conversation as a JSON-safe dict: ``{"version": 1, "sessions": {…}, "usage": {…},
    "diagnostics": […], "diagnostics_evicted": n}``, plus ``"stats"`` when given (a reducer's
    ``frames_in`` / ``frames_applied`` / ``frames_dropped``)."""
    body: dict[str, Any] = converter.unstructure(conversation)
    document: dict[str, Any] = {"version": SNAPSHOT_VERSION}
    if stats is not None:
        document["stats"] = dict(stats)
    document.update(body)
    return document


def to_json(
    conversation: Conversation, *, stats: Mapping[str, int] | None = None, indent: bool = True
) -> bytes:
    """:func:`to_dict` serialized by orjson (UTF-8 bytes, keys in model order)."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(to_dict(conversation, stats=stats), option=option)
