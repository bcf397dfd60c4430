"""Run the installed command line as a user does: ``python -m streamfold ...`` in a subprocess
(the package from this checkout's ``src`` first on the path), with its exit code, stdout and
stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RECORDINGS = ROOT / "examples" / "recordings"
SRC = ROOT / "src"


def env(*prepend: Path) -> dict[str, str]:
    """The environment for a subprocess: ``prepend`` and this checkout's ``src`` first on
    ``PYTHONPATH``; no terminal colours."""
    environ = dict(os.environ)
    paths = [str(p) for p in (*prepend, SRC)]
    if environ.get("PYTHONPATH"):
        paths.append(environ["PYTHONPATH"])
    environ["PYTHONPATH"] = os.pathsep.join(paths)
    environ.pop("FORCE_COLOR", None)
    return environ


def streamfold(
    *args: str, stdin: bytes | None = None, prepend: tuple[Path, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``python -m streamfold *args``; text output (UTF-8)."""
    return subprocess.run(
        [sys.executable, "-m", "streamfold", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env(*prepend),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
