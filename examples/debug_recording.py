"""Replay and debug a recording: find what went wrong, jump to the frame, look at the model
there, and resume from a snapshot.

Run: ``python examples/debug_recording.py [FILE]`` (default: a Loom recording with a replayed
line and lost events). The tutorial ``docs/tutorials/replay-debug.md`` walks through it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamfold import Conversation, Reducer, fold_file
from streamfold.model import SpanStatus
from streamfold.recording import feed_frame, read_recording
from streamfold.replay import PeriodicSnapshots, Replayer
from streamfold.safe_text import inline, preview
from streamfold.snapshot import to_bytes

DEFAULT = Path(__file__).parent / "recordings" / "loom-gap-duplicate.ndjson"


# --8<-- [start:diagnose]
def diagnose(path: Path) -> list[str]:
    """Every anomaly, with the frame it came from and its raw text (nothing is lost)."""
    reducer = Reducer()
    conversation = fold_file(path, reducer)
    lines = [
        f"{reducer.frames_in} frames: {reducer.frames_applied} applied,"
        f" {reducer.frames_dropped} dropped"
    ]
    for d in conversation.diagnostics:
        kept = "dropped" if d.dropped else "applied"
        lines.append(f"frame {d.frame_index}: {d.severity} {d.code} ({kept}): {d.message}")
        lines.append(f"    raw: {preview(d.raw or '', 90)}")
    for run in conversation.runs:
        if run.lossy:
            lines.append(f"run {inline(run.run_id)} is lossy; missing event_ids {run.missing}")
    return lines


# --8<-- [end:diagnose]


# --8<-- [start:seek]
def model_at(path: Path, frame: int) -> list[str]:
    """The model as it was just before ``frame``: open spans and tool-call states."""
    replayer = Replayer.open(path, speed=None, snapshots=PeriodicSnapshots(every=10))
    replayer.seek(frame)  # frames [0, frame) applied; no notifications, read the model
    lines = [f"at frame {replayer.position} of {len(replayer.frames)}:"]
    for run in replayer.conversation.runs:
        open_spans = [s.name for s in run.walk_spans() if s.status is SpanStatus.OPEN]
        lines.append(f"  run {inline(run.run_id)} [{run.status}] open spans: {open_spans}")
        for call in run.tool_calls.values():
            lines.append(f"  tool {call.name} {call.call_id}: {call.state}")
    replayer.seek(0)  # backwards: a new reducer, from the nearest snapshot
    replayer.seek(frame + 1)
    lines.append(f"after frame {frame}: {len(replayer.conversation.diagnostics)} diagnostic(s)")
    return lines


# --8<-- [end:seek]


# --8<-- [start:resume]
def resume(path: Path, stop_at: int) -> Conversation:
    """Fold up to ``stop_at``, save the whole reducer as bytes, restore it, and go on."""
    frames = read_recording(path).frames
    reducer = Reducer()
    for frame in frames[:stop_at]:
        feed_frame(reducer, frame)
    saved = to_bytes(reducer)  # JSON bytes: the model and every decoder's state
    resumed = Reducer.from_snapshot(saved)  # an equal reducer, e.g. in another process
    for frame in frames[stop_at:]:
        feed_frame(resumed, frame)
    resumed.close()
    return resumed.conversation


# --8<-- [end:resume]


def main(path: Path = DEFAULT) -> list[str]:
    lines = diagnose(path)
    lines += model_at(path, 22)
    whole = fold_file(path)
    resumed = resume(path, 30)
    same = [r.text for r in resumed.runs] == [r.text for r in whole.runs]
    lines.append(f"resumed at frame 30 == folded whole: {same}")
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
