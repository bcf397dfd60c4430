"""The table schema: rows match it, Parquet round trips keep rows and schema, docs show it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

import streamfold
from streamfold.tables import (
    SCHEMA_VERSION,
    TABLES,
    conversation_rows,
    empty_rows,
    model_times,
    schema_markdown,
)
from streamfold.tables.arrow import METADATA_KEY, ParquetSink, arrow_schema, from_arrow, to_arrow
from streamfold.tables.sink import JsonlSink

from ..batch.support import RECORDINGS, canonical

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "batch.md"
SAMPLES = sorted(p for p in RECORDINGS.iterdir() if p.suffix in (".ndjson", ".sse") and p.is_file())


def all_rows() -> dict[str, list[dict[str, object]]]:
    rows = empty_rows()
    for path in SAMPLES:
        conversation_rows(streamfold.fold_file(path), path.name, into=rows)
    return rows


def test_every_row_has_exactly_its_tables_columns() -> None:
    rows = all_rows()
    for table, columns in TABLES.items():
        assert rows[table], f"no {table} rows from the recordings"
        names = [c.name for c in columns]
        for row in rows[table]:
            assert list(row) == names
            for column in columns:
                if not column.nullable:
                    assert row[column.name] is not None, (table, column.name)


def test_parquet_round_trip_keeps_rows_and_schema(tmp_path: Path) -> None:
    rows = all_rows()
    with ParquetSink(tmp_path, "part-0") as sink:
        sink.write(rows)
    back = empty_rows()
    for table in TABLES:
        read = pq.read_table(tmp_path / table / "part-0.parquet")
        assert read.schema.equals(arrow_schema(table), check_metadata=True)
        assert read.schema.metadata[METADATA_KEY] == SCHEMA_VERSION.encode()
        back[table] = from_arrow(read)
    assert canonical(back) == canonical(rows)


def test_jsonl_sink_writes_the_same_rows(tmp_path: Path) -> None:
    rows = all_rows()
    sink = JsonlSink(tmp_path, "p")
    sink.write(rows)
    sink.close()
    back = {
        table: [orjson.loads(ln) for ln in (tmp_path / table / "p.jsonl").read_bytes().splitlines()]
        for table in TABLES
    }
    assert canonical(back) == canonical(rows)


def test_to_arrow_rejects_a_row_of_the_wrong_type() -> None:
    row = dict.fromkeys((c.name for c in TABLES["diagnostics"]), None)
    row.update(source="s", code="c", severity="error", message="m", dropped="yes")
    with pytest.raises((TypeError, ValueError)):
        to_arrow("diagnostics", [row])


def test_usage_rows_sum_to_each_runs_usage() -> None:
    rows = all_rows()
    sums: dict[tuple[object, object], list[int]] = {}
    for row in rows["usage"]:
        key = (row["source"], row["run_id"])
        total = sums.setdefault(key, [0, 0, 0])
        total[0] += row["input_tokens"]  # type: ignore[operator]
        total[1] += row["output_tokens"]  # type: ignore[operator]
        total[2] += row["reports"]  # type: ignore[operator]
    runs_with_usage = 0
    for run in rows["runs"]:
        key = (run["source"], run["run_id"])
        expected = [run["input_tokens"], run["output_tokens"], run["usage_reports"]]
        if run["usage_reports"]:
            runs_with_usage += 1
            assert sums[key] == expected
        else:
            assert key not in sums
    assert runs_with_usage >= 10
    scopes = {row["scope"] for row in rows["usage"]}
    assert scopes == {"span", "run"}  # Loom per node, AG-UI / NNRP per run


def test_times_are_wall_clock_times_or_null() -> None:
    conversation = streamfold.fold_file(RECORDINGS / "loom-multi-agent.ndjson")
    assert model_times(conversation.runs[0]) == (None, None)  # Loom has no times
    rows = conversation_rows(conversation, "x")
    assert all(r["start_time"] is None for r in rows["runs"])
    assert all(r["start_frame"] is not None for r in rows["spans"])
    assert all(r["start_frame"] is not None for r in rows["messages"])
    # AG-UI timestamps (ms since the epoch) become UTC datetimes
    timed = streamfold.fold_file(RECORDINGS / "tanstack-agui-tools.sse")
    rows = conversation_rows(timed, "x")
    first = rows["runs"][0]
    assert first["start_time"].tzinfo is not None
    assert first["start_time"] < first["end_time"]
    assert all(r["start_time"] is not None for r in rows["tool_calls"])


def test_messages_keep_text_reasoning_and_tool_call_order() -> None:
    rows = conversation_rows(streamfold.fold_file(RECORDINGS / "loom-multi-agent.ndjson"), "x")
    messages = rows["messages"]
    assert any(m["reasoning"] for m in messages)
    assert any(m["tool_call_ids"] for m in messages)
    by_session: dict[object, list[object]] = {}
    for m in messages:
        by_session.setdefault(m["session_id"], []).append(m["seq"])
    for seqs in by_session.values():
        assert seqs == list(range(len(seqs)))
    calls = {c["call_id"]: c for c in rows["tool_calls"]}
    invoke = next(c for c in calls.values() if c["name"] == "invoke_agent")
    assert orjson.loads(invoke["arguments"])["agents"][0]["agent"] == "explore"
    assert invoke["arguments_valid"] is True
    assert invoke["end_frame"] > invoke["start_frame"]


def test_docs_show_the_schema_as_defined() -> None:
    text = DOCS.read_text()
    assert schema_markdown() in text
    assert f"`{SCHEMA_VERSION}`" in text
