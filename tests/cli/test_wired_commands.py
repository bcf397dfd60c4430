"""The commands that put the library's edges on the command line: ``convert --to agui-*``
(docs/agui-out.md), ``serve`` (the web bridge) and ``export`` (docs/batch.md), run as a user
runs them, in a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from streamfold.io.sync import convert_file_to_agui

from .run import RECORDINGS, ROOT, env, streamfold

LOOM = RECORDINGS / "loom-react-parallel-tools.ndjson"


@pytest.mark.parametrize(
    "path", [LOOM, RECORDINGS / "nnrp-openai.ndjson", RECORDINGS / "tanstack-legacy-tools.sse"]
)
def test_convert_to_agui_ndjson_is_the_encoders_output(path: Path) -> None:
    result = streamfold("convert", str(path), "--to", "agui-ndjson")
    assert result.returncode == 0, result.stderr
    events = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert events == [orjson.loads(line) for line in convert_file_to_agui(path, "agui-ndjson")]
    assert events[0]["type"] == "RUN_STARTED"
    assert events[-1]["type"] in {"RUN_FINISHED", "RUN_ERROR"}


def test_convert_to_agui_sse_frames_every_event() -> None:
    result = streamfold("convert", str(LOOM), "--to", "agui-sse")
    assert result.returncode == 0, result.stderr
    frames = [f for f in result.stdout.split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames)
    assert [orjson.loads(f[6:])["type"] for f in frames].count("TOOL_CALL_START") >= 2


def test_convert_to_agui_of_nothing_understood_exits_3(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("not a stream\nat all\n")
    result = streamfold("convert", str(junk), "--to", "agui-sse")
    assert result.returncode == 3
    assert "not understood" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_the_page_and_the_event_stream() -> None:
    pytest.importorskip("uvicorn")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamfold", "serve", str(LOOM), "--port", str(port), "--instant"],
        env=env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "<html" in page.lower()
        with urllib.request.urlopen(base + "/events", timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            body = response.read().decode()
        types = [orjson.loads(f[6:])["type"] for f in body.split("\n\n") if f.startswith("data:")]
        assert types[0] == "RUN_STARTED"
        assert "TEXT_MESSAGE_CONTENT" in types
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_export_jsonl_tables(tmp_path: Path) -> None:
    out = tmp_path / "tables"
    result = streamfold(
        "export",
        str(LOOM),
        str(RECORDINGS / "nnrp-clean.ndjson"),
        "--to",
        "jsonl",
        "-o",
        str(out),
        "--jobs",
        "1",
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    runs = [
        json.loads(line)
        for part in sorted((out / "runs").glob("*.jsonl"))
        for line in part.read_text().splitlines()
    ]
    assert {r["source"].rsplit("/", 1)[-1] for r in runs} == {
        LOOM.name,
        "nnrp-clean.ndjson",
    }
