"""Every provider recording folds the same whatever the byte splits, and the AG-UI encoder
turns each fold into events the protocol's own models accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamfold.export.json import to_dict
from streamfold.io.sync import convert_file_to_agui

from .corpus import corpus_streams, fold

PATHS = [p for fmt in ("openai-chat", "openai-responses", "anthropic") for p in corpus_streams(fmt)]
SMALL = [p for p in PATHS if p.stat().st_size < 20_000]


def _document(data: bytes, cuts: list[int] | None = None) -> dict[str, object]:
    reducer = fold(data, cuts=cuts)
    doc = to_dict(reducer.conversation)
    doc["stats"] = [reducer.frames_in, reducer.frames_dropped]
    return doc


@pytest.mark.skipif(not SMALL, reason="the provider corpus is not here")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_byte_splits_anywhere_fold_the_same(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SMALL))
    raw = path.read_bytes()
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=12))
    assert _document(raw, cuts) == _document(raw)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_one_byte_at_a_time_folds_the_same(path: Path) -> None:
    raw = path.read_bytes()[:4000]
    assert _document(raw, list(range(len(raw)))) == _document(raw)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agui_events_validate(path: Path) -> None:
    pydantic = pytest.importorskip("pydantic")
    core = pytest.importorskip("ag_ui.core")
    adapter = pydantic.TypeAdapter(core.Event)
    events = [json.loads(line) for line in convert_file_to_agui(path, "agui-ndjson")]
    types = [event["type"] for event in events]
    assert types[0] == "RUN_STARTED"
    assert types[-1] in ("RUN_FINISHED", "RUN_ERROR")
    for event in events:
        adapter.validate_json(json.dumps(event))
