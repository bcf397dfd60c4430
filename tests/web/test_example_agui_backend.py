"""examples/agui_backend.py: an NNRP backend behind an AG-UI (TanStack AI) frontend, end to end
over real servers; the frontend side is TanStack's own StreamProcessor when Node is here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response, StreamingResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from ..export.agui_support import node_unavailable, run_node  # noqa: E402
from .server import running  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "examples" / "recordings" / "nnrp-openai.ndjson"


def _example() -> Any:
    spec = importlib.util.spec_from_file_location(
        "agui_backend", ROOT / "examples" / "agui_backend.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nnrp_backend_behind_an_agui_frontend(tmp_path: Path) -> None:
    data = RECORDING.read_bytes()

    async def backend(request: Request) -> Response:
        async def body() -> Any:
            for i in range(0, len(data), 97):
                yield data[i : i + 97]

        return StreamingResponse(body(), media_type="application/x-ndjson")

    with running(Starlette(routes=[Route("/stream", backend)])) as upstream:
        app = _example().make_app(upstream + "/stream")
        with running(app) as base:
            run_input = {"threadId": "t", "runId": "r", "messages": [], "tools": [],
                         "context": [], "state": {}, "forwardedProps": {}}  # fmt: skip
            with httpx.stream("POST", base + "/api/chat", json=run_input, timeout=30) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                sse = "".join(r.iter_text())
            assert httpx.get(base + "/inspect/", timeout=10).status_code == 200
    events = [json.loads(f[6:]) for f in sse.split("\n\n") if f.startswith("data: ")]
    assert events[0]["type"] == "RUN_STARTED" and events[-1]["type"] == "RUN_FINISHED"
    text = "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert "I'll check the weather first." in text
    if node_unavailable() is None:  # the TanStack frontend's own processor on the same bytes
        path = tmp_path / "chat.sse"
        path.write_text(sse)
        out = run_node("run_reference.mjs", [{"key": "x", "version": "current", "file": str(path)}])
        parts = [p for m in out["x"]["messages"] for p in m["parts"]]
        assert any(p["type"] == "tool-call" and p["name"] == "get_weather" for p in parts)
