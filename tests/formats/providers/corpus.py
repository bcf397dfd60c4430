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
from streamfold.model import Message, Run, TextPart, ToolCall, ToolCallPart, Usage

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
