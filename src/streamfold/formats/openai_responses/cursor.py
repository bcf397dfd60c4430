"""The OpenAI Responses decoder's state as a snapshot cursor (the ``decoders.openai-responses``
section of a resume snapshot, ``docs/snapshot.md``). The decoder keeps its state in plain attrs
classes (:mod:`.state`), so the cursor is that state."""

from __future__ import annotations

from typing import Final

from ...errors import SnapshotError
from .decoder import OpenAIResponsesDecoder
from .state import ResponsesState

__all__ = ["CURSOR", "DECODER", "VERSION", "load", "save"]

VERSION: Final = 1
DECODER: Final = OpenAIResponsesDecoder
CURSOR: Final = ResponsesState


def save(decoder: OpenAIResponsesDecoder) -> ResponsesState:
    """The decoder's state between two frames."""
    return decoder.state


def load(cursor: ResponsesState) -> OpenAIResponsesDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    if (cursor.run_id is None) != (cursor.message_id is None):
        raise SnapshotError("a run without its message", "decoders.openai-responses.message_id")
    if cursor.run_id is None and (cursor.items or cursor.calls):
        raise SnapshotError("items without an open response", "decoders.openai-responses.items")
    if cursor.error is not None and len(cursor.error) != 2:
        raise SnapshotError("the error is [message, code]", "decoders.openai-responses.error")
    return OpenAIResponsesDecoder(cursor)
