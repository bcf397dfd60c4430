"""A live chat page and an AG-UI SSE endpoint for any stream streamfold reads (extra ``web``).

:func:`create_app` builds a Starlette ASGI app with two routes:

* ``GET /events`` — AG-UI 1.0 events as Server-Sent Events (``data: <json>`` frames): a
  recording replayed at its original timing (times ``speed``), or a live upstream stream
  proxied and re-encoded as it arrives (an ``http(s)://`` URL read with ``httpx``; Loom, NNRP,
  TanStack legacy or AG-UI, NDJSON or SSE, detected from the first bytes). Every connection
  gets its own replay / upstream request and its own :class:`~streamfold.chat.ChatState`.
* ``GET /`` — one self-contained HTML page (no CDN, no network beyond ``events``) that renders
  the conversation as it grows: messages, reasoning (collapsed), tool calls with their state,
  arguments and results, sub-agents nested, usage, errors and diagnostics. Stream text is
  inserted as text nodes, never as markup.

The app is mountable in any Starlette or FastAPI app (``Mount("/chat", app=create_app(...))``;
the page finds ``events`` relative to where it is served). :func:`serve` runs it with uvicorn
(``streamfold serve FILE|URL``; ``python -m streamfold.web FILE|URL``). See ``docs/agui-out.md``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from importlib import resources
from typing import Any

from .stream import agui_events, agui_sse

__all__ = ["agui_events", "agui_sse", "create_app", "page_html", "serve"]


def page_html() -> str:
    """The chat page (a static file in the package)."""
    return resources.files(__package__).joinpath("static/index.html").read_text("utf-8")


def create_app(
    source: str | os.PathLike[str],
    *,
    speed: float | None = 1.0,
    untimed_interval: float = 0.05,
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """The ASGI app for ``source``: a recording file's path, or an ``http(s)://`` URL to proxy.

    ``speed`` scales a recording's timing (``None``: as fast as the client reads);
    ``untimed_interval`` is the pause in seconds before each frame of a recording without
    arrival times (plain NDJSON / SSE files), so the page still grows visibly. ``headers`` are
    sent upstream with each proxied request. Raises ``ImportError`` (install
    ``streamfold[web]``) when Starlette is missing and :class:`OSError` when a file cannot be
    read (checked at once, not at the first request).
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response, StreamingResponse
    from starlette.routing import Route

    text = os.fspath(source)
    is_url = text.startswith(("http://", "https://"))
    if not is_url:
        with open(text, "rb"):
            pass  # fail now on a missing file, not on the first page load
    name = title or (text if is_url else os.path.basename(text))
    html = page_html().replace("__STREAMFOLD_TITLE__", _html_escape(name))

    async def page(request: Request) -> Response:
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": (
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                    "connect-src 'self'; img-src data:"
                ),
                "Cache-Control": "no-store",
            },
        )

    async def events(request: Request) -> Response:
        body: AsyncIterator[str] = agui_sse(
            text,
            speed=speed,
            untimed_interval=untimed_interval,
            headers=headers,
        )
        return StreamingResponse(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # POST too: a TanStack AI / AG-UI client posts its RunAgentInput to the stream URL.
    return Starlette(routes=[Route("/", page), Route("/events", events, methods=["GET", "POST"])])


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def serve(
    source: str | os.PathLike[str],
    port: int = 8000,
    speed: float | None = 1.0,
    *,
    host: str = "127.0.0.1",
) -> None:
    """Serve :func:`create_app` for ``source`` with uvicorn until interrupted
    (``streamfold serve``). Listens on ``host`` (loopback by default)."""
    import uvicorn

    app = create_app(source, speed=speed)
    uvicorn.run(app, host=host, port=port, log_level="warning")
