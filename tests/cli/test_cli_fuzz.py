"""The command line's promise (docs/cli.md, exit codes): whatever a file holds, every command
ends with an exit code and at most a line of its own on stderr, never a traceback.

The inputs are the recordings of every format, mutated as the reducer's adversarial tests
mutate them (drop, duplicate, swap, truncate, corrupt, retype, huge strings, nesting past
``max_json_depth`` and past orjson's writer, deep JSON inside strings, integers past 64 bits,
invalid UTF-8, unknown types), plus hand-made files for the defects the campaign found.
The commands run in this process (``streamfold.cli.main.main``), so a traceback would surface
as the exception itself; the internal-error exit code (70) must never appear either.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamfold.cli.main import EXIT_INTERNAL, main

from ..test_adversarial import BASE_STREAMS, mutate

U64_MAX = 2**64 - 1

COMMANDS: list[list[str]] = [
    ["inspect"],
    ["inspect", "--json"],
    ["inspect", "--json", "--strict"],
    ["transcript"],
    ["transcript", "--format", "html"],
    ["transcript", "--format", "json"],
    ["timeline", "--format", "chrome-trace"],
    ["timeline", "--format", "otlp-json"],
    ["convert", "--to", "agui-sse"],
    ["convert", "--to", "tanstack-ui-messages"],
    ["replay", "--instant", "--plain"],
]


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def check_every_command(path: Path, tmp: Path) -> None:
    for command in [*COMMANDS, ["export", "--to", "jsonl", "--no-progress", "-o", str(tmp)]]:
        code, _, err = run([*command, str(path)])
        assert code != EXIT_INTERNAL, (command, err)
        assert "Traceback" not in err, (command, err)
        assert code in (0, 1, 3, 4), (command, code, err)
        assert len([line for line in err.splitlines() if line.startswith("streamfold")]) <= 2


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.sampled_from(BASE_STREAMS), data=st.data())
def test_mutated_recordings_never_print_a_traceback(
    lines: list[bytes], data: st.DataObject, tmp_path: Path
) -> None:
    path = tmp_path / "mutated.ndjson"
    path.write_bytes(b"\n".join(mutate(lines, data)) + b"\n")
    check_every_command(path, tmp_path / "out")


def _loom(event_id: int, kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, "session_id": "s", "event_id": event_id, **fields})


HOSTILE: dict[str, list[str]] = {
    # Two usage reports near 2**64: the sum passes 64 bits (issue #23, item 4).
    "u64-usage": [
        _loom(1, "node_enter", id="think"),
        _loom(2, "usage", prompt_tokens=U64_MAX, completion_tokens=U64_MAX),
        _loom(3, "usage", prompt_tokens=U64_MAX, completion_tokens=U64_MAX),
    ],
    # A frame nested 1,000 deep (item 3), and one at the limit, which is applied.
    "deep-frame": [
        _loom(1, "node_enter", id="think")[:-1] + ', "x": ' + "[" * 1000 + "]" * 1000 + "}",
        _loom(2, "node_enter", id="act")[:-1] + ', "x": ' + "[" * 127 + "]" * 127 + "}",
    ],
    # Tool arguments and a result nested 1,000 deep inside JSON strings: parsed into the model.
    "deep-values": [
        json.dumps({"type": "RUN_STARTED", "threadId": "t", "runId": "r"}),
        json.dumps({"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "x"}),
        json.dumps({"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "[" * 1000 + "]" * 1000}),
        json.dumps({"type": "TOOL_CALL_END", "toolCallId": "c"}),
        json.dumps(
            {
                "type": "TOOL_CALL_RESULT",
                "messageId": "m",
                "toolCallId": "c",
                "content": "[" * 1000 + "]" * 1000,
            }
        ),
        json.dumps({"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}),
    ],
    # 1,500 nested spans (Loom node_enter without exits): the tree stops at 64 levels.
    "deep-spans": [_loom(i, "node_enter", id=f"n{i}") for i in range(1, 1500)],
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_never_print_a_traceback(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.ndjson"
    path.write_text("\n".join(HOSTILE[name]) + "\n")
    check_every_command(path, tmp_path / "out")


def test_inspect_json_writes_integers_past_64_bits_exactly(tmp_path: Path) -> None:
    path = tmp_path / "u64.ndjson"
    path.write_text("\n".join(HOSTILE["u64-usage"]) + "\n")
    code, out, err = run(["inspect", "--json", str(path)])
    assert code == 0, err
    document = json.loads(out)
    assert document["usage"]["prompt_tokens"] == 2 * U64_MAX  # exact, not a float
    assert document["usage"]["total_tokens"] == 4 * U64_MAX


def test_an_internal_error_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The last net: a bug is reported in one escaped line with exit code 70."""
    cli = importlib.import_module("streamfold.cli.main")  # (streamfold.cli.main is also a function)

    def broken(_: object) -> int:
        raise RuntimeError("boom \x1b[31m\nsecond line")

    monkeypatch.setitem(cli._COMMANDS, "inspect", broken)
    monkeypatch.delenv("STREAMFOLD_DEBUG", raising=False)
    code, _, err = run(["inspect", str(tmp_path)])
    assert code == EXIT_INTERNAL
    assert err.count("\n") == 1 and "RuntimeError: boom" in err and "\x1b" not in err
