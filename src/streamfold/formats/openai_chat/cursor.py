"""The OpenAI Chat Completions decoder's state as a snapshot cursor (the ``decoders.openai-chat``
section of a resume snapshot, ``docs/snapshot.md``). The decoder keeps its state in plain attrs
classes (:mod:`.state`), so the cursor is that state."""

from __future__ import annotations

from typing import Final

from ...errors import SnapshotError
from .decoder import OpenAIChatDecoder
from .state import ChatState

__all__ = ["CURSOR", "DECODER", "VERSION", "load", "save"]

VERSION: Final = 1
DECODER: Final = OpenAIChatDecoder
CURSOR: Final = ChatState


def save(decoder: OpenAIChatDecoder) -> ChatState:
    """The decoder's state between two frames."""
    return decoder.state


def load(cursor: ChatState) -> OpenAIChatDecoder:
    """A decoder in the state the cursor describes. Raises
    :class:`~streamfold.errors.SnapshotError` for a state no decoder can be in."""
    if cursor.run_id is None and cursor.choices:
        raise SnapshotError("choices without an open run", "decoders.openai-chat.choices")
    for key, choice in cursor.choices.items():
        if not key.lstrip("-").isdigit():
            raise SnapshotError("a choice key is not an index", "decoders.openai-chat.choices")
        if not set(choice.open_calls) <= set(choice.calls.values()):
            raise SnapshotError("an open call that is not a call", "decoders.openai-chat.choices")
    return OpenAIChatDecoder(cursor)
