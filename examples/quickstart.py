"""The README's ten-line example: stream a Loom recording, print text and tool-call states.

Run: ``python examples/quickstart.py [FILE]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamfold import Reducer
from streamfold.notifications import TextDelta, ToolCallStateChanged

DEFAULT = Path(__file__).parent / "recordings" / "loom-react-parallel-tools.ndjson"


def main(path: Path = DEFAULT) -> Reducer:
    reducer = Reducer()  # detects the format of each frame
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4096), b""):  # bytes split anywhere are fine
            for note in reducer.feed_bytes(chunk):
                match note:
                    case TextDelta(delta=delta):
                        print(delta, end="")
                    case ToolCallStateChanged(call=call, new=state):
                        print(f"\n[{call.name}: {state}]")
    reducer.close()  # ends runs that never got their reply
    return reducer


if __name__ == "__main__":
    reducer = main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    run = reducer.conversation.runs[0]
    print(f"\n\nreply: {run.reply!r}\nstatus: {run.status}, usage: {run.usage.total_tokens}")
