"""The CLI over timed recordings (original timing, --from/--until) and `convert`."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streamfold import Reducer
from streamfold.cli import feed_paced, fixed_pacer, main
from streamfold.export.tanstack import to_ui_messages
from streamfold.notifications import Notification, TextDelta
from streamfold.sources import fold_file

from .formats.loom.loomscript import Envelope

RECORDINGS = Path(__file__).parent.parent / "examples" / "recordings"


def timed_recording(tmp_path: Path) -> tuple[Path, list[float]]:
    """A streamfold recording (docs/recording.md) of a Loom run, frames 0.5 s apart."""
    e = Envelope("run-timed")
    e.event("node_enter", id="think")
    for word in ("one ", "two ", "three ", "four "):
        e.event("message_chunk", content=word, id="think")
    e.event("node_exit", id="think", result="Ok")
    e.reply("one two three four ", "thread-t")
    times = [0.5 * i for i in range(len(e.lines))]
    header = {"streamfold_recording": 1, "framing": "ndjson", "clock": "monotonic"}
    lines = [orjson.dumps(header)]
    lines += [
        orjson.dumps({"t": t, "frame": line.decode()})
        for t, line in zip(times, e.lines, strict=True)
    ]
    path = tmp_path / "run.recording.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, times


def replay(path: Path, **options: object) -> tuple[list[str], list[float]]:
    deltas: list[str] = []
    delays: list[float] = []

    def on_frame(notes: list[Notification] | tuple[Notification, ...], delay: float) -> None:
        deltas.extend(n.delta for n in notes if isinstance(n, TextDelta))

    with path.open("rb") as fh:
        feed_paced(
            fh,
            Reducer(),
            pacer=fixed_pacer(1.0),
            on_frame=on_frame,  # type: ignore[arg-type]
            sleep=delays.append,
            name=path.name,
            **options,  # type: ignore[arg-type]
        )
    return deltas, delays


def test_timed_recording_replays_at_the_recorded_pace(tmp_path: Path) -> None:
    path, times = timed_recording(tmp_path)
    deltas, delays = replay(path, speed=2.0)
    assert deltas == ["one ", "two ", "three ", "four "]
    # Every gap is 0.5 s of recorded time: 0.25 s at speed 2 (the last frame has none after it).
    assert delays == [0.25] * (len(times) - 1)


def test_from_and_until_select_recorded_time(tmp_path: Path) -> None:
    path, _ = timed_recording(tmp_path)
    # Frames at 0.0 (enter), 0.5 "one", 1.0 "two", 1.5 "three", 2.0 "four", …
    deltas, _ = replay(path, speed=1.0, start=1.2, until=1.9)
    assert deltas == ["three "]  # "one" and "two" were applied silently by the seek


def test_untimed_input_uses_the_pacer_and_frame_numbers(tmp_path: Path) -> None:
    e = Envelope("run-u")
    e.event("node_enter", id="think")
    for word in ("a", "b", "c"):
        e.event("message_chunk", content=word, id="think")
    path = tmp_path / "plain.ndjson"
    path.write_bytes(b"\n".join(e.lines) + b"\n")
    deltas, delays = replay(path, speed=1.0, start=2, until=3)
    assert deltas == ["b"]
    assert delays and all(d > 0 for d in delays)


def test_inspect_and_fold_file_read_a_streamfold_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = timed_recording(tmp_path)
    conversation = fold_file(path)
    [run] = conversation.runs
    assert run.reply == "one two three four "
    assert main(["inspect", str(path), "--json"]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["stats"]["frames_in"] == 7


def test_replay_cli_from_until_plain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = timed_recording(tmp_path)
    assert main(["replay", str(path), "--instant", "--from", "1.2", "--until", "1.9"]) == 0
    out = capsys.readouterr().out
    assert "end: 1 run(s)" in out


@pytest.mark.parametrize(
    "name",
    ["tanstack-agui-tools.sse", "tanstack-agui-client-tool.ndjson", "tanstack-legacy-tools.sse"],
)
def test_convert_prints_tanstack_ui_messages(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = RECORDINGS / name
    assert main(["convert", str(path), "--to", "tanstack-ui-messages"]) == 0
    printed = orjson.loads(capsys.readouterr().out)
    assert printed == to_ui_messages(fold_file(path))
    assert printed
    assert all(m["role"] in ("user", "assistant", "system") for m in printed)


def test_convert_rejects_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "x", "--to", "nope"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_convert_unreadable_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "/nonexistent/file", "--to", "tanstack-ui-messages"]) == 1
    assert "cannot read" in capsys.readouterr().err
