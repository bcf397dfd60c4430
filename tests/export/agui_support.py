"""Shared helpers for the AG-UI output tests: the bundled recordings, folding them, and the
Node reference tools (``conformance/verify_agui.mjs``, ``conformance/run_reference.mjs``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Final

import pytest

from streamfold import Reducer
from streamfold.io.recording import read_recording
from streamfold.model import Conversation
from streamfold.notifications import Notification, ToolCallIdChanged

ROOT: Final = Path(__file__).resolve().parents[2]
RECORDINGS: Final = ROOT / "examples" / "recordings"
CONFORMANCE: Final = ROOT / "conformance"
NODE_PACKAGES: Final = ("@ag-ui/client", "agui-core", "@tanstack/ai", "@tanstack/ai-client")


def recordings() -> list[Path]:
    """Every bundled recording: Loom, NNRP (both profiles), TanStack legacy, era B and AG-UI,
    and the AG-UI 1.0 senders' recordings under ``agui/``."""
    found = [p for p in RECORDINGS.iterdir() if p.suffix in (".ndjson", ".sse")]
    found += list((RECORDINGS / "agui").glob("*.sse"))
    return sorted(found)


def fold_frames(path: Path) -> tuple[list[list[Notification]], Conversation, dict[str, str]]:
    """Fold ``path`` frame by frame: the per-frame notifications, the model, and the call id
    renames (new id -> the id first seen, which the AG-UI stream keeps)."""
    reducer = Reducer()
    batches: list[list[Notification]] = []
    renames: dict[str, str] = {}
    for frame in read_recording(path).frames:
        notes = reducer.feed_frame(frame)
        batches.append(notes)
        for note in notes:
            if type(note) is ToolCallIdChanged:
                renames[note.new] = renames.get(note.old, note.old)
    batches.append(reducer.close())
    return batches, reducer.conversation, renames


def node_unavailable() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (the AG-UI checks run @ag-ui/client and TanStack AI)"
    missing = [p for p in NODE_PACKAGES if not (CONFORMANCE / "node_modules" / p).exists()]
    if missing:
        return (
            f"conformance/node_modules lacks {', '.join(missing)}: "
            "run `npm ci --prefix conformance`"
        )
    return None


def require_node() -> None:
    """Skip without Node and the packages, but fail under ``STREAMFOLD_REQUIRE_CONFORMANCE``."""
    reason = node_unavailable()
    if reason is None:
        return
    required = os.environ.get("STREAMFOLD_REQUIRE_CONFORMANCE", "").strip().lower()
    if required not in ("", "0", "false", "no", "off"):
        pytest.fail(reason)
    pytest.skip(reason)


def run_node(script: str, jobs: list[dict[str, Any]], timeout: float = 300) -> dict[str, Any]:
    """Run ``conformance/<script> --jobs`` in one node process; its JSON answer by job key."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(jobs, fh)
        jobs_file = fh.name
    try:
        done = subprocess.run(
            ["node", str(CONFORMANCE / script), "--jobs", jobs_file],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )
    finally:
        os.unlink(jobs_file)
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
