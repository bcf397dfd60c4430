"""The examples the tutorials and how-to guides include (``--8<--`` snippets) run and do what
the pages say."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from streamfold import RunStatus, ToolCallState, fold_file

from .support import DOCS, ROOT

EXAMPLES = ROOT / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_quickstart_prints_text_and_tool_states(capsys: pytest.CaptureFixture[str]) -> None:
    reducer = load("quickstart").main()
    out = capsys.readouterr().out
    assert "[read: executing]" in out or "executing]" in out
    run = reducer.conversation.runs[0]
    assert run.status is RunStatus.COMPLETED
    assert run.reply and run.reply.strip()


def test_transcript_nests_the_sub_agent_under_its_tool_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transcript = load("transcript")
    lines = transcript.main()
    assert lines == capsys.readouterr().out.splitlines()
    assert lines[0].startswith("## session ")
    assert sum(line.startswith("## session") for line in lines) == 2
    # the sub-agent's spans are indented under the parent's act span
    act = lines.index("- act [ok]")
    assert lines[act + 1].startswith("  - think [ok]")
    conversation, _ = transcript.load(transcript.DEFAULT)
    nested = transcript.sub_agents(conversation)
    assert list(nested.values()) == [["think", "title", "act", "observe", "compress", "think"]]
    assert next(iter(nested)).startswith("invoke_agent call_")
    assert "frames: 431 in, 0 dropped" in lines


def test_transcript_keeps_markup_and_escapes_as_text(tmp_path: Path) -> None:
    transcript = load("transcript")
    hostile = tmp_path / "hostile.ndjson"
    hostile.write_text(
        '{"session_id":"s\\u001b[2J","event_id":1,"type":"node_enter","id":"think"}\n'
        '{"session_id":"s\\u001b[2J","event_id":2,"type":"message_chunk",'
        '"content":"\\u001b]8;;http://x\\u0007hi\\u202e","id":"think"}\n'
    )
    lines = transcript.transcript(fold_file(hostile))
    assert not any(re.search(r"[\x1b\x07\u202e]", line) for line in lines)


def test_debug_recording_finds_the_duplicate_and_the_gap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = load("debug_recording").main()
    capsys.readouterr()
    assert lines[0] == "100 frames: 99 applied, 1 dropped"
    assert any("duplicate_event (dropped)" in line for line in lines)
    assert any("event_id_gap (applied)" in line for line in lines)
    assert any("missing event_ids [(43, 49)]" in line for line in lines)
    assert any("open spans: ['act']" in line for line in lines)
    assert lines[-1] == "resumed at frame 30 == folded whole: True"


def test_resume_at_every_point_equals_the_whole_fold() -> None:
    debug = load("debug_recording")
    whole = fold_file(debug.DEFAULT)
    for stop in (0, 1, 22, 43, 99, 100):
        resumed = debug.resume(debug.DEFAULT, stop)
        assert [r.text for r in resumed.runs] == [r.text for r in whole.runs]
        assert [c.state for c in resumed.runs[0].tool_calls.values()] == [
            c.state for c in whole.runs[0].tool_calls.values()
        ]


def test_bound_memory_evicts_and_truncates(capsys: pytest.CaptureFixture[str]) -> None:
    reducer, evicted, truncated = load("bound_memory").main()
    capsys.readouterr()
    assert evicted, "max_sessions=1 evicts finished sessions"
    assert all(note.session.runs for note in evicted)
    assert truncated and all(note.limit == 200 for note in truncated)
    for run in reducer.conversation.runs:
        for message in run.messages:
            assert len(message.text) <= 200 * max(1, len(message.parts))
    for call in (c for run in reducer.conversation.runs for c in run.tool_calls.values()):
        assert len(call.arguments) <= 200
        assert call.state is not ToolCallState.INPUT_STREAMING


def test_many_sessions_folds_them_all_and_unfreezes(capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    was_enabled = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    try:
        reducer, _ = load("many_sessions").main(600)  # 124,200 frames: one freeze
    finally:
        if not was_enabled:
            gc.disable()
    assert "600 sessions, 600 runs" in capsys.readouterr().out
    assert gc.get_freeze_count() == 0
    runs = reducer.conversation.runs
    assert len(runs) == 600 and all(run.status is RunStatus.COMPLETED for run in runs)
    assert len({run.reply for run in runs}) == 1 and runs[0].reply  # each reply reached its run


def test_every_snippet_the_docs_include_exists() -> None:
    pattern = re.compile(r'--8<-- "([^":]+)(?::([\w-]+))?"')
    found = 0
    for page in DOCS.rglob("*.md"):
        for path, section in pattern.findall(page.read_text()):
            found += 1
            source = ROOT / path
            assert source.is_file(), f"{page.name}: {path}"
            if section:
                assert f"--8<-- [start:{section}]" in source.read_text(), f"{path}:{section}"
    assert found >= 6


def test_fold_many_in_worker_processes_equals_folding_here(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fold_many = load("fold_many")
    rows = fold_many.main()
    capsys.readouterr()
    assert len(rows) >= 10
    here = [fold_many.summary(EXAMPLES / "recordings" / row[0]) for row in rows]
    assert rows == here
    assert any(row[3] > 0 for row in rows), "the gap/duplicate recordings have diagnostics"
