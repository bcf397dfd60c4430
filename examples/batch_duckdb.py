"""Analytics over ``streamfold export`` Parquet output with DuckDB (docs/batch.md "DuckDB").

Run: ``python examples/batch_duckdb.py [OUT_DIR]``. Without OUT_DIR it first exports the bundled
recordings (``examples/recordings``) into a temporary directory. Needs the ``parquet`` extra and
``duckdb``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

RECORDINGS = Path(__file__).parent / "recordings"

QUERIES: dict[str, str] = {
    # Tokens per agent and model: the usage table has one row per model call.
    "tokens per agent and model": """
        SELECT coalesce(agent, '?') AS agent, coalesce(model, '?') AS model,
               count(*) AS calls, sum(input_tokens) AS input_tokens,
               sum(output_tokens) AS output_tokens
        FROM read_parquet('{out}/usage/*.parquet')
        GROUP BY ALL ORDER BY output_tokens DESC, agent, model
    """,
    # Slowest tool calls: in frames until the transcript times land (start_time/end_time).
    "slowest tool calls": """
        SELECT name, call_id, state, end_frame - start_frame AS frames,
               epoch_ms(end_time) - epoch_ms(start_time) AS ms
        FROM read_parquet('{out}/tool_calls/*.parquet')
        WHERE end_frame IS NOT NULL
        ORDER BY coalesce(ms, -1) DESC, frames DESC, call_id LIMIT 5
    """,
    # Error rate per tool.
    "error rate per tool": """
        SELECT coalesce(name, '?') AS tool, count(*) AS calls,
               count(*) FILTER (WHERE state = 'error') AS errors,
               round(count(*) FILTER (WHERE state = 'error') / count(*), 3) AS error_rate
        FROM read_parquet('{out}/tool_calls/*.parquet')
        GROUP BY ALL ORDER BY error_rate DESC, calls DESC, tool
    """,
}


def run_queries(out_dir: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every query's rows over the tables in ``out_dir``."""
    con = duckdb.connect()
    try:
        return {
            name: con.execute(sql.format(out=Path(out_dir).as_posix())).fetchall()
            for name, sql in QUERIES.items()
        }
    finally:
        con.close()


def main(out_dir: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
    if out_dir is None:
        from streamfold.batch import export

        out_dir = tempfile.mkdtemp(prefix="streamfold-export-")
        export([str(RECORDINGS)], out_dir, jobs=1)
    results = run_queries(out_dir)
    for name, rows in results.items():
        print(f"-- {name}")
        for row in rows:
            print("  ", *row)
    return results


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
