"""examples/batch_duckdb.py: the DuckDB queries over an export of the bundled recordings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from streamfold.batch import export

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "batch_duckdb.py"
RECORDINGS = EXAMPLE.parent / "recordings"


def test_duckdb_queries_over_the_parquet_export(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("examples_batch_duckdb", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    export([str(p) for p in sorted(RECORDINGS.glob("*.ndjson"))], tmp_path, jobs=1)
    results = module.main(str(tmp_path))
    tokens = {
        (agent, model): out
        for agent, model, _calls, _in, out in results["tokens per agent and model"]
    }
    assert tokens[("think", "?")] > 0  # Loom: per node
    assert any(model == "qwen2.5-7b-instruct" for _agent, model in tokens)  # NNRP names its model
    slowest = results["slowest tool calls"]
    assert slowest[0][0] == "invoke_agent" and slowest[0][3] > slowest[-1][3]
    rates = {tool: (calls, errors) for tool, calls, errors, _rate in results["error rate per tool"]}
    assert rates["read"] == (4, 1)
