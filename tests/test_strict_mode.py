"""Strict mode has one rule (docs/diagnostics.md): the first WARNING or ERROR diagnostic raises
``ProtocolError`` carrying it, and the reducer refuses further input; INFO never raises.

Issue #23, item 7: the rule held only for the decoders' diagnostics; the reducer's own
(``truncated``, ``run_evicted``, ``unknown_span``, ``unknown_run``, …) were recorded and
reduction went on. Here the rule is checked for every code of the catalog through the one path
every diagnostic takes (``FoldState.diagnose``), and on real streams for the reducer's codes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from streamfold import ProtocolError, Reducer, UsageError
from streamfold import events as ev
from streamfold.lifecycle import Lifecycle
from streamfold.model import RunStatus, Severity

from .formats.loom.loomscript import Envelope

CATALOG = (Path(__file__).parent.parent / "docs" / "diagnostics.md").read_text()
ROWS = re.findall(r"^\| `([a-z_0-9]+)` \| ([a-z ()]+?) \|", CATALOG, re.M)
RAISING = sorted({code for code, severity in ROWS if severity.split()[0] in ("warning", "error")})
INFO_ONLY = sorted({code for code, severity in ROWS if severity == "info"})


def test_the_catalog_was_read() -> None:
    assert {"truncated", "run_evicted", "unknown_span", "unknown_run", "too_deep"} <= set(RAISING)
    assert {"sse_done", "text_before_json", "unknown_event_type"} <= set(INFO_ONLY)


@pytest.mark.parametrize("code", RAISING)
def test_every_warning_or_error_code_raises_in_strict_mode(code: str) -> None:
    reducer = Reducer(strict=True)
    with pytest.raises(ProtocolError) as caught:
        reducer.apply([ev.Diagnose(code, "from the catalog", Severity.WARNING)])
    assert caught.value.diagnostic.code == code
    assert reducer.lifecycle is Lifecycle.FAILED
    with pytest.raises(UsageError):
        reducer.feed_line('{"type":"node_enter","id":"think"}')


@pytest.mark.parametrize("code", INFO_ONLY)
def test_info_codes_never_raise(code: str) -> None:
    reducer = Reducer(strict=True)
    reducer.apply([ev.Diagnose(code, "from the catalog", Severity.INFO)])
    assert [d.code for d in reducer.conversation.diagnostics] == [code]


def _loom_lines() -> dict[str, list[bytes]]:
    """Streams that make the reducer (not a decoder) report a warning."""
    streams: dict[str, list[bytes]] = {}
    e = Envelope("s-truncated")
    e.event("node_enter", id="think")
    e.event("message_chunk", content="0123456789" * 3, id="think")
    streams["truncated"] = e.lines
    streams["run_evicted"] = [
        json.dumps({"type": "RUN_STARTED", "threadId": "t", "runId": f"r{i}"}).encode()
        for i in range(3)
    ]
    streams["too_deep"] = [b'{"type":"node_enter","id":"x","v":' + b"[" * 200 + b"]" * 200 + b"}"]
    e = Envelope("s-deep")
    for i in range(70):
        e.event("node_enter", id=f"n{i}")
    streams["span_too_deep"] = e.lines
    return streams


STREAMS = _loom_lines()


def feed_all(reducer: Reducer, lines: list[bytes]) -> None:
    for line in lines:
        reducer.feed_line(line)


@pytest.mark.parametrize("code", sorted(STREAMS))
def test_the_reducers_own_warnings_raise_on_real_streams(code: str) -> None:
    lenient = Reducer(max_text_chars=10, max_open_runs=2)
    for line in STREAMS[code]:
        lenient.feed_line(line)
    assert code in {d.code for d in lenient.conversation.diagnostics}  # the stream does report it

    strict = Reducer(strict=True, max_text_chars=10, max_open_runs=2)
    with pytest.raises(ProtocolError) as caught:
        feed_all(strict, STREAMS[code])
    assert caught.value.diagnostic.code == code
    assert strict.lifecycle is Lifecycle.FAILED
    assert code not in {d.code for d in strict.conversation.diagnostics}  # raised, not kept


def test_strict_survives_a_snapshot() -> None:
    reducer = Reducer(strict=True, max_text_chars=10)
    restored = Reducer.from_snapshot(reducer.snapshot())
    assert restored.strict
    with pytest.raises(ProtocolError):
        feed_all(restored, STREAMS["truncated"])


def test_strict_can_be_turned_off_and_on() -> None:
    reducer = Reducer(strict=True, max_text_chars=10)
    reducer.strict = False
    for line in STREAMS["truncated"]:
        reducer.feed_line(line)
    assert "truncated" in {d.code for d in reducer.conversation.diagnostics}
    reducer.strict = True
    with pytest.raises(ProtocolError):
        reducer.feed_line(STREAMS["too_deep"][0])


@pytest.mark.parametrize(
    ("code", "event"),
    [
        ("unknown_span", ev.CloseSpan("r", "never-opened")),
        ("unknown_run", ev.EndRun("never-started", RunStatus.COMPLETED)),
    ],
)
def test_the_cores_warnings_raise_for_applied_events(code: str, event: ev.Event) -> None:
    """Events a custom decoder or a client action applies follow the same rule."""
    lenient = Reducer()
    lenient.apply([ev.StartRun("s", "r"), event])
    assert code in {d.code for d in lenient.conversation.diagnostics}
    strict = Reducer(strict=True)
    with pytest.raises(ProtocolError) as caught:
        strict.apply([ev.StartRun("s", "r"), event])
    assert caught.value.diagnostic.code == code
