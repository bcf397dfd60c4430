"""streamfold: fold streamed LLM and agent output into one conversation model.

Sans-IO core::

    from streamfold import Reducer

    reducer = Reducer()                      # detects the format of each frame
    for line in open("run.ndjson", "rb"):
        for note in reducer.feed_line(line):
            ...                              # typed notifications (streamfold.notifications)
    reducer.close()
    conversation = reducer.conversation      # sessions → runs → spans, messages, tool calls

See ``docs/`` for the model, the formats and the diagnostics catalog.
"""

from . import events, notifications
from .errors import FramingError, ProtocolError, SnapshotError, StreamfoldError, UsageError
from .io.sync import fold, fold_file
from .model import (
    UNSET,
    Approval,
    Conversation,
    Diagnostic,
    Message,
    ReasoningPart,
    Run,
    RunStatus,
    Session,
    Severity,
    Span,
    SpanStatus,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolCallState,
    ToolResultPart,
    Usage,
)
from .reducer import Reducer

__version__ = "0.1.0"

__all__ = [
    "UNSET",
    "Approval",
    "Conversation",
    "Diagnostic",
    "FramingError",
    "Message",
    "ProtocolError",
    "ReasoningPart",
    "Reducer",
    "Run",
    "RunStatus",
    "Session",
    "Severity",
    "SnapshotError",
    "Span",
    "SpanStatus",
    "StreamfoldError",
    "TextPart",
    "ToolCall",
    "ToolCallPart",
    "ToolCallState",
    "ToolResultPart",
    "Usage",
    "UsageError",
    "__version__",
    "events",
    "fold",
    "fold_file",
    "notifications",
]
