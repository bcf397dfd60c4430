"""Conformance of the provider formats with each vendor's own client accumulator on the same
recorded bytes (the live APIs' streams of ``shared/corpus/providers``): openai-python's
``ChatCompletionStreamState`` and Responses stream, anthropic-sdk-python's ``MessageStream``
(beta client). Text, reasoning, signatures, tool calls (ids, names, parsed arguments, outputs),
finish / stop reasons, usage and errors must be equal. The recorded truths beside each stream
(the accumulators' results when the corpus was made) must agree as well."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from . import vendors
from .corpus import corpus_streams, fold, load_truth, ours

FORMATS: dict[str, tuple[str, Callable[[bytes], dict[str, Any]]]] = {
    "openai-chat": ("openai-chat", vendors.openai_chat),
    "openai-responses": ("openai-responses", vendors.openai_responses),
    "anthropic": ("anthropic", vendors.anthropic_message),
}

CASES = [(fmt, path) for fmt in FORMATS for path in corpus_streams(fmt)]


def _ids(case: Any) -> str:
    return f"{case[0]}/{case[1].name}" if isinstance(case, tuple) else str(case)


def _no_nones(value: Any) -> Any:
    """``value`` without ``None`` members of objects: the SDKs' models fill every optional field
    the wire left out with ``None`` (a Responses web search ``action.queries``)."""
    if isinstance(value, dict):
        return {k: _no_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nones(v) for v in value]
    return value


def test_the_corpus_has_every_format() -> None:
    if not CASES:
        pytest.skip("the provider corpus (../shared/corpus/providers) is not here")
    assert {fmt for fmt, _ in CASES} == set(FORMATS)
    assert len(CASES) >= 24 - 0  # nine Chat Completions, seven Responses, eight Anthropic


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_fold_equals_the_vendor_accumulator(case: tuple[str, Path]) -> None:
    fmt, path = case
    data = path.read_bytes()
    reducer = fold(data)
    assert set(reducer.decoders) == {fmt}
    assert reducer.frames_dropped == 0
    mine = ours(reducer)
    theirs = FORMATS[fmt][1](data)
    assert _no_nones(mine) == _no_nones(theirs)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_fold_agrees_with_the_recorded_truth(case: tuple[str, Path]) -> None:
    _, path = case
    truth = load_truth(path)
    mine = ours(fold(path.read_bytes()))
    if truth["error"] is not None:
        assert mine["error"] == {"code": truth["error"]["code"]}
        return
    assert mine["usage"] == {k: truth["usage"][k] for k in ("input_tokens", "output_tokens")}
    assert len(mine["messages"]) == len(truth["messages"])
    for got, want in zip(mine["messages"], truth["messages"], strict=True):
        assert got["texts"] == "".join(want["texts"])
        assert got["reasoning"] == "".join(want["reasoning"])
        assert got["finish_reason"] == want["finish_reason"]
        if "refusal" in got:
            assert got["refusal"] == want["refusal"]
        if "reasoning_signatures" in want:
            assert got["signatures"] == want["reasoning_signatures"]
        assert len(got["tool_calls"]) == len(want["tool_calls"])
        for call, expected in zip(got["tool_calls"], want["tool_calls"], strict=True):
            assert (call["id"], call["name"]) == (expected["id"], expected["name"])
            assert _no_nones(call["arguments"]) == _no_nones(expected["arguments"])
            if "output" in expected:
                assert call["output"] == expected["output"]


def test_the_comparison_can_fail() -> None:
    """A changed byte in a recording makes the comparison fail (the test is not vacuous)."""
    cases = [c for c in CASES if c[1].name == "oai_parallel_tools.sse"]
    if not cases:
        pytest.skip("the provider corpus is not here")
    data = cases[0][1].read_bytes().replace(b"call_JMW1", b"call_XMW1", 1)
    theirs = vendors.openai_chat(cases[0][1].read_bytes())
    assert ours(fold(data)) != theirs
