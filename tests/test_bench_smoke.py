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
    cmd += ["--scale", "none"]  # bench_scale's own test is below
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


SESSIONS = ROOT / "bench" / "bench_sessions.py"


@pytest.mark.skipif(not SESSIONS.exists(), reason="bench/ not in this checkout")
def test_bench_sessions_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    out.write_text(
        "# results\n<!-- bench_sessions -->\nOLD NUMBERS\n<!-- /bench_sessions -->\n\n"
        "A note kept.\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, str(SESSIONS), "--sessions", "150", "--small", "20", "--write"]
    cmd += ["--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "OLD NUMBERS" not in text and text.endswith("<!-- /bench_sessions -->\n\nA note kept.\n")
    for fmt in ("loom", "agui", "nnrp"):
        rows = re.findall(
            rf"^\| {fmt} \| (long|short ×20|short ×150) \| (gc|no gc|freeze) \| [\d,]+ "
            rf"\| {NUMBER} \| {NUMBER}× \| {NUMBER}× \| \d+ \({NUMBER}\) \|$",
            text,
            re.M,
        )
        assert len(rows) == 7, fmt  # long and the large count three ways, the small one once
    # every short session is its own: the child reports as many sessions as it was given
    assert re.search(r"short ×150 +gc +[\d,]+ frames +150 sessions", proc.stdout)


BATCH = ROOT / "bench" / "bench_batch.py"


@pytest.mark.skipif(not BATCH.exists(), reason="bench/ not in this checkout")
def test_bench_batch_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    cmd = [sys.executable, str(BATCH), "--sessions", "24", "--turns", "1", "--files", "3"]
    cmd += ["--engines", "local", "--write", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\n\n<!-- bench_batch -->") and text.endswith("<!-- /bench_batch -->\n")
    rows = re.findall(
        r"^\| local \| (files|--log) \| (1|2) \| [\d,]+ \| [\d.]+ \| [\d.]+ "
        r"\| \d+ MB \| \d+ MB \|$",
        text,
        re.M,
    )
    assert len(rows) == 4  # files and --log, one worker and two
    frames = re.search(r"\(([\d,]+) frames, ", text)
    assert frames and int(frames.group(1).replace(",", "")) > 24 * 10


SCALE = ROOT / "bench" / "bench_scale.py"
NODE_PEERS = ROOT / "conformance" / "node_modules" / "@tanstack" / "ai"


@pytest.mark.skipif(not SCALE.exists(), reason="bench/ not in this checkout")
def test_bench_scale_writes_its_section_with_every_peer(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    out.write_text("# results\n\nA note kept.\n", encoding="utf-8")
    cmd = [sys.executable, str(SCALE), "--tiny", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# results\n\nA note kept.\n\n<!-- bench_scale -->\n")
    goals = re.findall(r"^- .*: \*\*(met|not met)\*\*", text, re.M)
    assert len(goals) == 5, text
    for fmt in ("Loom", "AG-UI", "NNRP OpenAI"):  # tool-heavy: both sizes and the growth
        assert re.search(
            rf"^\| streamfold {fmt} \| {NUMBER} \| {NUMBER} \| {NUMBER}× \|", text, re.M
        )
    for fmt in ("Loom", "AG-UI", "NNRP token", "NNRP OpenAI"):  # heap per byte, open and closed
        assert re.search(rf"^\| streamfold {fmt} \| {NUMBER} B \| {NUMBER} B \|$", text, re.M)
        assert re.search(rf"^\| {fmt} \| [\d,]+ \| {NUMBER} \| {NUMBER}× \| ", text, re.M)
    peers = ["openai-python", "pydantic-ai"]  # the test extra installs both
    if NODE_PEERS.is_dir():
        peers += ["TanStack", "@ag-ui/client", "Vercel ai"]
    for peer in peers:
        tools = rf"^\| {re.escape(peer)} \(per AG-UI frame\) \| {NUMBER} \| {NUMBER} \| "
        assert re.search(tools, text, re.M), peer
        sessions = rf"^\| {re.escape(peer)} \| {NUMBER} \| \d+\.\d+× \|$"
        assert re.search(sessions, text, re.M), peer
        if peer in ("openai-python", "pydantic-ai"):  # heap per byte: the Python peers only
            memory = rf"^\| {re.escape(peer)} \| {NUMBER} B( \(first [\d,]+ events\))? \| "
            assert re.search(memory, text, re.M), peer
    assert "openai-python on the same content:" in text
