"""The web app over a real uvicorn server on 127.0.0.1: the page, the AG-UI SSE endpoint for a
recording and for a proxied live upstream, and mounting under a prefix."""

from __future__ import annotations

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
from starlette.routing import Mount, Route  # noqa: E402

from streamfold.io.sync import convert_file_to_agui  # noqa: E402
from streamfold.web import create_app, page_html  # noqa: E402

from .server import running  # noqa: E402

RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"


def _sse_events(text: str) -> list[dict[str, Any]]:
    return [
        json.loads(frame[len("data: ") :])
        for frame in text.split("\n\n")
        if frame.startswith("data: ")
    ]


def test_page_is_self_contained() -> None:
    html = page_html()
    assert "<script src" not in html and "<link" not in html
    assert "http://" not in html and "https://" not in html
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html


def test_events_endpoint_streams_the_recording_as_agui() -> None:
    path = RECORDINGS / "tanstack-agui-tools.sse"
    app = create_app(path, speed=None)
    with running(app) as base:
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200
        assert "tanstack-agui-tools.sse" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        with httpx.stream("GET", base + "/events", timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            body = "".join(response.iter_text())
    expected = [json.loads(line) for line in convert_file_to_agui(path, "agui-ndjson")]
    assert _sse_events(body) == expected


def test_title_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "<img src=x onerror=alert(1)>.ndjson"
    path.write_bytes((RECORDINGS / "loom-spec-example.ndjson").read_bytes())
    app = create_app(path, speed=None)
    with running(app) as base:
        html = httpx.get(base + "/", timeout=10).text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_missing_file_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_app(tmp_path / "absent.ndjson")


def test_proxies_a_live_upstream_and_mounts_under_a_prefix() -> None:
    """A Loom NDJSON upstream served by a second real server, proxied through /chat/events."""
    lines = (RECORDINGS / "loom-react-parallel-tools.ndjson").read_bytes().splitlines(True)

    async def upstream(request: Request) -> Response:
        async def body() -> Any:
            for line in lines:  # one line per chunk, split mid-line too
                yield line[:7]
                yield line[7:]

        return StreamingResponse(body(), media_type="application/x-ndjson")

    with running(Starlette(routes=[Route("/stream", upstream)])) as upstream_base:
        app = Starlette(routes=[Mount("/chat", app=create_app(upstream_base + "/stream"))])
        with running(app) as base:
            assert httpx.get(base + "/chat/", timeout=10).status_code == 200
            with httpx.stream("GET", base + "/chat/events", timeout=30) as response:
                body = "".join(response.iter_text())
    events = _sse_events(body)
    expected = [
        json.loads(line)
        for line in convert_file_to_agui(
            RECORDINGS / "loom-react-parallel-tools.ndjson", "agui-ndjson"
        )
    ]
    assert events == expected
    assert any(e["type"] == "TOOL_CALL_RESULT" for e in events)
