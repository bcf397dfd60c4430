"""Rows as pyarrow tables and Parquet files (extra ``parquet``).

:func:`arrow_schema` builds a table's ``pyarrow.Schema`` from :data:`~streamfold.tables.schema.
TABLES` (with the schema version in its metadata, ``streamfold.schema_version``);
:func:`to_arrow` turns rows (:mod:`streamfold.tables.rows`) into a ``pyarrow.Table``;
:class:`ParquetSink` writes row batches into one Parquet file per table. Layout and types:
docs/batch.md "Tables". Raises :class:`ImportError` naming the extra when pyarrow is missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .layout import part_path
from .schema import SCHEMA_VERSION, TABLES, Column

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["METADATA_KEY", "ParquetSink", "arrow_schema", "from_arrow", "to_arrow"]

METADATA_KEY: Final = b"streamfold.schema_version"
"""Key of the schema version in every table's Arrow schema metadata."""
_ROW_GROUP: Final = 16_384  # rows buffered per table before a row group is written


def _pa() -> Any:
    try:
        import pyarrow
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        raise ImportError(
            "Parquet output needs pyarrow: pip install 'streamfold[parquet]'"
        ) from exc
    return pyarrow


def _arrow_type(name: str) -> pa.DataType:
    pa = _pa()
    simple = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "list<string>": pa.list_(pa.field("element", pa.string())),  # the Parquet name
        "timestamp[us, UTC]": pa.timestamp("us", tz="UTC"),
    }
    try:
        return simple[name]
    except KeyError:
        raise ValueError(f"no Arrow type for column type {name!r}") from None


def _field(column: Column) -> pa.Field:
    return _pa().field(column.name, _arrow_type(column.type), nullable=column.nullable)


def arrow_schema(table: str) -> pa.Schema:
    """The ``pyarrow.Schema`` of ``table`` (a name in ``TABLES``; ``KeyError`` otherwise)."""
    return _pa().schema(
        [_field(c) for c in TABLES[table]],
        metadata={METADATA_KEY: SCHEMA_VERSION.encode(), b"streamfold.table": table.encode()},
    )


def to_arrow(table: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """``rows`` of ``table`` as a ``pyarrow.Table`` with exactly :func:`arrow_schema`."""
    return _pa().Table.from_pylist(list(rows), schema=arrow_schema(table))


def from_arrow(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of a ``pyarrow.Table`` (the inverse of :func:`to_arrow`)."""
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


class ParquetSink:
    """Writes row batches into ``OUT_DIR/<table>/<part>.parquet``, one file per table.

    Every table's file is created at once (empty tables included), so a reader always finds all
    six. Rows are buffered per table and written in row groups of about 16k rows; call
    :meth:`close` (or use ``with``) to flush them.
    """

    def __init__(self, out_dir: str | os.PathLike[str], part: str) -> None:
        pq = _parquet()
        self.paths: dict[str, Path] = {}
        self._writers: dict[str, Any] = {}  # pyarrow.parquet.ParquetWriter
        self._buffers: dict[str, list[Mapping[str, Any]]] = {}
        for table in TABLES:
            path = part_path(out_dir, table, part, "parquet")
            self.paths[table] = path
            self._writers[table] = pq.ParquetWriter(path, arrow_schema(table))
            self._buffers[table] = []

    def write(self, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Append rows (table name → rows)."""
        for table, batch in rows.items():
            if not batch:
                continue
            buffer = self._buffers[table]
            buffer.extend(batch)
            if len(buffer) >= _ROW_GROUP:
                self._flush(table)

    def _flush(self, table: str) -> None:
        buffer = self._buffers[table]
        if buffer:
            self._writers[table].write_table(to_arrow(table, buffer))
            buffer.clear()

    def close(self) -> None:
        """Write the buffered rows and close every table's file (valid Parquet from then on)."""
        for table, writer in self._writers.items():
            self._flush(table)
            writer.close()
        self._writers = {}

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parquet() -> Any:
    _pa()
    import pyarrow.parquet

    return pyarrow.parquet
