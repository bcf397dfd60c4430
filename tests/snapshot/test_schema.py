"""The v4 document: its sections, that it names no class, and the version policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

from streamfold import Reducer, SnapshotError
from streamfold.export.json import to_dict
from streamfold.formats import FORMATS, cursor_codec
from streamfold.snapshot import snapshot, to_bytes
from streamfold.snapshot.schema import converter, structure

RECORDINGS = Path(__file__).parent.parent.parent / "examples" / "recordings"


def mid_stream(name: str) -> Reducer:
    data = (RECORDINGS / name).read_bytes()
    reducer = Reducer()
    (reducer.feed_sse if name.endswith(".sse") else reducer.feed_bytes)(data[: len(data) // 2])
    return reducer


def all_formats() -> Reducer:
    reducer = Reducer()
    for name in ("loom-multi-agent.ndjson", "nnrp-reorder.ndjson", "tanstack-agui-tools.sse"):
        data = (RECORDINGS / name).read_bytes()
        (reducer.feed_sse if name.endswith(".sse") else reducer.feed_bytes)(data)
    return reducer


def test_sections_and_their_versions() -> None:
    doc = snapshot(all_formats())
    assert doc["streamfold_snapshot"] == 4
    assert doc["reducer"]["v"] == doc["framing"]["v"] == 1
    assert set(doc["decoders"]) == {"loom", "nnrp", "tanstack"}
    for name, cursor in doc["decoders"].items():
        codec = cursor_codec(name)
        assert codec is not None
        assert cursor["v"] == codec.VERSION
    # The model section is the JSON export's document.
    reducer = all_formats()
    assert snapshot(reducer)["model"] == orjson.loads(orjson.dumps(to_dict(reducer.conversation)))


def test_nothing_in_a_snapshot_names_a_class_or_module() -> None:
    text = to_bytes(all_formats()).decode()
    assert "streamfold." not in text
    assert not re.search(r'"[\w.]+:[A-Z]\w*"', text)  # no "module:Class"
    assert '"$t"' not in text
    assert '"$r"' not in text


def test_the_json_formats_have_a_cursor_and_others_are_refused_clearly() -> None:
    for name in ("loom", "nnrp", "tanstack"):
        codec = cursor_codec(name)
        assert codec is not None, name
        assert attrs.has(codec.CURSOR)
    without = [name for name in FORMATS if cursor_codec(name) is None]
    for name in without:  # (the binary nnrp-wire has none yet)
        reducer = Reducer(name)
        with pytest.raises(SnapshotError, match="has no snapshot cursor"):
            reducer.snapshot()


def test_a_field_added_with_a_default_needs_no_version_bump() -> None:
    """A snapshot written before a field existed lacks its key: restore gives the default
    (every object is built through its constructor). A snapshot written after a field was
    added has a key this version does not know: it is ignored. Neither needs a new version."""
    reducer = mid_stream("loom-multi-agent.ndjson")
    doc = snapshot(reducer)
    older = orjson.loads(orjson.dumps(doc))
    run = next(iter(older["model"]["sessions"].values()))["runs"][0]
    for key in ("state_updates", "lossy", "metadata", "checkpoints", "custom_events"):
        del run[key]
    del older["reducer"]["options"]["max_sessions"]
    del older["framing"]["sse"]["retry"]
    loom = older["decoders"]["loom"]
    del loom["last_reply"]
    restored = Reducer.from_snapshot(older)
    first = next(iter(restored.conversation.sessions.values())).runs[0]
    assert (first.state_updates, first.lossy, first.metadata, first.checkpoints) == (
        0,
        False,
        {},
        [],
    )
    assert restored.max_sessions is None
    newer = orjson.loads(orjson.dumps(doc))
    newer["reducer"]["a_field_from_the_future"] = 1
    next(iter(newer["model"]["sessions"].values()))["runs"][0]["priority"] = 3
    newer["decoders"]["loom"]["sessions"][0]["new"] = True
    assert snapshot(Reducer.from_snapshot(newer)) == doc


def test_each_section_states_its_version() -> None:
    doc = snapshot(mid_stream("nnrp-reorder.ndjson"))
    for section in ("reducer", "framing"):
        changed = orjson.loads(orjson.dumps(doc))
        changed[section]["v"] = 2
        with pytest.raises(SnapshotError, match=rf"section version 2 .* \(at {section}\.v\)"):
            Reducer.from_snapshot(changed)
    changed = orjson.loads(orjson.dumps(doc))
    changed["decoders"]["nnrp"]["v"] = 2
    with pytest.raises(SnapshotError, match=r"cursor version 2 .* \(at decoders\.nnrp\.v\)"):
        Reducer.from_snapshot(changed)
    changed = orjson.loads(orjson.dumps(doc))
    changed["streamfold_snapshot"] = 5
    with pytest.raises(SnapshotError, match="version 5 is not supported"):
        Reducer.from_snapshot(changed)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"prompt_tokens": "1"}, r"expected an integer, got a string \(at usage\.prompt_tokens\)"),
        ({"prompt_tokens_details": []}, r"expected an object, got a list"),
        ({"prompt_tokens_details": {"cached": 1.0}}, r"prompt_tokens_details\['cached'\]"),
    ],
)
def test_errors_name_the_path(value: dict[str, Any], message: str) -> None:
    from streamfold.model import Usage

    with pytest.raises(SnapshotError, match=message):
        structure(value, Usage, "usage")
    assert converter.unstructure(Usage(1, 2, 3))["total_tokens"] == 3


def test_not_a_snapshot() -> None:
    for data in (b"", b"[]", b"{}", b"nul", b'{"streamfold_snapshot": "4"}', b"\xff"):
        with pytest.raises(SnapshotError):
            Reducer.from_snapshot(data)
    with pytest.raises(SnapshotError):
        Reducer.from_snapshot([1, 2])
    good = to_bytes(Reducer())
    with pytest.raises(SnapshotError):
        Reducer.from_snapshot(good[: len(good) // 2])
