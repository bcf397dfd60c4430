"""TanStack AI chunks and AG-UI events, every era; see ``docs/tanstack.md``."""

from .decoder import AGUI_EVENT_TYPES, LEGACY_CHUNK_TYPES, TanStackDecoder

__all__ = ["AGUI_EVENT_TYPES", "LEGACY_CHUNK_TYPES", "TanStackDecoder"]
