"""The Loom agent stream (NDJSON with a session/node/event envelope); see ``docs/loom.md``."""

from .decoder import LOOM_EVENT_TYPES, LoomDecoder

__all__ = ["LOOM_EVENT_TYPES", "LoomDecoder"]
