"""The benchmark suite still runs (issue #7): ``bench/run.py`` on tiny streams, peers off.

No timing is asserted (timings belong to ``bench/results.md``, never to tests); this checks that
the command the README quotes completes and writes every table with a row per stream, so a
change to the reducer's API or to the bench's child processes cannot leave it broken unnoticed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "run.py"
LABELS = ("Loom ReAct + tools", "AG-UI text + tools", "NNRP token chunks")
NUMBER = r"\d+\.\d\d"  # µs (fmt_us)
RATIO = r"\d+\.\d\d?×"  # ratio(): two decimals, one from 10× up


@pytest.mark.skipif(not BENCH.exists(), reason="bench/ not in this checkout")
def test_bench_writes_every_table(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    kept = "<!-- kept: the sections below are written by other scripts and by hand; …-->\n## Mine\n"
    out.write_text("## Summary\nold numbers\n" + kept, encoding="utf-8")
    cmd = [sys.executable, str(BENCH), "--sizes", "1000", "2000", "--no-peers", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    headings = ("## Summary", "## Throughput", "## Per-frame cost", "## Peak memory", "## Latency")
    for heading in headings:
        assert heading in text
    for label in LABELS:
        # Throughput: floor, feed_line, ratio, bare fold (its ratio), framed, per size.
        row = re.compile(
            rf"^\| {re.escape(label)} \| [\d,]+ \| \d+% \| {NUMBER} \| {NUMBER} \| {RATIO} [✓✗] "
            rf"\| {NUMBER} \({RATIO}\) \| {NUMBER} \(feed_(bytes|sse)\) \|",
            re.M,
        )
        assert len(row.findall(text)) == 2, label
        # Flatness: both sizes, the ratio with and without GC, and the framed path's.
        flat = re.compile(
            rf"^\| {re.escape(label)} \| {NUMBER} \(\d+%\) \| {NUMBER} \(\d+%\) "
            rf"\| {NUMBER}× [✓✗] \| {NUMBER}× [✓✗] \| {NUMBER}× [✓✗] \({NUMBER}×\) \|",
            re.M,
        )
        assert flat.search(text), label
    assert "| error" not in text  # a child process that failed is reported in its cell
    assert "What bounds it: a bare Python fold" in text
    assert "old numbers" not in text and text.endswith(kept)  # own part new, rest kept
