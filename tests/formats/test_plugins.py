"""Formats as plugins: a format from another package registers through the ``streamfold.formats``
entry-point group and folds a stream, detection included, without touching streamfold
(``docs/write-a-format.md``). The toy format's package is installed for the test as a real
distribution (a ``.dist-info`` directory on ``sys.path``), read by ``importlib.metadata``."""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from streamfold import Reducer, RunStatus, Severity, UsageError
from streamfold.formats import FORMATS, detect_format, make_decoder
from streamfold.formats.loom import LoomDecoder

from .toyformat import ToyDecoder

ROOT = Path(__file__).resolve().parents[2]
TOY_SOURCE = Path(__file__).parent / "toyformat" / "decoder.py"

TOY_STREAM = [
    b"# a toy stream",
    b'{"toy": "start", "run": "r1"}',
    b'{"toy": "say", "text": "Hello, "}',
    b'{"toy": "say", "text": "world"}',
    b'{"toy": "wave"}',
    b'{"toy": "end"}',
]


def install(tmp_path: Path, entry_points: str) -> Iterator[None]:
    """Put a distribution with these entry points on sys.path for one test."""
    dist = tmp_path / "toyformat_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyformat-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(entry_points)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    FORMATS.refresh()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        importlib.invalidate_caches()
        FORMATS.refresh()


@pytest.fixture
def toy_installed(tmp_path: Path) -> Iterator[None]:
    yield from install(tmp_path, "[streamfold.formats]\ntoy = tests.formats.toyformat:ToyDecoder\n")


def test_builtins_are_known_without_the_entry_points() -> None:
    # The installed metadata may predate the entry points (an editable install): the built-ins
    # are still there, in name order.
    assert list(FORMATS) == sorted(FORMATS)
    assert {"loom", "nnrp", "tanstack"} <= set(FORMATS)
    assert FORMATS["loom"] is LoomDecoder


def test_a_plugin_format_folds_a_stream_with_detection(toy_installed: None) -> None:
    assert "toy" in FORMATS
    assert FORMATS["toy"] is ToyDecoder
    assert detect_format({"toy": "say", "text": "x"}) == "toy"
    reducer = Reducer()  # no format named: the toy format is detected from the first frame
    for line in TOY_STREAM:
        reducer.feed_line(line)
    reducer.close()
    assert set(reducer.decoders) == {"toy"}
    (run,) = reducer.conversation.runs
    assert (run.run_id, run.status) == ("r1", RunStatus.COMPLETED)
    assert run.messages[0].text == "Hello, world"
    codes = {(d.code, d.severity) for d in reducer.conversation.diagnostics}
    assert ("toy_comment", Severity.INFO) in codes  # its non_json hook, before any frame
    assert ("unknown_event_type", Severity.INFO) in codes
    assert reducer.frames_in == len(TOY_STREAM)
    assert reducer.frames_applied + reducer.frames_dropped == reducer.frames_in


def test_a_plugin_format_by_name_and_its_end_of_stream(toy_installed: None) -> None:
    reducer = Reducer(format="toy")
    reducer.feed_sse(b'data: {"toy": "say", "text": "hi"}\n\ndata: [DONE]\n\n')
    (run,) = reducer.conversation.runs
    assert run.status is RunStatus.COMPLETED  # ended by the end_of_stream hook, not close()
    assert run.run_id == "toy#1" and run.messages[0].text == "hi"


def test_the_plugin_does_not_take_other_formats_frames(toy_installed: None) -> None:
    loom = {"type": "message_chunk", "content": "x", "session_id": "s", "event_id": 1}
    assert detect_format(loom) == "loom"
    assert ToyDecoder.detect(loom) == 0.0


def test_unknown_and_broken_formats(tmp_path: Path) -> None:
    for _ in install(
        tmp_path,
        "[streamfold.formats]\nbroken = tests.formats.toyformat:NoSuchDecoder\n",
    ):
        assert "broken" in FORMATS
        with pytest.raises(UsageError, match=r"format .broken. .*failed to load"):
            make_decoder("broken")
        with pytest.warns(RuntimeWarning, match="broken"):
            assert detect_format({"type": "RUN_STARTED"}) == "tanstack"  # the others still work
    with pytest.raises(
        UsageError, match=r"unknown format 'nope'; known formats: anthropic, loom, nnrp"
    ):
        Reducer(format="nope")


def test_the_docs_show_the_toy_format_that_this_test_runs() -> None:
    page = (ROOT / "docs" / "write-a-format.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert TOY_SOURCE.read_text() in blocks


class _ToySessions:
    """A toy session keyer: ``"desk"`` names the session; a frame without one joins the next
    session named (as AG-UI's frames before the first run do)."""

    def session_key(self, frame: Mapping[str, Any]) -> str | None:
        desk = frame.get("desk")
        return desk if type(desk) is str else None


def test_a_plugin_format_routes_a_log_through_its_session_keys_hook(
    toy_installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``export --log`` knows no format: the session key comes from the format's
    ``session_keys()`` hook (docs/write-a-format.md), here a third-party one."""
    from streamfold.batch.routing import PENDING, SessionRouter
    from streamfold.framing import Frame

    router = SessionRouter()
    plain = [router.key(Frame(json.dumps({"toy": "say", "desk": "a"})))]
    monkeypatch.setattr(ToyDecoder, "session_keys", staticmethod(_ToySessions), raising=False)
    router = SessionRouter()
    frames = [{"toy": "say"}, {"toy": "start", "desk": "b"}, {"toy": "say", "desk": "a"}]
    keys = [router.key(Frame(json.dumps(frame))) for frame in frames]
    assert plain == ["default"]  # without the hook, a toy frame goes with the frame before it
    assert keys == [PENDING, "toy:b", "toy:a"]
    assert router.pending_key() == "toy:a"  # the session the format named since
