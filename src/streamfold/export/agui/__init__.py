"""Re-emit any folded stream as AG-UI 1.0 events, frame by frame (sans-IO).

:class:`AGUIEncoder` turns the reducer's notifications (:mod:`streamfold.notifications`) into
AG-UI 1.0 event dicts in wire shape (camelCase keys, ``"type"`` first), whatever the input
format was: Loom, NNRP, TanStack legacy chunks or AG-UI itself::

    reducer, encoder = Reducer(), AGUIEncoder()
    for line in upstream:
        for event in encoder.encode(reducer.feed_line(line)):
            send(sse_frame(event))                 # or ndjson_line(event)
    for event in encoder.encode(reducer.close()) + encoder.close():
        send(sse_frame(event))

The sequence it emits passes AG-UI's own client verifier (``verifyEvents`` of
``@ag-ui/client`` 1.0): one run open at a time, every message / reasoning message / tool call /
step opened before its content and closed before ``RUN_FINISHED``, nothing after ``RUN_ERROR``.
Where the model and those rules disagree the encoder orders or holds events (``docs/agui-out.md``
"Ordering"):

* Runs that overlap (two Loom sessions, concurrent NNRP operations) are one AG-UI run plus
  sub-agents: the first run open is the AG-UI run, a run that starts while it is open is a
  sub-agent of it (``SUBAGENT_STARTED`` with ``subagentRunId`` = the run id), and the AG-UI
  run's ``RUN_FINISHED`` waits until its sub-agents have finished.
* Events with no run open (a tool result after its run finished, diagnostics before the first
  run) wait for the next ``RUN_STARTED``; :meth:`AGUIEncoder.close` wraps what is left in a run
  of its own (``<last run id>/after``), unless all of it is informational diagnostics (an SSE
  ``[DONE]``, a skipped REPL line), which are then left out (the model keeps them).
* ``TOOL_CALL_END`` goes out when the call moves past input-complete (executing, an approval,
  a result) or its run ends, so that arguments a sender adds after its own end (pydantic-ai
  does) are still ``TOOL_CALL_ARGS``. Argument text after that, or arguments the sender
  replaced whole, go in a ``streamfold.arguments`` custom event (the verifier refuses
  ``TOOL_CALL_ARGS`` for a closed call).

Ids come from the model: ``runId``, ``messageId``, ``toolCallId`` are the model's ids; a
reasoning part of message ``m`` is reasoning message ``m/reasoning/<n>``; a tool result is tool
message ``<call id>/result``; a Loom sub-agent (spans under a tool call) is sub-agent
``<call id>/agent``. The module needs nothing beyond streamfold's core dependencies
(``jsonpatch`` for ``STATE_DELTA``); validating against the ``ag-ui-protocol`` models is the
tests' job.
"""

from __future__ import annotations

from .encoder import AGUIEncoder, convert_to_agui, encode_conversation_frames
from .views import usage_to_agui
from .wire import AGUI_TARGETS, Event, ndjson_line, sse_frame

__all__ = [
    "AGUI_TARGETS",
    "AGUIEncoder",
    "Event",
    "convert_to_agui",
    "encode_conversation_frames",
    "ndjson_line",
    "sse_frame",
    "usage_to_agui",
]
