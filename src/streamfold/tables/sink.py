"""Where rows go: one file per table and part, ``OUT_DIR/<table>/<part>.<ext>``.

A *part* is what one writer (a worker process, a Dask partition) writes; a table is the union of
its parts (``read_parquet('OUT_DIR/runs/*.parquet')``). ``OUT_DIR/_schema.json`` describes the
tables (:func:`streamfold.tables.schema.schema_document`). JSON Lines output needs no pyarrow:
one JSON object per row, times as RFC 3339 text. docs/batch.md "Output layout".
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, Protocol

import orjson

from ..model.text import dumps
from .layout import part_path
from .schema import TABLES, schema_document

__all__ = ["JsonlSink", "OutputFormat", "TableSink", "open_sink", "part_path", "write_manifest"]

OutputFormat = Literal["parquet", "jsonl"]


class TableSink(Protocol):
    """Something rows can be written to, then closed."""

    def write(self, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Append rows (table name → rows, each with its table's columns, docs/batch.md)."""
        ...

    def close(self) -> None:
        """Flush what is buffered and close the files (the sink is unusable after)."""
        ...


def write_manifest(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``OUT_DIR/_schema.json`` (the schema version and every table's columns)."""
    path = Path(out_dir) / "_schema.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(schema_document(), option=orjson.OPT_INDENT_2) + b"\n")
    return path


class JsonlSink:
    """Writes rows as JSON Lines into ``OUT_DIR/<table>/<part>.jsonl`` (every table's file is
    created at once)."""

    def __init__(self, out_dir: str | os.PathLike[str], part: str) -> None:
        self.paths = {table: part_path(out_dir, table, part, "jsonl") for table in TABLES}
        self._files: dict[str, IO[bytes]] = {t: open(p, "wb") for t, p in self.paths.items()}  # noqa: SIM115

    def write(self, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Append rows (table name → rows), one JSON object per line."""
        for table, batch in rows.items():
            if batch:
                fh = self._files[table]
                fh.write(b"".join(dumps(row) + b"\n" for row in batch))

    def close(self) -> None:
        """Close every table's file."""
        for fh in self._files.values():
            fh.close()
        self._files = {}


def open_sink(fmt: OutputFormat, out_dir: str | os.PathLike[str], part: str) -> TableSink:
    """A sink for ``fmt`` (``"parquet"`` needs the ``parquet`` extra)."""
    if fmt == "parquet":
        from .arrow import ParquetSink

        return ParquetSink(out_dir, part)
    if fmt == "jsonl":
        return JsonlSink(out_dir, part)
    raise ValueError(f"unknown output format {fmt!r}")
