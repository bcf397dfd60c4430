"""The folded model as tables: a versioned schema, rows, Parquet and JSON Lines output.

* :mod:`~streamfold.tables.schema` — the six tables and their columns, as data
  (:data:`SCHEMA_VERSION`, :data:`TABLES`);
* :mod:`~streamfold.tables.rows` — a :class:`~streamfold.model.Conversation` as rows
  (pure Python);
* :mod:`~streamfold.tables.sink` — writing rows, ``OUT_DIR/<table>/<part>.<ext>``;
* :mod:`~streamfold.tables.arrow` — pyarrow tables and Parquet (extra ``parquet``).

See docs/batch.md.
"""

from __future__ import annotations

from .rows import FrameMap, Rows, conversation_rows, diagnostic_row, empty_rows, model_times
from .schema import SCHEMA_VERSION, TABLE_NAMES, TABLES, Column, schema_document, schema_markdown
from .sink import JsonlSink, OutputFormat, TableSink, open_sink, part_path, write_manifest

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "TABLE_NAMES",
    "Column",
    "FrameMap",
    "JsonlSink",
    "OutputFormat",
    "Rows",
    "TableSink",
    "conversation_rows",
    "diagnostic_row",
    "empty_rows",
    "model_times",
    "open_sink",
    "part_path",
    "schema_document",
    "schema_markdown",
    "write_manifest",
]
