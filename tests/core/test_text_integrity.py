"""The text integrity rule in the core (issue #17, #23 item 8; ``docs/model.md``): surrogate
halves re-paired per text stream, lone ones U+FFFD with ``unpaired_surrogate``, and no output
that raises on text the model holds."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streamfold import Reducer
from streamfold import events as ev
from streamfold.export.agui import encode_conversation_frames, ndjson_line
from streamfold.export.json import to_json
from streamfold.export.tanstack import to_ui_threads
from streamfold.model.text import dumps, json_safe, well_formed
from streamfold.notifications import TextDelta
from streamfold.snapshot import to_bytes

from ..text_splits import js_json, split_texts

R = "\ufffd"


def agui(*frames: dict[str, Any]) -> list[bytes]:
    start = {"type": "RUN_STARTED", "threadId": "t", "runId": "r"}
    return [js_json(f) for f in (start, *frames)]


def content(delta: str) -> dict[str, Any]:
    return {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": delta}


def codes(reducer: Reducer) -> list[str]:
    return [d.code for d in reducer.conversation.diagnostics]


def text(reducer: Reducer) -> str:
    return reducer.conversation.runs[0].messages[0].text


def test_halves_in_two_frames_are_paired() -> None:
    reducer = Reducer()
    deltas: list[str] = []
    for line in agui(content("go \ud83d"), content("\ude80!")):
        deltas += [n.delta for n in reducer.feed_line(line) if isinstance(n, TextDelta)]
    assert deltas == ["go ", "🚀!"]  # a UI never sees half a character
    assert text(reducer) == "go 🚀!"
    assert reducer.frames_dropped == 0
    assert "unpaired_surrogate" not in codes(reducer)


def test_a_half_that_never_pairs_is_one_replacement_with_a_diagnostic() -> None:
    reducer = Reducer()
    for line in agui(content("a\ud83d"), content("b"), content("\ude80c\ud83d")):
        reducer.feed_line(line)
    assert text(reducer) == f"a{R}b{R}c"  # the held high half, then the lone low half
    notes = reducer.close()  # the last high half: its stream ends with the input
    assert text(reducer) == f"a{R}b{R}c{R}"
    assert [n.delta for n in notes if isinstance(n, TextDelta)] == [R]
    assert codes(reducer).count("unpaired_surrogate") == 3


def test_the_pending_half_ends_with_its_message() -> None:
    reducer = Reducer()
    end = {"type": "TEXT_MESSAGE_END", "messageId": "m"}
    for line in agui(content("x\udbff"), end):
        reducer.feed_line(line)
    assert text(reducer) == f"x{R}"
    assert "unpaired_surrogate" in codes(reducer)


def test_streams_interleaved_keep_their_own_halves() -> None:
    reducer = Reducer()
    frames = [
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "a", "delta": "1\ud83d"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "b", "delta": "2\ud83c"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "a", "delta": "\ude80"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "b", "delta": "\udf89"},
    ]
    for line in agui(*frames):
        reducer.feed_line(line)
    messages = reducer.conversation.runs[0].messages
    assert [m.text for m in messages] == ["1🚀", "2🎉"]


def test_outputs_and_snapshots_with_a_pending_half() -> None:
    """The pending half is not in the text (nor in any export) until its pair arrives; a
    resumable snapshot keeps it as a code unit and the resumed reducer pairs it."""
    reducer = Reducer()
    for line in agui(content("up \ud83d")):
        reducer.feed_line(line)
    assert text(reducer) == "up "
    assert json.loads(to_json(reducer.conversation))
    data = to_bytes(reducer)
    resumed = Reducer.from_snapshot(data)
    resumed.feed_line(js_json(content("\ude80")))
    assert text(resumed) == "up 🚀"
    assert "unpaired_surrogate" not in codes(resumed)


def test_feed_of_a_dict_with_lone_surrogates_never_breaks_an_output() -> None:
    """#23 item 8: a dict from json.loads may hold lone surrogates anywhere."""
    reducer = Reducer()
    frames = [
        {"type": "RUN_STARTED", "threadId": "t\ud800", "runId": "r"},
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        content("a\udc00b\ud83d"),
        content("\ude80"),
        {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f\udfff"},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '{"q":"\ud83d'},
        {"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": '\ude80"}'},
        {"type": "TOOL_CALL_END", "toolCallId": "c"},
        {"type": "CUSTOM", "name": "x", "value": {"k\ud800": ["\udbff"]}},
    ]
    batches = [reducer.feed(json.loads(json.dumps(frame))) for frame in frames]
    batches.append(reducer.close())
    run = reducer.conversation.runs[0]
    assert run.messages[0].text == f"a{R}b🚀"
    assert run.tool_calls["c"].arguments == '{"q":"🚀"}'
    assert run.tool_calls["c"].input == {"q": "🚀"}
    assert json.loads(to_json(reducer.conversation))  # ids and custom values: U+FFFD
    assert to_bytes(reducer)
    for event in encode_conversation_frames(batches):
        assert json.loads(ndjson_line(event))
    assert json.loads(dumps(to_ui_threads(reducer.conversation)))


def test_apply_checks_text_too() -> None:
    reducer = Reducer()
    reducer.apply(
        [
            ev.StartRun("s", "r"),
            ev.AppendReasoning("r", "m", "think \ud83e"),
            ev.AppendReasoning("r", "m", "\udd14"),
            ev.StartToolCall("r", "c", "f", message_id="m"),
            ev.AppendToolOutput("r", "c", "out \ud83d"),
            ev.SetToolResult("r", "c", "done \udc00"),
            ev.ReplaceText("r", "m", "whole \ud800 text"),
        ]
    )
    run = reducer.conversation.runs[0]
    assert run.messages[0].reasoning == "think 🤔"
    call = run.tool_calls["c"]
    assert call.output == f"out {R}"  # the result ended the output stream
    assert call.result == f"done {R}"
    assert run.messages[0].text == f"whole {R} text"


def test_fallback_parse_is_only_for_json() -> None:
    reducer = Reducer()
    reducer.feed_line(b'{"type":"RUN_STARTED","x":NaN,"t":"\\ud83d"}')  # NaN: not JSON
    reducer.feed_line(b"not json \\ud83d")
    reducer.feed_line(b'["\\ud83d"]')
    assert codes(reducer) == ["not_json", "not_json", "not_json"]
    assert reducer.frames_dropped == 3


def test_well_formed_and_json_safe() -> None:
    assert well_formed("a\ud83d\ude80b") == ("a🚀b", 0)  # two code points of one pair
    assert well_formed("\ude80\ud83d") == (R + R, 2)
    assert well_formed("plain") == ("plain", 0)
    value = {"k": ["x"], "n": 1}
    assert json_safe(value) is value
    assert json_safe({"k\ud800": ("\udfff",)}) == {f"k{R}": (R,)}


@settings(max_examples=60, deadline=None)
@given(split=split_texts(), resume_at=st.integers(0, 40), kind=st.sampled_from(range(4)))
def test_property_any_utf16_cut_folds_back_in_every_text_stream(
    split: tuple[str, list[str]], resume_at: int, kind: int
) -> None:
    """Text, reasoning, tool arguments and tool output given as events cut at any UTF-16
    code unit fold back to the text; a snapshot taken at any cut resumes the same."""
    original, pieces = split
    reducer = Reducer()
    reducer.apply([ev.StartRun("s", "r"), ev.StartToolCall("r", "c", "f", message_id="m")])
    for i, piece in enumerate(pieces):
        if i == resume_at:
            reducer = Reducer.from_snapshot(to_bytes(reducer))
        event: ev.Event = (
            ev.AppendText("r", "m", piece),
            ev.AppendReasoning("r", "m", piece),
            ev.AppendToolArguments("r", "c", piece),
            ev.AppendToolOutput("r", "c", piece),
        )[kind]
        reducer.apply([event])
    reducer.close()
    run = reducer.conversation.runs[0]
    call = run.tool_calls["c"]
    got = (run.messages[0].text, run.messages[0].reasoning, call.arguments, call.output)[kind]
    assert got == original
    assert "unpaired_surrogate" not in codes(reducer)
