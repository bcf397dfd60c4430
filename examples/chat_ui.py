"""A chat view (rich Live) backed by the async API, fed by a replayed recording.

::

    python examples/chat_ui.py examples/recordings/loom-react-parallel-tools.ndjson --speed 2
    python examples/chat_ui.py run.recording.ndjson            # recorded by follow_sse.py

How it is wired (all anyio, so it runs the same on asyncio and trio):

* a :class:`~streamfold.replay.Replayer` plays the recording at its original timing (or
  ``--speed X``, or ``--instant``; files without times are paced by ``--interval``);
* a :class:`~streamfold.aio.Broadcaster` fans its notifications out to two subscribers: the view
  (``"block"`` policy: it must see everything) and a statistics counter (``"drop"`` policy with a
  small buffer: it may lag, and is told by how much with :class:`~streamfold.aio.Lagged`);
* the view's stream goes through :func:`~streamfold.coalesce.coalesced` (50 ms window), so a
  burst of small text deltas becomes one re-render;
* the view reads the live model (``replayer.conversation``) when it renders; notifications only
  say *when*. Stream text goes through :mod:`streamfold.safe_text` into ``rich.text.Text``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

import anyio
import orjson
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from streamfold.aio import Broadcaster, Lagged, Subscription
from streamfold.clock import Clock
from streamfold.coalesce import coalesced
from streamfold.io.recording import Recording, read_recording
from streamfold.model import (
    Conversation,
    ReasoningPart,
    Run,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolResultPart,
)
from streamfold.notifications import Notification
from streamfold.replay import Replayer
from streamfold.safe_text import inline, preview, printable, tail

__all__ = ["ChatView", "chat", "main"]

_TEXT_TAIL = 4000


class ChatView:
    """Renders a conversation as a chat transcript: one panel per run."""

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer
        self.seen: Counter[str] = Counter()
        """Notifications the view applied, by type (coalesced: fewer deltas than produced)."""
        self.counted: Counter[str] = Counter()
        """What the statistics subscriber saw, by type."""
        self.lagged = 0
        self.renders = 0

    @property
    def conversation(self) -> Conversation:
        return self.replayer.conversation

    def apply(self, note: Notification) -> None:
        self.seen[type(note).__name__] += 1

    def count(self, item: Notification | Lagged) -> None:
        if isinstance(item, Lagged):
            self.lagged += item.missed
        else:
            self.counted[type(item).__name__] += 1

    def render(self) -> RenderableType:
        self.renders += 1
        panels: list[RenderableType] = [self._run_panel(run) for run in self.conversation.runs]
        status = Text(
            f"frame {self.replayer.position}/{len(self.replayer.frames)}"
            f" · t={self.replayer.now:.2f}s · view got {sum(self.seen.values())} notes"
            f" · stats got {sum(self.counted.values())} (lagged {self.lagged})",
            style="dim",
        )
        return Group(*panels, status)

    def _run_panel(self, run: Run) -> Panel:
        lines: list[Text] = []
        if run.input_text and not any(m.role == "user" for m in run.messages):
            lines.append(_labelled("you", printable(run.input_text), "bold cyan"))
        for message in run.messages:
            user = message.role == "user"
            label = "you" if user else inline(message.role)
            for part in message.parts:
                if isinstance(part, TextPart) and part.text:
                    text = tail(printable(part.text), _TEXT_TAIL)
                    lines.append(_labelled(label, text, "bold cyan" if user else ""))
                elif isinstance(part, ReasoningPart) and part.text:
                    lines.append(_labelled("thinking", preview(part.text, 200), "dim italic"))
                elif isinstance(part, ToolCallPart):
                    lines.append(_tool_line(part.call))
                elif isinstance(part, ToolResultPart):
                    lines.append(_labelled("result", preview(_shown(part.display), 120), "green"))
        reply = run.display_reply  # None when the last message already says it
        if reply is not None:
            lines.append(_labelled("reply", printable(reply), "bold"))
        title = Text(f"{inline(run.run_id)} · {run.status}")
        return Panel(Group(*lines) if lines else Text("…"), title=title, title_align="left")


def _labelled(label: str, text: str, style: str = "") -> Text:
    line = Text()
    line.append(f"{label}: ", style="bold")
    line.append(text, style=style)
    return line


def _tool_line(call: ToolCall) -> Text:
    line = Text()
    line.append("tool ", style="bold magenta")
    line.append(inline(call.name or "?"), style="magenta")
    line.append(f"({preview(call.arguments, 60)})")
    line.append(f" [{call.state}]", style="dim")
    if call.display is not None or call.result is not None:
        # call.display: the error, the result's text (never quoted JSON) or its value when it
        # is structured, else the streamed output (docs/model.md, "What a UI shows").
        outcome = _shown(call.display)
        line.append(" → " + preview(outcome, 80), style="red" if call.error else "green")
    return line


def _shown(value: Any) -> str:
    """A display value as text: a string as it is, structured data as compact JSON."""
    return value if isinstance(value, str) else orjson.dumps(value, default=str).decode()


# --8<-- [start:wiring]
async def chat(
    recording: Recording,
    *,
    console: Console,
    speed: float | None = 1.0,
    interval: float = 0.03,
    window: float = 0.05,
    clock: Clock | None = None,
) -> ChatView:
    """Replay ``recording`` into a live chat view on ``console``; returns the view at the end."""
    replayer = Replayer(recording, speed=speed, untimed_interval=interval)
    view = ChatView(replayer)
    hub = Broadcaster()
    ui: Subscription = hub.subscribe(max_buffer=256, policy="block", name="ui")
    stats: Subscription = hub.subscribe(max_buffer=16, policy="drop", name="stats")

    async def produce() -> None:
        try:
            async for step in replayer.play(clock=clock):
                await hub.publish(step.notes)
        finally:
            hub.close()

    async def count() -> None:
        async for item in stats:
            view.count(item)

    with Live(view.render(), console=console, auto_refresh=False) as live:
        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            tg.start_soon(count)
            async with coalesced(ui, window=window, clock=clock) as notes:
                async for note in notes:
                    if isinstance(note, Lagged):  # not with the "block" policy; shown anyway
                        view.count(note)
                        continue
                    view.apply(note)
                    if notes.statistics().current_buffer_used == 0:  # caught up: draw
                        live.update(view.render(), refresh=True)
        live.update(view.render(), refresh=True)
    return view


# --8<-- [end:wiring]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay a recording into a live chat view.")
    parser.add_argument("recording", help="a streamfold recording, NDJSON, SSE or ChunkRecording")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="speed factor (default 1)")
    pace.add_argument("--instant", action="store_true", help="no waiting at all")
    parser.add_argument(
        "--interval", type=float, default=0.03, help="seconds between frames without times"
    )
    parser.add_argument("--window", type=float, default=50, help="coalescing window in ms")
    args = parser.parse_args(argv)
    try:
        recording = read_recording(args.recording)
    except OSError as exc:
        print(f"chat_ui: cannot read {inline(args.recording)}: {exc.strerror}", file=sys.stderr)
        return 1
    for problem in recording.problems:
        print(f"chat_ui: {problem.code}: {problem.message} (line {problem.line})", file=sys.stderr)
    console = Console(highlight=False)

    async def run() -> ChatView:
        return await chat(
            recording,
            console=console,
            speed=None if args.instant else args.speed,
            interval=args.interval,
            window=args.window / 1000,
        )

    try:
        anyio.run(run)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
