"""The HTML transcript in a real browser (Playwright driving Debian's chromium): no script from
stream text runs, the page loads nothing, the details open and close, the timeline is drawn.

Skips when chromium or Playwright is missing, except under ``CI=true``, where that fails.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamfold.export.transcript import write_html

from .transcript_support import MULTI, fold_hostile, fold_path

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


def _open(browser: Any, html: str, tmp_path: Path) -> tuple[Any, list[str], list[str]]:
    path = tmp_path / "transcript.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        errors.append("dialog: " + dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def test_hostile_stream_runs_no_script_and_loads_nothing(browser: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    write_html(fold_hostile().conversation, out.write)
    page, errors, requests = _open(browser, out.getvalue(), tmp_path)
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('script, img, iframe').length") == 0
    assert errors == []
    assert requests == [page.url]  # the file itself, nothing else
    # the hostile text is on the page, as text
    body = page.inner_text("body")
    assert "<script>window.__pwned=1</script>" in body
    assert "SAFE-AFTER" in body
    page.close()


def test_timeline_is_drawn_and_details_collapse(browser: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    write_html(fold_path(MULTI["loom"]).conversation, out.write)
    page, errors, _ = _open(browser, out.getvalue(), tmp_path)
    assert errors == []
    svgs = page.query_selector_all("figure.timeline svg")
    assert len(svgs) == 2
    bars = page.query_selector_all("figure.timeline svg g.bar rect")
    assert len(bars) > 20
    boxes = [bar.bounding_box() for bar in bars[:5]]
    assert all(box is not None and box["width"] >= 1 and box["height"] > 5 for box in boxes)
    tool = page.query_selector("details.tool")
    assert tool is not None and not tool.evaluate("d => d.open")
    tool.query_selector("summary").click()
    assert tool.evaluate("d => d.open")
    assert "Arguments" in tool.inner_text()
    page.close()
