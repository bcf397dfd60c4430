"""The AG-UI event streams behind ``/events``: a recording at its timing, or a live upstream.

Both are async generators of AG-UI event dicts (:func:`agui_events`) or of SSE text
(:func:`agui_sse`), built on :class:`~streamfold.chat.ChatState` (reducer → AG-UI encoder).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..chat import ChatState
from ..export.agui import sse_frame
from ..framing import FrameSplitter

__all__ = ["agui_events", "agui_sse"]


async def agui_events(
    source: str | os.PathLike[str],
    *,
    speed: float | None = 1.0,
    untimed_interval: float = 0.05,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """AG-UI events of ``source`` (a recording path or an ``http(s)://`` URL) as they are due:
    a recording frame at its replay time, an upstream frame as soon as it arrives."""
    text = os.fspath(source)
    chat = ChatState()
    if text.startswith(("http://", "https://")):
        async for event in _upstream(chat, text, headers):
            yield event
        return
    from ..replay import Replayer

    replayer = Replayer.open(
        text,
        speed=speed,
        untimed_interval=untimed_interval,
        reducer_factory=lambda: chat.reducer,
    )
    async for step in replayer.play():
        for event in chat.apply(step.notes):
            yield event
    for event in chat.stop():
        yield event


async def _upstream(
    chat: ChatState, url: str, headers: Mapping[str, str] | None
) -> AsyncIterator[dict[str, Any]]:
    import httpx

    splitter = FrameSplitter(None, name=url.rsplit("?", 1)[0])
    timeout = httpx.Timeout(30.0, read=None)
    async with (
        httpx.AsyncClient(timeout=timeout) as client,
        client.stream("GET", url, headers=dict(headers or {})) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_raw():
            for frame in splitter.feed(chunk):
                for event in chat.apply(chat.reducer.feed_frame(frame)):
                    yield event
    for frame in splitter.close():
        for event in chat.apply(chat.reducer.feed_frame(frame)):
            yield event
    for event in chat.stop():
        yield event


async def agui_sse(
    source: str | os.PathLike[str],
    *,
    speed: float | None = 1.0,
    untimed_interval: float = 0.05,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[str]:
    """:func:`agui_events` as SSE frames (``data: <json>\\n\\n``)."""
    async for event in agui_events(
        source, speed=speed, untimed_interval=untimed_interval, headers=headers
    ):
        yield sse_frame(event)
