"""The provider corpus (recorded streams of the live OpenAI and Anthropic APIs, with what each
vendor's own client accumulator ends with) and streamfold's fold of it in the same normalized
shape, for the conformance tests of the provider formats.

The corpus lives beside the checkout in ``../shared/corpus/providers/`` and is not copied into
the project (it is the upstream projects' data). When it is absent the tests skip, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold import Reducer
from streamfold.model import Message, ReasoningPart, Run, TextPart, ToolCall, ToolCallPart, Usage

__all__ = ["CORPUS", "corpus_streams", "fold", "load_truth", "normalize_usage", "parsed"]

_ROOT = Path(__file__).resolve().parents[3]


def _find_corpus() -> Path:
    """``shared/corpus/providers`` beside the checkout (``../shared``), or beside one of its
    parent folders (a worktree kept in a subfolder of the checkouts' folder)."""
    for folder in _ROOT.parents:
        candidate = folder / "shared" / "corpus" / "providers"
        if candidate.is_dir():
            return candidate
    return _ROOT.parent / "shared" / "corpus" / "providers"


CORPUS = _find_corpus()


def corpus_streams(fmt: str) -> list[Path]:
    """The ``.sse`` recordings of format folder ``fmt`` (a skip, or a failure under CI, when the
    corpus is absent)."""
    folder = CORPUS / fmt
    if not folder.is_dir():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"the provider corpus is missing: {folder}")
        return []
    return sorted(folder.glob("*.sse"))


def skip_if_empty(paths: list[Path]) -> None:
    if not paths:
        pytest.skip("the provider corpus (../shared/corpus/providers) is not here")


def load_truth(path: Path) -> dict[str, Any]:
    truth: dict[str, Any] = orjson.loads(path.with_suffix(".truth.json").read_bytes())
    return truth


def fold(data: bytes, fmt: str | None = None, cuts: list[int] | None = None) -> Reducer:
    """``data`` fed as SSE to a new reducer (detecting the format unless ``fmt``), split at
    ``cuts``, then closed."""
    reducer = Reducer(format=fmt) if fmt else Reducer()
    start = 0
    for cut in sorted(cuts or []):
        reducer.feed_sse(data[start:cut])
        start = cut
    reducer.feed_sse(data[start:])
    reducer.close()
    return reducer


def runs(reducer: Reducer) -> list[Run]:
    return [run for session in reducer.conversation.sessions.values() for run in session.runs]


def parsed(call: ToolCall) -> Any:
    """The call's parsed arguments (the input when it has one, else its text parsed)."""
    from streamfold.model import UNSET

    if call.input is not UNSET:
        return call.input
    return orjson.loads(call.arguments) if call.arguments else None


def texts(message: Message) -> str:
    return "".join(p.text for p in message.parts if isinstance(p, TextPart))


def calls(message: Message) -> list[ToolCall]:
    return [p.call for p in message.parts if isinstance(p, ToolCallPart)]


def normalize_usage(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens}


def ours(reducer: Reducer) -> dict[str, Any]:
    """streamfold's fold in the vendors' normalized shape (:mod:`.vendors`): per message of
    the stream's one run, its text, reasoning, tool calls (id, name, parsed arguments, output)
    and finish reason; the run's usage and error code."""
    (run,) = runs(reducer)
    fmt = run.metadata.get("format")
    messages = []
    for message in run.messages:
        out_calls = []
        for call in calls(message):
            entry: dict[str, Any] = {
                "id": call.call_id,
                "name": call.name,
                "arguments": parsed(call),
            }
            output = _output(call)
            if output is not None:
                entry["output"] = output
            out_calls.append(entry)
        item: dict[str, Any] = {
            "texts": texts(message),
            "reasoning": message.reasoning,
            "tool_calls": out_calls,
        }
        if fmt == "openai-chat":
            item["refusal"] = message.metadata.get("refusal")
            item["finish_reason"] = message.metadata.get("finish_reason")
        elif fmt == "anthropic":
            item["signatures"] = [
                p.signature for p in message.parts if isinstance(p, ReasoningPart) and p.signature
            ]
            item["finish_reason"] = run.stop_reason
        else:
            item["finish_reason"] = run.stop_reason
        messages.append(item)
    if fmt == "openai-responses" and run.error_code is not None:
        return {"messages": [], "usage": None, "error": {"code": run.error_code}}
    return {
        "messages": messages,
        "usage": normalize_usage(run.usage) if run.usage else None,
        "error": None if run.error_code is None else {"code": run.error_code},
    }


def _output(call: ToolCall) -> Any:
    """A provider-executed call's output, as the vendor models show it: the MCP result's text
    pieces, the web search results' url and title, the code interpreter's logs."""
    from streamfold.model import UNSET

    if call.result is None:
        return None
    value = call.result_value
    if value is UNSET:
        return call.result
    if isinstance(value, list):
        shaped = []
        for entry in value:
            if isinstance(entry, dict) and entry.get("type") == "text":
                shaped.append(entry.get("text"))
            elif isinstance(entry, dict) and entry.get("type") == "web_search_result":
                shaped.append({"url": entry.get("url"), "title": entry.get("title")})
            elif isinstance(entry, dict) and entry.get("type") == "logs":
                shaped.append(entry.get("logs"))
            else:
                shaped.append(entry)
        return shaped
    return value
