"""Make docs/img/agui-page.png (the live page for the Loom multi-agent recording) and
docs/img/transcript.png (its HTML transcript, ``streamfold transcript --format html``, with the
timeline), in Debian's chromium driven by Playwright (no browser download).

Run: ``.venv/bin/python docs/screenshots/make.py`` (needs ``streamfold[web]``, playwright and
``apt-get install chromium``). The server listens on 127.0.0.1 and stops when done.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright

from streamfold.web import create_app

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "examples" / "recordings" / "loom-multi-agent.ndjson"
OUT = ROOT / "docs" / "img" / "agui-page.png"
TRANSCRIPT_OUT = ROOT / "docs" / "img" / "transcript.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def transcript(context: Any) -> None:
    """The HTML transcript of the recording, opened from a file."""
    from streamfold import fold_file
    from streamfold.export.transcript import write_html

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "transcript.html"
        with path.open("w", encoding="utf-8") as out:
            write_html(fold_file(RECORDING), out.write, title="streamfold transcript")
        page = context.new_page()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(TRANSCRIPT_OUT))
    print(f"wrote {TRANSCRIPT_OUT}")


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(RECORDING, speed=None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path="/usr/bin/chromium",
                args=ARGS,
                headless=True,
                viewport={"width": 1100, "height": 1300},
            )
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("body[data-finished=true]", timeout=60000)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT))
            transcript(context)
            context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
