"""Answer an AG-UI interrupt, build the resume request, and fold the stream that continues.

::

    python examples/continue_conversation.py

Uses two recordings of pydantic-ai's ``AGUIAdapter`` (``examples/recordings/agui/``): the first
run stops to ask for approval of ``delete_file``; the user approves; the next request carries
the history and ``resume`` (its recorded body is ``pydantic-ai-approval-resume.request.json``);
the reducer for the new stream is seeded with that request, so the stream's result for the
history's call resolves it (docs/how-to/hydrate.md).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from streamfold import Reducer
from streamfold.actions import pending_interrupts, respond_to_interrupt, resume_entries
from streamfold.export.tanstack import to_ui_messages

HERE = Path(__file__).resolve().parent / "recordings" / "agui"


def main() -> None:
    first = Reducer()
    first.feed_sse((HERE / "pydantic-ai-approval.sse").read_bytes())
    first.close()
    for interrupt in pending_interrupts(first.conversation):
        print(f"interrupt {interrupt.interrupt_id}: {interrupt.message}")
        respond_to_interrupt(first, interrupt.interrupt_id or "", {"approved": True})
    resume = resume_entries(first.conversation)
    print("resume:", orjson.dumps(resume).decode())

    request = orjson.loads((HERE / "pydantic-ai-approval-resume.request.json").read_bytes())
    assert request["resume"] == resume  # what pydantic-ai's client sent
    second = Reducer.from_run_input(request)
    second.feed_sse((HERE / "pydantic-ai-approval-resume.sse").read_bytes())
    second.close()
    for message in to_ui_messages(second.conversation):
        for part in message["parts"]:
            if part["type"] == "text":
                print(f"{message['role']}: {part['content']}")
            elif part["type"] == "tool-call":
                print(f"tool {part['name']}: {part['state']} -> {part.get('output')}")


if __name__ == "__main__":
    main()
