"""The seeded mutation run (fuzz/mutation_run.py) runs in CI on a small number of streams, so it
cannot rot; the long runs and their totals are in docs/fuzzing.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .cli.run import env

ROOT = Path(__file__).parent.parent


def test_the_mutation_run_accounts_for_every_frame_of_every_format() -> None:
    script = ROOT / "fuzz" / "mutation_run.py"
    cmd = [sys.executable, str(script), "--streams", "300", "--jobs", "1", "--seed", "7"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env(), timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["failures"] == 0
    formats = report["formats"]
    assert {"loom", "tanstack", "nnrp", "vercel-ui"} <= set(formats)
    for counts in formats.values():
        assert counts["frames_in"] == counts["lines"] == counts["applied"] + counts["dropped"]
        assert counts["dropped"] > 0  # the mutations do break frames
