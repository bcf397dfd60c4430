"""The Loom agent stream (NDJSON with a session/node/event envelope); see ``docs/loom.md``.

Modules, bottom up: ``state`` (sessions, runs, calls, span-stack helpers), the handlers
``handlers`` (nodes, text, usage, state, checkpoints) and ``tools`` (tool calls and their
null-call-id reconciliation), ``repl`` (the REPL's non-JSON lines), and ``decoder``
(entry, event_id sequencing, sessions and runs, reply routing, search frames), which combines
them into :class:`LoomDecoder`.
"""

from .decoder import LOOM_EVENT_TYPES, LoomDecoder

__all__ = ["LOOM_EVENT_TYPES", "LoomDecoder"]
