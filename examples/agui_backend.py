"""Put a Loom agent or an NNRP token service behind a TanStack AI (or any AG-UI) frontend.

The frontend speaks AG-UI 1.0; the backend does not. This app sits between them: for each chat
request it opens the backend's stream, folds it with streamfold and re-emits it, live, as AG-UI
SSE. It also serves streamfold's own live page under ``/inspect/`` for the same backend.

    pip install 'streamfold[web]'
    python examples/agui_backend.py http://127.0.0.1:9000/stream     # the Loom / NNRP stream

The frontend (TanStack AI)::

    const chat = useChat({ connection: fetchServerSentEvents("/api/chat") })

``/api/chat`` takes the client's POST (its body is the AG-UI ``RunAgentInput``; a real backend
would forward the user's message upstream) and answers with ``text/event-stream``.
See docs/agui-out.md "A Loom or NNRP backend behind a TanStack AI frontend".
"""

from __future__ import annotations

import sys
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route

from streamfold.web import agui_sse, create_app


def make_app(upstream: str) -> Starlette:
    """The app for the backend stream at ``upstream`` (an ``http(s)://`` URL)."""

    async def chat(request: Request) -> Response:
        await request.body()  # the RunAgentInput: forward its last user message upstream here
        return StreamingResponse(
            agui_sse(upstream),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return Starlette(
        routes=[
            Route("/api/chat", chat, methods=["POST"]),
            Mount("/inspect", app=create_app(upstream)),
        ]
    )


def main(argv: list[str]) -> Any:
    import uvicorn

    if len(argv) != 1:
        print("usage: python examples/agui_backend.py UPSTREAM_URL", file=sys.stderr)
        return 2
    uvicorn.run(make_app(argv[0]), host="127.0.0.1", port=8000, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
