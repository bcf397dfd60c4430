"""Timelines of a folded conversation for trace viewers (``docs/transcript.md``, "Timelines"):
the Chrome trace event format (:mod:`.chrome_trace`, Perfetto and ``chrome://tracing``) and
OpenTelemetry GenAI spans (:mod:`.otel`, the ``otel`` extra: any ``SpanProcessor``, or OTLP
JSON)."""

from __future__ import annotations

from .chrome_trace import trace_events, write_chrome_trace

__all__ = ["trace_events", "write_chrome_trace"]
