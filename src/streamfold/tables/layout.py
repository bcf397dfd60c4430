"""Where the tables go: ``OUT_DIR/<table>/<part>.<ext>`` (docs/batch.md), for every sink."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["part_path"]


def part_path(out_dir: str | os.PathLike[str], table: str, part: str, ext: str) -> Path:
    """``OUT_DIR/<table>/<part>.<ext>``, its directory created."""
    folder = Path(out_dir) / table
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{part}.{ext}"
