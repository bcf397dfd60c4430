"""Make docs/img/live-view.svg: ``streamfold demo`` on a 100×40 terminal, a few seconds in.

The command runs in a real terminal (a detached tmux session); its screen is captured with
its colours (``tmux capture-pane -e``) and written as SVG by rich (``Console.export_svg``), so
the picture is what a user sees, made by a script rather than by hand.

Run: ``.venv/bin/python docs/screenshots/make_terminal.py [SECONDS]`` (needs ``streamfold[cli]``
and ``apt-get install tmux``). The tmux session is private (its own socket) and is killed when
done.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img" / "live-view.svg"
WIDTH, HEIGHT = 100, 40


def capture(seconds: float) -> str:
    """The screen of ``streamfold demo`` after ``seconds``, with its ANSI colours."""
    streamfold = shutil.which("streamfold", path=str(Path(sys.executable).parent)) or "streamfold"
    with tempfile.TemporaryDirectory() as tmp:
        socket = str(Path(tmp) / "tmux.sock")
        tmux = ["tmux", "-S", socket]
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        subprocess.run(
            [*tmux, "new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), streamfold, "demo"],
            check=True,
            env=env,
        )
        try:
            time.sleep(seconds)
            screen = subprocess.run(
                [*tmux, "capture-pane", "-e", "-p"], check=True, capture_output=True, text=True
            ).stdout
        finally:
            subprocess.run([*tmux, "kill-server"], check=False)
    return screen


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 9.0
    screen = capture(seconds)
    console = Console(record=True, width=WIDTH, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(Text.from_ansi(screen.rstrip("\n")), soft_wrap=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    svg = console.export_svg(title="streamfold demo")
    # rich's template loads Fira Code from a CDN; the site must work offline, so the SVG uses
    # the reader's local monospace font instead (a "Fira Code" installed locally still wins).
    svg = re.sub(r"@font-face \{[^}]*\}", "", svg)
    svg = svg.replace("https://www.textualize.io", "")
    assert "https://" not in svg
    OUT.write_text(svg, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
