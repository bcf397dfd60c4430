"""The served page in a real browser (Playwright for Python driving Debian's chromium).

Skips when chromium or Playwright is missing, except under ``CI=true``, where that fails.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold.web import create_app

from .server import running

RECORDINGS = Path(__file__).resolve().parents[2] / "examples" / "recordings"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return "Debian's chromium is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; no browser download)"
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return "uvicorn is not installed (pip install streamfold[web])"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=shutil.which("chromium") or CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1100, "height": 1400},
        )
        try:
            yield context
        finally:
            context.close()


def test_multi_agent_recording_renders_live(browser: Any) -> None:
    app = create_app(RECORDINGS / "loom-multi-agent.ndjson", speed=1.0, untimed_interval=0.01)
    with running(app) as base:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/")
        # Live: text shows while the stream is still going.
        page.wait_for_selector(".message > .text", timeout=20000)
        assert page.get_attribute("body", "data-finished") is None
        page.wait_for_selector("body[data-finished=true]", timeout=60000)
        assert page.text_content("#status") == "done"
        calls = page.locator("[data-tool-call-id]")
        assert calls.count() == 4
        for i in range(calls.count()):
            assert calls.nth(i).get_attribute("data-state") == "complete"
        grep = page.locator("[data-tool-call-id=call_S5JdIkZ0ZdI21ZFoOlhBVUGg]")
        assert "timeout|from_secs" in (grep.locator(".args").text_content() or "")
        assert "Found 2 matches" in (grep.text_content() or "")
        # The explore agent runs under the invoke_agent call; its calls are inside it.
        agent = page.locator("[data-subagent-id='call_GgHBBGai2MWeRV8nUTeUHG1Q/agent']")
        assert agent.count() == 1
        parent = page.locator("[data-tool-call-id=call_GgHBBGai2MWeRV8nUTeUHG1Q]")
        assert parent.locator("[data-subagent-id]").count() == 1
        assert agent.locator("[data-tool-call-id]").count() == 2
        assert page.locator("[data-subagent-id]").count() == 2  # + the overlapping session
        # Reasoning is collapsed.
        assert page.locator("details.reasoning[open]").count() == 0
        assert page.locator("details.reasoning").count() >= 2
        assert "usage:" in (page.text_content("#usage") or "")
        assert errors == []
        page.close()


def _hostile_recording(path: Path) -> None:
    text = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    frames = [
        {"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": text},
        {
            "type": "TOOL_CALL_START",
            "toolCallId": "c",
            "toolCallName": "<b>x</b>",
            "parentMessageId": "m",
        },
        {
            "type": "TOOL_CALL_ARGS",
            "toolCallId": "c",
            "delta": '{"q": "<img src=y onerror=alert(1)>"}',
        },
        {"type": "TOOL_CALL_END", "toolCallId": "c"},
        {"type": "TOOL_CALL_RESULT", "messageId": "res", "toolCallId": "c", "content": text},
        {"type": "TEXT_MESSAGE_END", "messageId": "m"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    ]
    path.write_bytes(b"".join(orjson.dumps(f) + b"\n" for f in frames))


def test_markup_in_stream_text_stays_text(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "hostile.ndjson"
    _hostile_recording(path)
    app = create_app(path, speed=None)
    with running(app) as base:
        page = browser.new_page()
        page.goto(base + "/")
        page.wait_for_selector("body[data-finished=true]", timeout=30000)
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator("main script").count() == 0
        assert page.locator("main img").count() == 0
        assert page.locator("main b").count() == 0
        message = page.locator("[data-message-id=m] .text").first.text_content() or ""
        assert "<script>window.__pwned = 1</script>" in message
        assert "<b>x</b>" in (page.locator("[data-tool-call-id=c] .name").text_content() or "")
        page.close()
