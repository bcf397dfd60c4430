"""TanStack AI chunks and AG-UI events, every era; see ``docs/tanstack.md``.

Modules, bottom up: ``vocab`` (event types, :func:`~.vocab.detect`), ``wire`` (pure field
access, usage, ``MESSAGES_SNAPSHOT`` parts), ``state`` (runs, messages, calls, retired state),
then the handlers ``runs``, ``messages``, ``tools``, ``snapshots`` and ``legacy`` (era A), which
``decoder`` combines into :class:`TanStackDecoder` with its dispatch table.
"""

from .decoder import TanStackDecoder
from .vocab import AGUI_EVENT_TYPES, LEGACY_CHUNK_TYPES

__all__ = ["AGUI_EVENT_TYPES", "LEGACY_CHUNK_TYPES", "TanStackDecoder"]
