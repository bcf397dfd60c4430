"""Helpers of the batch tests: reading an export back, building logs from recordings."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from streamfold.tables import TABLE_NAMES, Rows

RECORDINGS = Path(__file__).resolve().parent.parent.parent / "examples" / "recordings"


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def canonical(rows: Rows) -> dict[str, list[bytes]]:
    """Rows per table as sorted canonical JSON texts (order-free comparison)."""
    return {
        table: sorted(
            orjson.dumps(row, default=_default, option=orjson.OPT_SORT_KEYS)
            for row in rows.get(table, [])
        )
        for table in TABLE_NAMES
    }


def read_export(out_dir: Path) -> Rows:
    """Every row of an export (Parquet or JSON Lines parts)."""
    rows: Rows = {table: [] for table in TABLE_NAMES}
    for table in TABLE_NAMES:
        for path in sorted((out_dir / table).iterdir()):
            if path.suffix == ".parquet":
                import pyarrow.parquet as pq

                rows[table] += pq.read_table(path).to_pylist()
            else:
                rows[table] += [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return rows


def interleave(paths: Sequence[Path], seed: int = 7) -> bytes:
    """The NDJSON lines of ``paths`` interleaved at random, each file's lines kept in order (a
    log in which their sessions run at the same time)."""
    streams = [[ln for ln in p.read_bytes().split(b"\n") if ln.strip()] for p in paths]
    rng = random.Random(seed)
    positions = [0] * len(streams)
    out: list[bytes] = []
    while True:
        open_ = [i for i, s in enumerate(streams) if positions[i] < len(s)]
        if not open_:
            break
        i = rng.choice(open_)
        out.append(streams[i][positions[i]])
        positions[i] += 1
    return b"\n".join(out) + b"\n"


def split_bytes(data: bytes, pieces: int, folder: Path, suffix: str = ".ndjson") -> list[Path]:
    """``data`` cut into ``pieces`` files at byte offsets that fall inside lines."""
    cuts = [0, *(len(data) * k // pieces + 5 for k in range(1, pieces)), len(data)]
    paths = []
    for k in range(pieces):
        path = folder / f"log.{k:03d}{suffix}"
        path.write_bytes(data[cuts[k] : cuts[k + 1]])
        paths.append(path)
    return paths
