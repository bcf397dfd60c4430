"""``bench/bench_snapshot.py`` still runs (on tiny streams; no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "bench_snapshot.py"


@pytest.mark.skipif(not BENCH.exists(), reason="bench/ not in this checkout")
def test_bench_snapshot_prints_a_row_per_stream() -> None:
    cmd = [sys.executable, str(BENCH), "--frames", "1000", "--repeat", "1", "--rounds", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = re.findall(
        r"^\| .+ \| [\d,]+ \| \d+\.\d\d \| [\d,]+ \| [\d,]+ \| \d+\.\d\d \|$", proc.stdout, re.M
    )
    assert len(rows) == 4, proc.stdout
