"""Every Loom recording in examples/recordings reduces to the facts its generator computed
(``examples/recordings/loom-expected.json``, written by ``make_loom_recordings.py`` from the
lines it emitted — not by hand)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from streamfold import Reducer
from streamfold.io.sync import fold_file

from ...summary import summarize

RECORDINGS = Path(__file__).resolve().parents[3] / "examples" / "recordings"
EXPECTED: dict[str, dict[str, Any]] = json.loads((RECORDINGS / "loom-expected.json").read_text())


def test_every_loom_recording_has_expectations() -> None:
    files = {p.name for p in RECORDINGS.glob("loom-*.ndjson")}
    assert files == set(EXPECTED)
    assert len(files) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recording_matches_expected_facts(name: str) -> None:
    expected = EXPECTED[name]
    reducer = Reducer()
    conv = fold_file(RECORDINGS / name, reducer)
    runs = conv.runs
    assert len(runs) == expected["runs"]
    # The generator counts conversations: Loom's CLI opens a session per turn (A2).
    assert len(conv.threads) == expected["sessions"]
    assert [str(r.status) for r in runs] == expected["run_statuses"]
    assert [sum(1 for _ in r.walk_spans()) for r in runs] == expected["spans_per_run"]
    states = {cid: str(c.state) for r in runs for cid, c in r.tool_calls.items()}
    assert states == expected["tool_calls"]
    u = expected["usage_total"]
    assert (conv.usage.prompt_tokens, conv.usage.completion_tokens, conv.usage.total_tokens) == (
        u["prompt_tokens"],
        u["completion_tokens"],
        u["total_tokens"],
    )
    assert sorted(r.reply for r in runs if r.reply is not None) == sorted(expected["reply"])
    codes = [d.code for d in conv.diagnostics]
    assert codes.count("duplicate_event") == expected["duplicates"]
    assert codes.count("event_id_gap") == expected["gaps"]
    missing = [list(m) for r in runs for m in r.missing]
    assert missing == expected["missing_event_ids"]
    # Lines that are not pure JSON: prompt-prefixed ones are applied, the rest dropped.
    prefixed = codes.count("text_before_json")
    assert prefixed == expected["prompt_prefixed_lines"]
    dropped = codes.count("not_json") + codes.count("repl_output")
    assert dropped + prefixed == expected["non_json_lines"]
    assert codes.count("sender_error") == expected["error_lines"]
    assert reducer.frames_in == reducer.frames_applied + reducer.frames_dropped


@pytest.mark.parametrize("name", ["loom-multi-agent.ndjson", "loom-repl-session.ndjson"])
def test_byte_splits_at_random_positions_give_the_same_model(name: str) -> None:
    data = (RECORDINGS / name).read_bytes()
    whole = summarize(fold_file(RECORDINGS / name))
    rng = random.Random(name)
    for _ in range(3):
        reducer = Reducer()
        pos = 0
        while pos < len(data):
            step = rng.choice([1, 2, 3, 7, 64, 1000, 4096])
            reducer.feed_bytes(data[pos : pos + step])
            pos += step
        reducer.close()
        assert summarize(reducer.conversation) == whole


def test_multi_agent_transcript_structure() -> None:
    conv = fold_file(RECORDINGS / "loom-multi-agent.ndjson")
    parent = max(conv.runs, key=lambda r: sum(1 for _ in r.walk_spans()))
    sub_spans = [s for s in parent.walk_spans() if s.parent_tool_call_id is not None]
    assert sub_spans, "the sub-agent's spans nest under the invoking tool call"
    invoking = parent.tool_calls[sub_spans[0].parent_tool_call_id or ""]
    assert invoking.name == "invoke_agent"
    assert all(s.parent is not None and s.parent.name == "act" for s in sub_spans)
    # Each span's messages hold its own text, in stream order.
    for span in parent.walk_spans():
        for message_id in span.message_ids:
            message = next(m for m in parent.messages if m.message_id == message_id)
            assert message.span_id == span.span_id


def test_quickstart_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("quickstart", RECORDINGS.parent / "quickstart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reducer = module.main()
    out = capsys.readouterr().out
    [run] = reducer.conversation.runs
    streamed = "".join(m.text for m in run.messages)
    assert streamed
    assert out.replace("\n", "").startswith(streamed.replace("\n", "")[:20])
    assert run.messages[-1].text.replace("\n", "") in out.replace("\n", "")
    for call in run.tool_calls.values():
        assert f"[{call.name}: complete]" in out
