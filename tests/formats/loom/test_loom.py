"""The Loom decoder against the spec's examples and the real emitter's behaviour
(``../shared/notes/loom.md`` §2 and A1-A14)."""

from __future__ import annotations

import random

import orjson
import pytest

from streamfold import (
    UNSET,
    ProtocolError,
    Reducer,
    RunStatus,
    SpanStatus,
    ToolCallState,
    UsageError,
)
from streamfold.model import ReasoningPart, TextBuffer, TextPart, ToolCallPart, ToolResultPart
from streamfold.notifications import (
    MessageCompleted,
    RunFinished,
    SpanEntered,
    SpanExited,
    TextDelta,
    ToolCallIdChanged,
    ToolCallStateChanged,
)

from ...summary import summarize
from .loomscript import Envelope, ev

THREAD = "session-1732150000000"


def fold(lines: list[bytes], **options: object) -> Reducer:
    reducer = Reducer(**options)  # type: ignore[arg-type]
    for line in lines:
        reducer.feed_line(line)
    reducer.close()
    return reducer


def react_run(session_id: str = "run-1732150000123456789", thread: str = THREAD) -> Envelope:
    """A CLI ReAct first turn: think (reasoning, text, two streamed tool calls) → title →
    act → observe → think (answer) → checkpoint → reply (notes §2.3, §2.5)."""
    e = Envelope(session_id)
    e.event("node_enter", id="think")
    e.event("thought_chunk", content="The user wants two files. ", id="think")
    e.event("message_chunk", content="Let me check ", id="think")
    e.event("tool_call_chunk", call_id="call_b", name="read_file", arguments_delta="")
    e.event("tool_call_chunk", call_id=None, name=None, arguments_delta='{"path":')
    e.event("message_chunk", content="both.", id="think")  # chunks interleave (tokio::join!)
    e.event("tool_call_chunk", call_id=None, name=None, arguments_delta='"a.txt"}')
    e.event("tool_call_chunk", call_id="call_a", name="list_dir", arguments_delta="")
    e.event("tool_call_chunk", call_id=None, name=None, arguments_delta='{"dir":"."}')
    # Complete calls arrive sorted by tool name, not stream order (ToolCallAccumulator::finish).
    e.event("tool_call", call_id="call_a", name="list_dir", arguments={"dir": "."})
    e.event("tool_call", call_id="call_b", name="read_file", arguments={"path": "a.txt"})
    e.event("usage", prompt_tokens=120, completion_tokens=30, total_tokens=150)
    e.event("node_exit", id="think", result="Ok")
    e.event("values", state={"messages": []})
    e.event("updates", id="think", state={"messages": []})
    e.node("title")
    e.node(
        "act",
        ev("tool_start", call_id="call_b", name="read_file"),
        ev("tool_end", call_id="call_b", name="read_file", result="hello", is_error=False),
        ev("tool_start", call_id="call_a", name="list_dir"),
        ev(
            "tool_end",
            call_id="call_a",
            name="list_dir",
            result="a.txt b.txt",
            is_error=False,
            raw_result="a.txt\nb.txt\n",
        ),
    )
    e.node("observe")
    e.node(
        "think",
        ev("message_chunk", content="a.txt says ", id="think"),
        ev("message_chunk", content="hello.", id="think"),
        ev("usage", prompt_tokens=200, completion_tokens=10, total_tokens=210),
    )
    e.event(
        "checkpoint",
        checkpoint_id="ck-1",
        timestamp="1732150000",
        step=0,
        state={},
        thread_id=THREAD,
        checkpoint_ns=None,
    )
    e.reply("a.txt says hello.", thread, reasoning_content="Done.", stop_reason="end_turn")
    return e


def test_react_run_spans_text_tools_usage_reply() -> None:
    e = react_run()
    r = fold(e.lines)
    conv = r.conversation
    assert r.frames_in == len(e.lines) == r.frames_applied
    assert list(conv.diagnostics) == []
    [run] = conv.runs
    assert run.session_id == "run-1732150000123456789"
    assert run.thread_id == THREAD
    assert conv.sessions[run.session_id].thread_id == THREAD
    assert run.status is RunStatus.COMPLETED
    assert run.stop_reason == "end_turn"
    assert run.reply == run.text == "a.txt says hello."
    assert run.reasoning_content == "Done."
    assert [s.name for s in run.spans] == ["think", "title", "act", "observe", "think"]
    assert all(s.status is SpanStatus.OK for s in run.walk_spans())
    # Text per think span, as ordered parts interleaved with the tool calls (A5).
    first, second = (m for m in run.messages if m.role == "assistant")
    assert first.span_id == run.spans[0].span_id
    kinds = [
        (type(p).__name__, getattr(p, "text", None) or getattr(p, "call_id", None))
        for p in first.parts
    ]
    assert kinds == [
        ("ReasoningPart", "The user wants two files. "),
        ("TextPart", "Let me check "),
        ("ToolCallPart", "call_b"),
        ("TextPart", "both."),
        ("ToolCallPart", "call_a"),
        ("ToolResultPart", "call_b"),
        ("ToolResultPart", "call_a"),
    ]
    assert second.text == "a.txt says hello."
    # Chunks with null call_id attach to the call being streamed (A6); tool_call replaces.
    a, b = run.tool_calls["call_a"], run.tool_calls["call_b"]
    assert (b.name, b.arguments, b.input) == ("read_file", '{"path":"a.txt"}', {"path": "a.txt"})
    assert (a.name, a.input, a.state) == ("list_dir", {"dir": "."}, ToolCallState.COMPLETE)
    assert a.result == "a.txt b.txt" and a.raw_result == "a.txt\nb.txt\n"
    assert [s for s, _ in b.timeline] == [
        ToolCallState.AWAITING_INPUT,
        ToolCallState.INPUT_STREAMING,
        ToolCallState.INPUT_COMPLETE,
        ToolCallState.EXECUTING,
        ToolCallState.COMPLETE,
    ]
    # Usage: per span, per run, per session, per conversation (A12).
    assert (run.spans[0].usage.total_tokens, run.spans[4].usage.total_tokens) == (150, 210)
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (320, 40)
    assert conv.usage.total_tokens == conv.sessions[run.session_id].usage.total_tokens == 360
    assert run.state_updates == 10 and len(run.checkpoints) == 1


def test_notifications_carry_deltas_and_states() -> None:
    r = Reducer()
    notes = [n for line in react_run().lines for n in r.feed_line(line)]
    deltas = [n.delta for n in notes if isinstance(n, TextDelta)]
    assert deltas == ["Let me check ", "both.", "a.txt says ", "hello."]
    changes = [(n.call_id, n.new) for n in notes if isinstance(n, ToolCallStateChanged)]
    assert ("call_a", ToolCallState.COMPLETE) in changes
    assert [n.name for n in notes if isinstance(n, SpanEntered)][:3] == ["think", "title", "act"]
    [finished] = [n for n in notes if isinstance(n, RunFinished)]
    assert finished.status is RunStatus.COMPLETED
    # A think turn's message completes when its span exits, not at the end of the run.
    order = [
        type(n).__name__
        for n in notes
        if isinstance(n, MessageCompleted | SpanExited) and n.run_id == finished.run_id
    ]
    assert order[:2] == ["MessageCompleted", "SpanExited"]


def test_spec_example_lines_event_id_from_zero_and_run_start() -> None:
    lines = [
        b'{"session_id":"sess-001","event_id":0,"type":"run_start","run_id":"run-1",'
        b'"message":"Hello","agent":"react"}',
        b'{"session_id":"sess-001","node_id":"run-think-1","event_id":1,"type":"node_enter",'
        b'"id":"think"}',
        b'{"session_id":"sess-001","node_id":"run-think-1","event_id":2,"type":"message_chunk",'
        b'"content":"I","id":"think"}',
        b'{"session_id":"sess-001","node_id":"run-think-1","event_id":3,"type":"message_chunk",'
        b'"content":" don\'t","id":"think"}',
        b'{"session_id":"sess-001","node_id":"run-think-1","event_id":4,"type":"usage",'
        b'"prompt_tokens":100,"completion_tokens":62,"total_tokens":162}',
        b'{"session_id":"sess-001","node_id":"run-think-1","event_id":5,"type":"node_exit",'
        b'"id":"think","result":"Ok"}',
        b'{"session_id":"sess-001","node_id":"run-think-1","event_id":6,'
        b'"reply":"I don\'t have access to your device\'s clock ..."}',
    ]
    r = fold(lines)
    [run] = r.conversation.runs
    assert (run.run_id, run.agent, run.input_text) == ("run-1", "react", "Hello")
    assert run.status is RunStatus.COMPLETED and run.thread_id is None
    assert [m.role for m in run.messages] == ["user", "assistant"]
    assert run.messages[1].text == "I don't"
    assert run.reply is not None and run.reply.startswith("I don't have access")
    assert run.usage.total_tokens == 162
    assert list(r.conversation.diagnostics) == []


def test_spec_example_without_envelope() -> None:
    lines = [
        b'{"type":"run_start","run_id":"run-1","agent":"react"}',
        b'{"type":"node_enter","id":"think"}',
        b'{"type":"message_chunk","content":"Hello","id":"think"}',
        b'{"type":"node_exit","id":"think","result":"Ok"}',
        b'{"type":"run_start","run_id":"run-2","agent":"react"}',
        b'{"type":"node_enter","id":"think"}',
        b'{"type":"message_chunk","content":"Again","id":"think"}',
        b'{"type":"node_exit","id":"think","result":"Ok"}',
        b'{"reply":"Again"}',
    ]
    r = fold(lines)
    assert list(r.conversation.sessions) == ["default"]
    first, second = r.conversation.runs
    # No reply before the next run_start: the first run ends failed (A1).
    assert first.status is RunStatus.FAILED and first.text == "Hello"
    assert second.status is RunStatus.COMPLETED and second.reply == "Again"


def test_null_call_ids_reconcile_fifo_by_name() -> None:
    e = Envelope("run-7")
    e.event("node_enter", id="think")
    e.event("tool_call", call_id=None, name="search", arguments={"q": "first"})
    e.event("tool_call", call_id=None, name="search", arguments={"q": "second"})
    e.event("node_exit", id="think", result="Ok")
    e.event("node_enter", id="act")
    for result in ("r1", "r2"):
        e.event("tool_start", call_id=None, name="search")
        e.event("tool_end", call_id=None, name="search", result=result, is_error=False)
    e.event("node_exit", id="act", result="Ok")
    e.reply("done", THREAD)
    [run] = fold(e.lines).conversation.runs
    calls = list(run.tool_calls.values())
    assert [(c.input, c.result, c.state) for c in calls] == [
        ({"q": "first"}, "r1", ToolCallState.COMPLETE),
        ({"q": "second"}, "r2", ToolCallState.COMPLETE),
    ]
    assert len({c.call_id for c in calls}) == 2


def test_tool_events_without_tool_call_are_created_on_demand() -> None:
    e = Envelope("run-8")
    e.event("node_enter", id="act")
    e.event("tool_start", call_id="c1", name="bash")
    e.event("tool_output", call_id="c1", name="bash", content="line 1\n")
    e.event("tool_output", call_id="c1", name="bash", content="line 2\n")
    e.event("tool_end", call_id="c1", name="bash", result='"quoted text"', is_error=False)
    e.event("tool_start", call_id="c2", name="edit")
    e.event(
        "tool_end",
        call_id="c2",
        name="edit",
        result='{"type":"diff","path":"a.py","old":"x","new":"y"}',
        is_error=False,
    )
    e.event("node_exit", id="act", result="Ok")
    e.reply("ok", THREAD)
    r = fold(e.lines)
    run = r.conversation.runs[0]
    c1, c2 = run.tool_calls["c1"], run.tool_calls["c2"]
    assert c1.output == "line 1\nline 2\n" and c1.state is ToolCallState.COMPLETE
    # dev's JSON-quoted text and diff objects are decoded into result_value (A8).
    assert c1.result == '"quoted text"' and c1.result_value == "quoted text"
    assert c2.result_value["type"] == "diff"
    assert list(r.conversation.diagnostics) == []


def test_tool_error_and_failed_run_without_reply() -> None:
    e = Envelope("run-9")
    e.event("node_enter", id="act")
    e.event("tool_call", call_id="c1", name="bash", arguments="{not json")
    e.event("tool_start", call_id="c1", name="bash")
    e.event("tool_end", call_id="c1", name="bash", result="exit 2", is_error=True)
    e.event("node_exit", id="act", result="Ok")
    e.event("node_enter", id="think")
    e.event("node_exit", id="think", result={"Err": "execution failed: LLM timeout"})
    r = fold(e.lines)
    [run] = r.conversation.runs
    call = run.tool_calls["c1"]
    # arguments may be a JSON *string* that does not parse: kept, input unset (§2.3).
    assert (call.arguments, call.input) == ("{not json", UNSET)
    assert (call.state, call.error) == (ToolCallState.ERROR, "exit 2")
    assert run.status is RunStatus.FAILED
    assert run.error == "execution failed: LLM timeout"
    assert [s.status for s in run.spans] == [SpanStatus.OK, SpanStatus.ERROR]


def test_approval_stop_leaves_run_awaiting_approval() -> None:
    e = Envelope("run-10")
    e.event("node_enter", id="think")
    e.event("tool_call", call_id="c1", name="delete_file", arguments={"path": "/tmp/x"})
    e.event("node_exit", id="think", result="Ok")
    e.event("node_enter", id="act")
    e.event("tool_approval", call_id="c1", name="delete_file", arguments={"path": "/tmp/x"})
    e.event("checkpoint", checkpoint_id="ck", timestamp="1", step=0, state={}, thread_id="t",
            checkpoint_ns=None)  # fmt: skip
    e.event("node_exit", id="act", result={"Err": 'interrupted: Object {"path": String("/tmp/x")}'})
    [run] = fold(e.lines).conversation.runs
    call = run.tool_calls["c1"]
    assert run.status is RunStatus.AWAITING_APPROVAL
    assert call.state is ToolCallState.APPROVAL_REQUESTED
    assert call.approval is not None and call.approval.input == {"path": "/tmp/x"}
    assert call.approval.approved is None


def test_cancelled_run_cancels_running_tool() -> None:
    e = Envelope("run-11")
    e.event("node_enter", id="act")
    e.event("tool_start", call_id="c1", name="sleep")
    e.event("node_exit", id="act", result={"Err": "run cancelled"})
    e.reply("", THREAD, stop_reason="cancelled")
    [run] = fold(e.lines).conversation.runs
    assert run.status is RunStatus.CANCELLED and run.stop_reason == "cancelled"
    assert run.tool_calls["c1"].state is ToolCallState.CANCELLED


def test_cancel_without_reply_is_cancelled() -> None:
    e = Envelope("run-12")
    e.event("node_enter", id="think")
    e.event("message_chunk", content="partial", id="think")
    e.event("node_exit", id="think", result={"Err": "run cancelled"})
    [run] = fold(e.lines).conversation.runs
    assert run.status is RunStatus.CANCELLED and run.text == "partial"


def sub_agent_run() -> Envelope:
    """serve: the child's events are forwarded into the parent's EnvelopeState (§2.6)."""
    e = Envelope("run-5f0c")
    e.node("think", ev("tool_call", call_id="inv", name="invoke_agent", arguments={"task": "x"}))
    e.event("node_enter", id="act")
    e.event("tool_start", call_id="inv", name="invoke_agent")
    e.event("node_enter", id="think")  # the child's think: sticky node_id now run-think-3
    e.event("message_chunk", content="child says hi", id="think")
    e.event("tool_call", call_id="c_child", name="ls", arguments={})
    e.event("usage", prompt_tokens=10, completion_tokens=5, total_tokens=15)
    e.event("node_exit", id="think", result="Ok")
    e.event("node_enter", id="act")
    e.event("tool_start", call_id="c_child", name="ls")
    e.event("tool_end", call_id="c_child", name="ls", result="x", is_error=False)
    e.event("node_exit", id="act", result="Ok")
    # The parent's tool_end and node_exit carry the child's last node_id.
    e.event("tool_end", call_id="inv", name="invoke_agent", result="child done", is_error=False)
    e.event("node_exit", id="act", result="Ok")
    e.reply("parent done", "thread-parent")
    return e


def test_sub_agent_spans_nest_under_the_running_tool_call() -> None:
    r = fold(sub_agent_run().lines)
    [run] = r.conversation.runs
    assert [s.name for s in run.spans] == ["think", "act"]
    act = run.spans[1]
    assert [c.name for c in act.children] == ["think", "act"]
    assert all(c.parent_tool_call_id == "inv" for c in act.children)
    assert act.status is SpanStatus.OK and act.end_frame == len(sub_agent_run().lines) - 2
    child_think = act.children[0]
    assert [r.conversation.runs[0].messages[i].span_id for i in (0, 1)] == [
        run.spans[0].span_id,
        child_think.span_id,
    ]
    assert run.messages[1].text == "child says hi"
    assert run.tool_calls["inv"].result == "child done"
    assert run.tool_calls["c_child"].state is ToolCallState.COMPLETE
    assert child_think.usage.total_tokens == 15 and act.total_usage().total_tokens == 15


def test_interleaved_sessions_and_reply_routing_by_thread() -> None:
    a, b = react_run("run-A", thread="thread-A"), sub_agent_run()
    lines: list[bytes] = []
    ia = ib = 0
    rng = random.Random(7)
    while ia < len(a.lines) or ib < len(b.lines):
        if ib >= len(b.lines) or (ia < len(a.lines) and rng.random() < 0.5):
            lines += a.lines[ia : ia + 3]
            ia += 3
        else:
            lines += b.lines[ib : ib + 2]
            ib += 2
    r = fold(lines)
    conv = r.conversation
    assert set(conv.sessions) == {"run-A", "run-5f0c"}
    ra, rb = conv.sessions["run-A"].runs[0], conv.sessions["run-5f0c"].runs[0]
    assert (ra.reply, ra.thread_id) == ("a.txt says hello.", "thread-A")
    assert (rb.reply, rb.thread_id) == ("parent done", "thread-parent")
    assert ra.status is rb.status is RunStatus.COMPLETED
    # Same model as folding each session alone.
    alone = {**summarize(fold(a.lines).conversation)["sessions"]}
    alone.update(summarize(fold(b.lines).conversation)["sessions"])
    assert summarize(conv)["sessions"] == alone


def test_reply_routed_by_event_id_when_two_runs_are_open() -> None:
    a, b = Envelope("run-A"), Envelope("run-B")
    a.node("think", ev("message_chunk", content="from A", id="think"))
    b.node("think", ev("message_chunk", content="from B", id="think"))
    b.event("node_enter", id="observe")  # B is one event further along
    b.event("node_exit", id="observe", result="Ok")
    lines = [*a.lines, *b.lines, a.reply("reply A", "T"), b.reply("reply B", "T")]
    ra, rb = fold(lines).conversation.runs
    assert (ra.session_id, ra.reply) == ("run-A", "reply A")
    assert (rb.session_id, rb.reply) == ("run-B", "reply B")


def test_repl_transcript_prompts_and_turns() -> None:
    t1, t2 = Envelope("run-1001"), Envelope("run-2002")
    t1.node("think", ev("message_chunk", content="Hi!", id="think"))
    t2.node("think", ev("message_chunk", content="Bye!", id="think"))
    lines = [
        b"> " + t1.lines[0],  # the prompt is printed without a newline before the output
        *t1.lines[1:],
        t1.reply("Hi!", "s1"),
        b"> " + t2.lines[0],
        *t2.lines[1:],
        t2.reply("Bye!", "s1"),
        b"> Bye.",
        b"Bye.",
    ]
    r = fold(lines)
    runs = r.conversation.runs
    assert [(run.reply, run.thread_id) for run in runs] == [("Hi!", "s1"), ("Bye!", "s1")]
    codes = [d.code for d in r.conversation.diagnostics]
    assert codes == ["text_before_json", "text_before_json", "repl_output", "repl_output"]
    assert r.frames_in == len(lines) == r.frames_applied + r.frames_dropped
    assert r.frames_dropped == 2


def test_event_id_reset_in_same_session_starts_a_new_run() -> None:
    e = Envelope("sess")
    e.node("think", ev("message_chunk", content="one", id="think"))
    first = [*e.lines, e.reply("one", "sess")]
    e2 = Envelope("sess")
    e2.node("think", ev("message_chunk", content="two", id="think"))
    e3 = Envelope("sess")  # a third turn whose previous turn never replied
    e3.node("think", ev("message_chunk", content="three", id="think"))
    runs = fold([*first, *e2.lines, *e3.lines]).conversation.runs
    assert [(r.run_id, r.status, r.text) for r in runs] == [
        ("sess#1", RunStatus.COMPLETED, "one"),
        ("sess#2", RunStatus.FAILED, "two"),
        ("sess#3", RunStatus.FAILED, "three"),
    ]


def test_duplicates_dropped_and_gaps_flagged() -> None:
    e = react_run()
    lines = list(e.lines)
    lines.insert(6, lines[5])  # a replayed line
    # serve's full queue dropped the values/updates after the title node (two events).
    title_exit = next(i for i, x in enumerate(lines) if b'"id":"title","result"' in x)
    first_dropped = orjson.loads(lines[title_exit + 1])["event_id"]
    del lines[title_exit + 1 : title_exit + 3]
    r = fold(lines)
    [run] = r.conversation.runs
    diags = list(r.conversation.diagnostics)
    assert [(d.code, d.dropped) for d in diags] == [
        ("duplicate_event", True),
        ("event_id_gap", False),
    ]
    assert diags[0].raw == lines[5].decode() and diags[0].event_id == 6
    assert run.lossy and run.missing == [(first_dropped, first_dropped + 2)]
    assert r.frames_applied == len(lines) - 1 and r.frames_dropped == 1
    assert run.status is RunStatus.COMPLETED


def test_duplicate_reply_line_dropped() -> None:
    e = react_run()
    r = fold([*e.lines, e.lines[-1]])
    assert len(r.conversation.runs) == 1
    assert [d.code for d in r.conversation.diagnostics] == ["duplicate_event"]


def test_search_tree_views_and_got_expand_payload_node_id() -> None:
    e = Envelope("run-tot")
    e.event("node_enter", id="think_expand")
    e.event("tot_expand", candidates=["a", "b", "c"])
    e.event("node_exit", id="think_expand", result="Ok")
    e.event("tot_evaluate", chosen=1, scores=[0.2, 0.9])
    e.event("tot_backtrack", reason="dead end", to_depth=0)
    e.event("got_plan", node_count=2, edge_count=1, node_ids=["t1", "t2"])
    e.event("got_node_start", id="t1")
    e.event("got_node_complete", id="t1", result_summary="ok")
    e.event("got_node_start", id="t2")
    e.event("got_node_failed", id="t2", error="boom")
    e.event("got_expand", node_id="t1", nodes_added=2, edges_added=1)
    e.reply("answer only in the reply", THREAD)
    r = fold(e.lines)
    [run] = r.conversation.runs
    tree = run.search
    assert tree is not None
    [step] = tree.tot_steps
    assert (step.candidates, step.scores, step.chosen) == (["a", "b", "c"], [0.2, 0.9], 1)
    assert step.backtracked == "dead end"
    assert {k: v.status for k, v in tree.tasks.items()} == {"t1": "complete", "t2": "failed"}
    [expansion] = tree.expansions
    assert (expansion.added_by, expansion.tasks_added, expansion.edges_added) == ("t1", 2, 1)
    assert run.text == "answer only in the reply"
    assert list(r.conversation.diagnostics) == []


def test_unknown_types_and_fields_are_kept_not_fatal() -> None:
    e = Envelope("run-u")
    e.event("node_enter", id="think")
    e.event("brand_new_event", payload=[1, 2])
    e.event("message_chunk", content="x", id="think", annotations=["cite"])
    e.event("node_exit", id="think", result="Ok")
    lines = [*e.lines, b'{"type":"_error","_serialize_error":"missing field node_id"}']
    r = fold(lines)
    [run] = r.conversation.runs
    assert [u["type"] for u in run.unknown_events] == ["brand_new_event", "message_chunk"]
    assert [d.code for d in r.conversation.diagnostics] == [
        "unknown_event_type",
        "unknown_fields",
        "sender_error",
    ]
    assert run.messages[0].text == "x"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"[1,2,3]", "not_an_object"),
        (b'{"no_type":1}', "unknown_format"),
        (b"\xff\xfe garbage", "not_json"),
        (b'{"type":"message_chunk","content":5}', "invalid_field"),
        (b'{"type":"usage","prompt_tokens":"many"}', "invalid_field"),
        (b'{"type":"node_exit","id":"never_entered","result":"Ok"}', "unmatched_node_exit"),
        (b'{"reply":42}', "invalid_field"),
    ],
)
def test_bad_frames_become_dropped_diagnostics_with_raw_text(line: bytes, code: str) -> None:
    r = Reducer()
    notes = r.feed_line(line)
    [diag] = list(r.conversation.diagnostics)
    assert diag.code == code and diag.dropped and diag.frame_index == 0
    assert diag.raw == line.decode("utf-8", "replace")
    assert diag in notes
    assert (r.frames_in, r.frames_applied, r.frames_dropped) == (1, 0, 1)


def test_strict_mode_raises_then_refuses_input() -> None:
    e = react_run()
    r = Reducer(strict=True)
    for line in e.lines[:5]:
        r.feed_line(line)
    with pytest.raises(ProtocolError) as info:
        r.feed_line(e.lines[4])
    assert info.value.code == "duplicate_event"
    assert info.value.diagnostic.raw == e.lines[4].decode()
    with pytest.raises(UsageError, match="strict mode"):
        r.feed_line(e.lines[5])


def test_feed_after_close_is_a_usage_error() -> None:
    r = Reducer()
    r.close()
    assert r.close() == []
    with pytest.raises(UsageError):
        r.feed_line(b"{}")


def test_unknown_format_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown format"):
        Reducer(format="nope")


@pytest.mark.parametrize("seed", range(5))
def test_random_byte_splits_give_the_same_model(seed: int) -> None:
    e = react_run()
    data = b"\n".join([*e.lines, *sub_agent_run().lines, b"> garbage"]) + b"\n"
    expected = summarize(fold(data.splitlines()).conversation)
    rng = random.Random(seed)
    r = Reducer()
    pos = 0
    while pos < len(data):
        step = rng.randint(1, 40)
        r.feed_bytes(data[pos : pos + step])
        pos += step
    r.close()
    assert summarize(r.conversation) == expected


def test_multibyte_text_split_inside_a_character() -> None:
    line = orjson.dumps({"type": "message_chunk", "content": "日本語 ✓", "id": "think"}) + b"\n"
    cut = line.index("本".encode()) + 1
    r = Reducer()
    r.feed_bytes(line[:cut])
    r.feed_bytes(line[cut:])
    r.close()
    assert r.conversation.runs[0].messages[0].text == "日本語 ✓"


def test_feeding_never_rereads_accumulated_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-frame work stays proportional to the frame: 20k chunks, zero joins of the text."""
    reads = 0
    original = TextBuffer.text

    def counting(self: TextBuffer) -> str:
        nonlocal reads
        reads += 1
        return original.fget(self)  # type: ignore[no-any-return,attr-defined]

    monkeypatch.setattr(TextBuffer, "text", property(counting))
    e = Envelope("run-big")
    e.event("node_enter", id="think")
    r = Reducer()
    r.feed_line(e.lines[0])
    chunk = e.event("message_chunk", content="tok ", id="think")
    frame = orjson.loads(chunk)
    for i in range(20_000):
        frame["event_id"] = i + 3
        r.feed(frame)
    assert reads == 0
    part = r.conversation.runs[0].messages[0].parts[0]
    assert isinstance(part, TextPart) and len(part.buffer) == 4 * 20_000
    assert part.text == "tok " * 20_000 and reads == 1


def test_reasoning_and_text_parts_alternate() -> None:
    e = Envelope("run-r")
    e.event("node_enter", id="think")
    for kind, text in [("thought_chunk", "a"), ("thought_chunk", "b"), ("message_chunk", "c"),
                       ("thought_chunk", "d"), ("message_chunk", "e")]:  # fmt: skip
        e.event(kind, content=text, id="think")
    [run] = fold(e.lines).conversation.runs
    parts = run.messages[0].parts
    assert [(type(p), p.text) for p in parts if isinstance(p, TextPart | ReasoningPart)] == [
        (ReasoningPart, "ab"),
        (TextPart, "c"),
        (ReasoningPart, "d"),
        (TextPart, "e"),
    ]
    assert not any(isinstance(p, ToolCallPart | ToolResultPart) for p in parts)


def test_id_less_call_takes_the_id_tool_start_reveals() -> None:
    """Loom fills ``call_<uuid>`` into tool_start when the provider gave no id (notes §2.4)."""
    e = Envelope("run-ids")
    e.event("node_enter", id="think")
    e.event("tool_call_chunk", call_id=None, name=None, arguments_delta='{"path":"a"}')
    e.event("tool_call", call_id=None, name="read", arguments={"path": "a"})
    e.event("node_exit", id="think", result="Ok")
    e.event("node_enter", id="act")
    e.event("tool_start", call_id="call_X", name="read")
    e.event("tool_end", call_id="call_X", name="read", result="text", is_error=False)
    r = Reducer()
    notes = [n for line in e.lines for n in r.feed_line(line)]
    [run] = r.conversation.runs
    assert list(run.tool_calls) == ["call_X"]
    call = run.tool_calls["call_X"]
    assert (call.name, call.input, call.state) == ("read", {"path": "a"}, ToolCallState.COMPLETE)
    [changed] = [n for n in notes if isinstance(n, ToolCallIdChanged)]
    assert (changed.old, changed.new, changed.call) == ("tool#1", "call_X", call)
    assert r.tool_call("call_X", run.run_id) is call
    assert r.tool_call("tool#1") is None
