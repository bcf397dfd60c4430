"""Issue #22 through the installed command line (``python -m streamfold`` in a subprocess):
exit codes, stdout and stderr as a user sees them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import orjson
import pytest

from ..formats.loom.loomscript import Envelope
from .run import RECORDINGS, ROOT, streamfold


def _loom(path: Path, *, garbage_at: int | None = None) -> Path:
    """A small Loom run (7 frames); optionally a non-JSON line inserted at ``garbage_at``."""
    e = Envelope("run-x")
    e.event("node_enter", id="think")
    for word in ("one ", "two ", "three ", "four "):
        e.event("message_chunk", content=word, id="think")
    e.event("node_exit", id="think", result="Ok")
    e.reply("one two three four ", "thread-x")
    lines = list(e.lines)
    if garbage_at is not None:
        lines.insert(garbage_at, b"this is not json")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _timed(path: Path, *, truncate: bool = False) -> Path:
    """A streamfold recording (docs/recording.md) of the same run, frames 0.5 s apart;
    ``truncate`` cuts its last line in half (a writer killed mid-write)."""
    e = Envelope("run-t")
    e.event("node_enter", id="think")
    for word in ("one ", "two ", "three ", "four "):
        e.event("message_chunk", content=word, id="think")
    e.event("node_exit", id="think", result="Ok")
    e.reply("one two three four ", "thread-t")
    header = {"streamfold_recording": 1, "framing": "ndjson", "clock": "monotonic"}
    lines = [orjson.dumps(header)] + [
        orjson.dumps({"t": 0.5 * i, "frame": line.decode()}) for i, line in enumerate(e.lines)
    ]
    data = b"\n".join(lines) + b"\n"
    if truncate:
        data += orjson.dumps({"t": 9.0, "frame": e.lines[0].decode()})[:20]
    path.write_bytes(data)
    return path


# ------------------------------------------------------ 1. exit status says what was understood

NOT_UNDERSTOOD = re.compile(
    r"^streamfold: \S+: not understood: 0 of \d+ frame\(s\) applied and no known format"
    r" \(anthropic, loom, nnrp, nnrp-wire, openai-chat, openai-responses, tanstack, vercel-ui\)"
    r" recognised \(not_json ×\d+\)\n$"
)


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("inspect", "random"),
        ("inspect --json", "toml"),
        ("convert", "random"),
        ("convert", "toml"),
        ("replay", "toml"),
    ],
)
def test_input_nothing_understood_exits_3_with_one_line(
    command: str, kind: str, tmp_path: Path
) -> None:
    path = tmp_path / f"input.{kind}"
    if kind == "random":
        path.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(4000)))
    else:
        path.write_text('[server]\nport = 8080\nname = "x"\n')
    args = command.split()
    extra = ["--to", "tanstack-ui-messages"] if command == "convert" else []
    result = streamfold(args[0], str(path), *args[1:], *extra)
    assert result.returncode == 3
    assert NOT_UNDERSTOOD.match(result.stderr), result.stderr
    if command == "convert":
        assert result.stdout == "{}\n"  # no session at all: an empty object, and a word on stderr


def test_empty_input_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(b"")
    result = streamfold("inspect", "--json", str(path))
    assert result.returncode == 3
    assert result.stderr == f"streamfold: {path}: no frames in the input\n"


def test_clean_input_is_quiet_and_damaged_input_is_counted_on_stderr(tmp_path: Path) -> None:
    clean = _loom(tmp_path / "clean.ndjson")
    for args in (["inspect"], ["inspect", "--json"], ["replay", "--instant"]):
        result = streamfold(args[0], str(clean), *args[1:])
        assert (result.returncode, result.stderr) == (0, "")
    result = streamfold("convert", str(clean), "--to", "tanstack-ui-messages")
    assert (result.returncode, result.stderr) == (0, "")
    damaged = _loom(tmp_path / "damaged.ndjson", garbage_at=3)
    result = streamfold("replay", str(damaged), "--instant")
    assert result.returncode == 0
    assert result.stderr == (
        f"streamfold: {damaged}: 1 of 8 frame(s) dropped · 1 diagnostic(s)"
        " (streamfold inspect lists them)\n"
    )
    result = streamfold("inspect", str(damaged))
    assert result.stderr == f"streamfold: {damaged}: 1 of 8 frame(s) dropped · 1 diagnostic(s)\n"


@pytest.mark.parametrize(
    "args",
    [
        ["replay", "--instant"],
        ["inspect"],
        ["inspect", "--json"],
        ["convert", "--to", "tanstack-ui-messages"],
    ],
)
def test_strict_stops_at_the_first_protocol_error(args: list[str], tmp_path: Path) -> None:
    damaged = _loom(tmp_path / "damaged.ndjson", garbage_at=3)
    result = streamfold(args[0], str(damaged), *args[1:], "--strict")
    assert result.returncode == 4
    assert result.stderr == (
        f"streamfold: {damaged}: protocol error at frame 3: not_json: line is not JSON (--strict)\n"
    )
    if args[0] == "replay":  # lenient by default; a clean input passes --strict
        assert streamfold(args[0], str(damaged), *args[1:]).returncode == 0
        clean = _loom(tmp_path / "clean.ndjson")
        assert streamfold(args[0], str(clean), *args[1:], "--strict").returncode == 0


def test_demo_takes_strict() -> None:
    result = streamfold("demo", "--instant", "--strict")
    assert (result.returncode, result.stderr) == (0, "")
    assert "⤷ sub-agent via" in result.stdout


# ----------------------------------------------------------------------- 2. damage is visible


def test_a_truncated_recording_is_reported_by_inspect_and_replay(tmp_path: Path) -> None:
    path = _timed(tmp_path / "cut.recording.ndjson", truncate=True)
    result = streamfold("inspect", str(path))
    assert result.returncode == 0
    assert ": 7 frames (7 applied, 0 dropped) · 1 session(s) · 1 run(s) · 1 diagnostic(s)" in (
        result.stdout
    )
    assert "diagnostics (1)\n  truncated_record ×1 (recording file) · lines 9 · skipped" in (
        result.stdout
    )
    assert result.stderr == f"streamfold: {path}: 0 of 7 frame(s) dropped · 1 diagnostic(s)\n"
    result = streamfold("inspect", "--json", str(path))
    document = orjson.loads(result.stdout)
    assert document["recording"]["framing"] == "recording"
    assert [p["code"] for p in document["recording"]["problems"]] == ["truncated_record"]
    result = streamfold("replay", "--instant", str(path))
    lines = result.stdout.splitlines()
    assert lines[-2].startswith("diagnostic warning truncated_record line 9 (skipped): ")
    assert lines[-1].endswith(" · frames 7 (7 applied, 0 dropped) · 1 diagnostic(s)")
    assert result.returncode == 0
    result = streamfold("replay", "--instant", "--strict", str(path))
    assert result.returncode == 4
    assert result.stderr.startswith(f"streamfold: {path} line 9: truncated_record: ")


# --------------------------------------------------------------------------------- 3. replay


def test_positions_need_a_unit(tmp_path: Path) -> None:
    path = _loom(tmp_path / "run.ndjson")
    result = streamfold("replay", str(path), "--from", "12")
    assert result.returncode == 2
    assert "not a position: '12' (say 12s or frame:12); use 12s, 250ms or frame:40" in (
        result.stderr
    )


def _run_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[")]


def test_positions_mean_the_same_in_every_mode(tmp_path: Path) -> None:
    timed = _timed(tmp_path / "run.recording.ndjson")
    # Frames at 0.0 (enter), 0.5 "one", 1.0 "two", 1.5 "three", 2.0 "four", 2.5 exit, 3.0 reply.
    outputs = {
        mode: streamfold("replay", str(timed), *mode, "--from", "1.2s", "--until", "1.9s").stdout
        for mode in (("--instant",), ("--speed", "1000"))
    }
    instant, fast = outputs.values()
    assert instant == fast
    assert "[run-t#1] assistant (think): three " in instant  # only "three": 1.5 s
    assert "one" not in "".join(_run_lines(instant))
    frames = {
        mode: streamfold("replay", str(timed), *mode, "--from", "frame:2", "--until", "frame:4")
        for mode in (("--instant",), ("--speed", "1000"))
    }
    assert frames[("--instant",)].stdout == frames[("--speed", "1000")].stdout
    assert "assistant (think): two three " in frames[("--instant",)].stdout
    # An untimed file: seconds of the fixed pace (docs/cli.md), the same with --instant.
    untimed = _loom(tmp_path / "run.ndjson")
    paced = {
        mode: streamfold("replay", str(untimed), *mode, "--until", "200ms").stdout
        for mode in (("--instant",), ("--speed", "1000"))
    }
    assert paced[("--instant",)] == paced[("--speed", "1000")]
    # node_enter at 0 s, "one" (starts the message: structural) at 0.12 s, "two" at 0.24 s.
    assert "cut at frame 2 " in paced[("--instant",)]


def test_until_leaves_runs_open_at_cut_not_failed(tmp_path: Path) -> None:
    path = _loom(tmp_path / "run.ndjson")
    result = streamfold("replay", "--instant", str(path), "--until", "frame:3")
    assert result.returncode == 0
    assert "failed" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[-2] == "[run-x#1] run open at cut · usage prompt 0 · completion 0 · total 0"
    assert lines[-1].startswith("end (cut at frame 3 · 0.24s): 1 run(s), 1 open at cut · ")
    whole = streamfold("replay", "--instant", str(path)).stdout
    assert "[run-x#1] run completed" in whole


def test_plain_works_without_rich(tmp_path: Path) -> None:
    blocker = tmp_path / "no-rich"
    blocker.mkdir()
    (blocker / "rich.py").write_text("raise ImportError('rich is not installed here')\n")
    path = _loom(tmp_path / "run.ndjson")
    for args in (["replay", "--plain", "--instant"], ["replay", "--instant"]):
        result = streamfold(args[0], str(path), *args[1:], prepend=(blocker,))
        assert (result.returncode, result.stderr) == (0, "")
        assert "[run-x#1] run completed" in result.stdout
    assert streamfold("demo", "--plain", "--instant", prepend=(blocker,)).returncode == 0
    result = streamfold("inspect", "--json", str(path), prepend=(blocker,))
    assert result.returncode == 0
    result = streamfold("inspect", str(path), prepend=(blocker,))
    assert result.returncode == 1
    assert result.stderr == (
        "streamfold: inspect needs rich for its report: pip install 'streamfold[cli]'"
        " (inspect --json, convert and replay --plain do not)\n"
    )


def test_bundled_recordings_from_real_senders_carry_arrival_times() -> None:
    timed = sorted((RECORDINGS / "timed").glob("tanstack-*.recording.ndjson"))
    assert len(timed) == len(list(RECORDINGS.glob("tanstack-*.sse"))) + 1  # + the NDJSON one
    for path in timed[:3]:
        result = streamfold("inspect", "--json", str(path))
        assert result.returncode == 0, path.name
        assert orjson.loads(result.stdout)["recording"]["framing"] == "recording"
    # The original timing is the sender's: "original timing" shows on the replay's clock.
    result = streamfold("replay", "--instant", str(timed[0]), "--until", "frame:1")
    assert re.search(r"end \(cut at frame 1 · 0\.\d\ds\)", result.stdout)


# ------------------------------------------------------------------------ 4. sessions apart


def test_convert_keeps_sessions_and_sub_agents_apart() -> None:
    path = RECORDINGS / "loom-multi-agent.ndjson"
    result = streamfold("convert", str(path), "--to", "tanstack-ui-messages")
    assert (result.returncode, result.stderr) == (0, "")
    threads = orjson.loads(result.stdout)
    assert list(threads) == [
        "run-6d2c6c37-fff0-4cec-a686-cda89c573d37",
        "run-329d7871-3e9d-4d6b-aab5-0dfccff281ee",
    ]
    parent = threads["run-6d2c6c37-fff0-4cec-a686-cda89c573d37"]
    calls = [p for m in parent for p in m["parts"] if p["type"] == "tool-call"]
    (invoke,) = [p for p in calls if p["name"] == "invoke_agent"]
    nested = invoke["subagentMessages"]
    assert [m["parts"][0]["content"][:25] for m in nested if m["parts"][0]["type"] == "text"]
    nested_ids = {m["id"] for m in nested}
    assert not nested_ids & {m["id"] for m in parent}  # never interleaved into the parent
    assert {p["name"] for m in nested for p in m["parts"] if p["type"] == "tool-call"} == {
        "read",
        "grep",
    }
    one = streamfold(
        "convert",
        str(path),
        "--to",
        "tanstack-ui-messages",
        "--session",
        "run-329d7871-3e9d-4d6b-aab5-0dfccff281ee",
    )
    assert orjson.loads(one.stdout) == threads["run-329d7871-3e9d-4d6b-aab5-0dfccff281ee"]
    missing = streamfold("convert", str(path), "--to", "tanstack-ui-messages", "--session", "x")
    assert (missing.returncode, missing.stderr) == (1, "streamfold: no session 'x'\n")


def test_convert_and_inspect_continue_a_history() -> None:
    """--run-input / --initial-messages seed the fold with the conversation the recording
    continues (docs/how-to/hydrate.md)."""
    agui = RECORDINGS / "agui"
    stream, request = agui / "pydantic-ai-approval-resume.sse", agui / "pydantic-ai-approval-resume"
    result = streamfold(
        "convert", str(stream), "--to", "tanstack-ui-messages",
        "--run-input", f"{request}.request.json",
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    (thread,) = orjson.loads(result.stdout).values()
    call = next(p for m in thread for p in m["parts"] if p["type"] == "tool-call")
    assert (call["id"], call["state"], call["output"]) == (
        "call_del",
        "complete",
        "deleted /tmp/old.log",
    )
    scenario = ROOT / "conformance" / "scenarios" / "continue-text-content"
    seeded = streamfold(
        "inspect", f"{scenario}.ndjson", "--json",
        "--initial-messages", f"{scenario}.initial.json",
    )  # fmt: skip
    assert seeded.returncode == 0
    (session,) = orjson.loads(seeded.stdout)["sessions"].values()
    assert session["session_id"] == "thread-1"  # the history's threadId: the stream's thread
    history = session["runs"][0]
    (message,) = [m for m in history["messages"] if m["message_id"] == "msg-1"]
    assert message["parts"][0]["text"] == "Sending it now."
    bad = streamfold("convert", str(stream), "--to", "tanstack-ui-messages", "--run-input=none")
    assert (bad.returncode, bad.stderr) == (1, "streamfold: none: No such file or directory\n")
    both = streamfold(
        "convert", str(stream), "--to", "tanstack-ui-messages",
        "--run-input", "a", "--initial-messages", "b",
    )  # fmt: skip
    assert both.returncode == 2


# ----------------------------------------------------------------------------- 6. packaging


def test_license_urls_and_readme() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'license = { text = "MIT" }' in pyproject
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    assert "WITHOUT WARRANTY OF ANY KIND" in license_text
    assert "[project.urls]" in pyproject
    readme = (ROOT / "README.md").read_text()
    usage = streamfold("--help").stdout
    for command in re.findall(r"^    (\w+) +\S", usage, flags=re.MULTILINE):
        assert f"streamfold {command}" in readme, command
    assert "python -m pytest tests" in readme  # the unit tests alone


def test_ci_script_installs_system_packages_only_when_asked(tmp_path: Path) -> None:
    """``.ci/system-deps`` with no npm and no chromium on PATH: it says what is missing and how
    to install it, and calls apt-get only with CI=true or STREAMFOLD_INSTALL_SYSTEM_DEPS=1."""
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool in ("apt-get", "sudo"):
        fake = bin_dir / tool
        fake.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n')
        fake.chmod(0o755)
    for tool in ("dirname", "cat", "id"):
        real = next(
            (Path(d) / tool for d in ("/usr/bin", "/bin") if (Path(d) / tool).exists()), None
        )
        if real is not None:
            (bin_dir / tool).symlink_to(real)
    script = ROOT / ".ci" / "system-deps"

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        environ = {"PATH": str(bin_dir), "HOME": str(tmp_path), **extra}
        return subprocess.run(
            ["/bin/bash", str(script)], capture_output=True, text=True, env=environ, check=False
        )

    result = run()
    assert result.returncode == 0
    assert "npm is missing" in result.stderr
    assert "chromium is missing" in result.stderr
    assert "sudo apt-get install nodejs npm chromium" in result.stderr
    assert not calls.exists()
    result = run(CI="true")
    assert "apt-get install -y -qq nodejs npm chromium" in calls.read_text()
    calls.unlink()
    run(STREAMFOLD_INSTALL_SYSTEM_DEPS="1")
    assert "apt-get install -y -qq nodejs npm chromium" in calls.read_text()
    assert os.access(script, os.X_OK)
