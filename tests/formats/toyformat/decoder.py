"""The toy format: a complete third-party streamfold format in one module.

Frames are JSON objects with a ``toy`` key::

    {"toy": "start", "run": "r1"}
    {"toy": "say", "text": "Hello, "}
    {"toy": "say", "text": "world"}
    {"toy": "end"}

A line starting with ``#`` is a comment of the format (recorded as INFO ``toy_comment``), and
SSE ``data: [DONE]`` ends the open run. ``docs/write-a-format.md`` walks through this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamfold.events import (
    AppendText,
    Diagnose,
    EndRun,
    Event,
    KeepUnknown,
    StartMessage,
    StartRun,
)
from streamfold.formats import DecoderBase
from streamfold.model import RunStatus, Severity

__all__ = ["ToyDecoder"]


class ToyDecoder(DecoderBase):
    """Decode toy frames into canonical events (one run at a time, one message per run)."""

    name = "toy"

    def __init__(self) -> None:
        self._run: str | None = None  # the open run's id
        self._runs = 0  # runs started so far, for ids of runs the sender did not name

    @staticmethod
    def detect(frame: Mapping[str, Any]) -> float:
        # The "toy" key is this format's own marker: certain. Anything else: not mine.
        return 1.0 if type(frame.get("toy")) is str else 0.0

    @staticmethod
    def non_json(text: str) -> Diagnose | None:
        if text.startswith("#"):
            return Diagnose("toy_comment", "toy comment line", Severity.INFO, dropped=True)
        return None  # anything else: the default not_json warning

    def decode(self, frame: Mapping[str, Any], frame_index: int) -> list[Event]:
        out: list[Event] = []
        kind = frame["toy"]
        if kind == "start":
            self._end(out, RunStatus.INCOMPLETE)  # a new run ends the one still open
            wanted = frame.get("run")
            self._start(out, wanted if type(wanted) is str else None)
            return out
        run_id = self._run or self._start(out, None)  # a frame before any start opens a run
        if kind == "say":
            text = frame.get("text")
            if type(text) is not str:  # bad input: a diagnostic, never an exception
                out.append(Diagnose("invalid_field", "say without a string text", dropped=True))
            else:
                out.append(AppendText(run_id, f"{run_id}/reply", text))
        elif kind == "end":
            self._end(out, RunStatus.COMPLETED)
        else:  # a type this decoder does not know: kept verbatim, not lost
            out.append(Diagnose("unknown_event_type", f"toy {kind!r}", Severity.INFO))
            out.append(KeepUnknown(run_id, dict(frame)))
        return out

    def end_of_stream(self, frame_index: int) -> list[Event]:
        out: list[Event] = []
        self._end(out, RunStatus.COMPLETED)  # SSE [DONE]: the stream ended cleanly
        return out

    def finish(self) -> list[Event]:
        out: list[Event] = []
        self._end(out, RunStatus.INCOMPLETE)  # end of input with a run still open
        return out

    def _start(self, out: list[Event], wanted: str | None) -> str:
        self._runs += 1
        run_id = self._run = wanted or f"toy#{self._runs}"
        out.append(StartRun("toy", run_id))
        out.append(StartMessage(run_id, f"{run_id}/reply", "assistant"))
        return run_id

    def _end(self, out: list[Event], status: RunStatus) -> None:
        if self._run is not None:
            out.append(EndRun(self._run, status))
            self._run = None
