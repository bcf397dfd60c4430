"""Conformance: streamfold against TanStack AI's own reference client, scenario by scenario.

The same chunk streams go through the published ``StreamProcessor`` (run by
``conformance/run_reference.mjs``: ``@tanstack/ai`` 0.58.0 "current", 0.2.2 "legacy" for era A,
0.10.3 "erab" for era B; version picked by file name) and through streamfold (reducer →
:func:`streamfold.export.tanstack.to_ui_messages`), and the results are compared part by part as
plain JSON views:

* ``messages`` — the exported ``UIMessage[]`` (``createdAt`` only when the stream gave it;
  for the 0.2/0.10 references, without the ``input``/``stepId`` fields those versions lack);
* ``interactions`` — what a chat UI must act on, in order: ``onToolCall``,
  ``onApprovalRequest`` and ``onError`` (streamfold: :class:`ClientToolRequested`, a call
  becoming ``approval-requested``, a run failing);
* ``allToolsComplete`` — the continuation query after the stream;
* ``afterActions`` — the same after the client actions of ``<scenario>.actions.json``
  (answer an approval, add a client tool result).

:func:`diff` lists every difference as ``{path: (reference, streamfold)}``; a reference id the
processor generated (``<generated-N>``) matches any streamfold id, consistently. A case must
match exactly, or its differences must be exactly those declared in :data:`DIVERGENCES` — both
sides, with the reason (numbers refer to conformance/README.md "Behaviours where the reference
is arguably wrong").

Live runs need node, npm and ``npm ci --prefix conformance``; without them the live tests skip
with the reason, unless ``STREAMFOLD_REQUIRE_CONFORMANCE`` is set (CI), where they fail. The
comparison against the committed reference outputs (``conformance/expected/``) runs always. A
report of every compared case is printed at the end of the session (and written to the file
named by ``STREAMFOLD_CONFORMANCE_REPORT`` when set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import pytest

from streamfold import Reducer
from streamfold.actions import add_tool_result, all_tools_complete, respond_to_approval
from streamfold.export.tanstack import to_ui_messages
from streamfold.framing import detect_framing
from streamfold.model import RunStatus, ToolCallState
from streamfold.notifications import (
    ClientToolRequested,
    Notification,
    RunFinished,
    ToolCallStateChanged,
)

ROOT: Final = Path(__file__).resolve().parents[3]
CONFORMANCE: Final = ROOT / "conformance"
SCENARIOS: Final = CONFORMANCE / "scenarios"
EXPECTED: Final = CONFORMANCE / "expected"
RECORDINGS: Final = ROOT / "examples" / "recordings"
RUNNER: Final = CONFORMANCE / "run_reference.mjs"
REFERENCE_PACKAGES: Final = ("@tanstack/ai", "@tanstack/ai-client", "legacy", "erab")
VERSIONS: Final = {"current": "0.58.0", "legacy": "0.2.2", "erab": "0.10.3"}
MISSING: Final = "<absent>"
_GENERATED: Final = re.compile(r"<generated-\d+>")
_EXTENSIONS: Final = (".ndjson", ".jsonl", ".sse", ".json")


@attrs.frozen
class Case:
    key: str
    """Report id: the scenario / recording name, ``name@version`` for a cross-version run."""
    path: Path
    version: str
    expected: Path | None
    """The committed reference output (``None`` for cross-version runs: live only)."""


def version_for(name: str) -> str:
    """The reference version a file runs on (``run_reference.mjs`` ``versionForName``)."""
    match = re.match(r"^(?:tanstack-)?(legacy|erab)-", name, re.IGNORECASE)
    return match.group(1).lower() if match else "current"


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)]


def _inputs(directory: Path, prefix: str = "") -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.name.startswith(prefix)
        and p.name.endswith(_EXTENSIONS)
        and not p.name.endswith((".manifest.json", ".actions.json", ".initial.json"))
    )


def cases(cross: Sequence[tuple[str, str]] = ()) -> list[Case]:
    """Every scenario and real recording, plus the cross-version runs ``(name, version)``."""
    found: list[Case] = []
    for path in _inputs(SCENARIOS):
        name = _stem(path)
        found.append(Case(name, path, version_for(name), EXPECTED / f"{name}.json"))
    for path in _inputs(RECORDINGS, "tanstack-"):
        name = _stem(path)
        found.append(Case(name, path, version_for(name), EXPECTED / "recordings" / f"{name}.json"))
    by_name = {c.key: c for c in found}
    for name, version in cross:
        found.append(Case(f"{name}@{version}", by_name[name].path, version, None))
    return found


# ----------------------------------------------------------------------------- streamfold


def _feed(reducer: Reducer, data: bytes, path: Path) -> list[Notification]:
    framing = detect_framing(data[:65536], str(path))
    notes: list[Notification] = []
    if framing == "sse":
        notes += reducer.feed_sse(data)
    elif framing == "chunk-recording":
        for entry in json.loads(data)["chunks"]:  # as sources.feed_chunk_recording
            notes += reducer.feed(entry["chunk"])
    else:
        notes += reducer.feed_bytes(data)
    return notes + reducer.close()


def interactions(notes: Sequence[Notification], version: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for note in notes:
        if type(note) is ClientToolRequested:
            args = {"toolCallId": note.call_id, "toolName": note.name or "", "input": note.input}
            out.append({"event": "onToolCall", "args": args})
        elif type(note) is ToolCallStateChanged and note.new is ToolCallState.APPROVAL_REQUESTED:
            call = note.call
            approval = call.approval
            args = {
                "toolCallId": call.call_id,
                "toolName": call.name or "",
                "input": approval.input if approval is not None else None,
                "approvalId": approval.approval_id if approval is not None else None,
            }
            out.append({"event": "onApprovalRequest", "args": args})
        elif type(note) is RunFinished and note.status is RunStatus.FAILED:
            error: dict[str, Any] = {"message": note.error}
            if note.run.error_code is not None and version == "current":
                error["code"] = note.run.error_code  # 0.2 / 0.10 do not pass the code on
            out.append({"event": "onError", "args": error})
    return out


def _actions(path: Path) -> list[dict[str, Any]] | None:
    sidecar = path.with_name(_stem(path) + ".actions.json")
    if not sidecar.exists():
        return None
    loaded: list[dict[str, Any]] = json.loads(sidecar.read_text())
    return loaded


def _initial(path: Path) -> Any:
    """The history a continuation scenario starts from (``<scenario>.initial.json``: a
    ``UIMessage[]`` or ``{"threadId", "messages"}``), or ``None``."""
    sidecar = path.with_name(_stem(path) + ".initial.json")
    return json.loads(sidecar.read_text()) if sidecar.exists() else None


def streamfold_view(case: Case) -> dict[str, Any]:
    """What streamfold makes of the case's input, as comparable JSON. A continuation scenario
    seeds the reducer with its history (``Reducer.from_run_input``), as the reference runner
    starts TanStack's processor from ``initialMessages``."""
    initial = _initial(case.path)
    reducer = Reducer() if initial is None else Reducer.from_run_input(initial)
    notes = _feed(reducer, case.path.read_bytes(), case.path)
    conversation = reducer.conversation
    view: dict[str, Any] = {
        "messages": to_ui_messages(conversation, all_sessions=True),
        "interactions": interactions(notes, case.version),
        "allToolsComplete": all_tools_complete(conversation),
    }
    actions = _actions(case.path)
    if actions is not None:
        acted: list[Notification] = []
        for action in actions:
            if action["action"] == "addToolApprovalResponse":
                acted += respond_to_approval(
                    reducer, action["approvalId"], approved=action["approved"]
                )
            else:
                acted += add_tool_result(
                    reducer, action["toolCallId"], action["output"], error=action.get("error")
                )
        view["afterActions"] = {
            "messages": to_ui_messages(conversation, all_sessions=True),
            "allToolsComplete": all_tools_complete(conversation),
            "interactions": interactions(acted, case.version),
        }
    return normalize_ours(view, case.version)


def normalize_ours(view: dict[str, Any], version: str) -> dict[str, Any]:
    """The reference versions before 0.11 have no ``input`` on tool-call parts and no
    ``stepId`` on thinking parts: compare streamfold's export in that version's shape."""
    if version == "current":
        return view
    for messages in (view["messages"], view.get("afterActions", {}).get("messages", [])):
        for message in messages:
            for part in message["parts"]:
                if part["type"] == "tool-call":
                    part.pop("input", None)
                elif part["type"] == "thinking":
                    part.pop("stepId", None)
    return view


# ------------------------------------------------------------------------------ reference


def _messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for message in messages:
        shown = dict(message)
        if shown.get("createdAt") == "<generated-date>":
            del shown["createdAt"]
        out.append(shown)
    return out


def _interactions(callbacks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = ("onToolCall", "onApprovalRequest", "onError")
    return [c for c in callbacks if c["event"] in kept]


def reference_view(output: Mapping[str, Any]) -> dict[str, Any]:
    """The same view of a reference runner output."""
    if "runnerError" in output:
        raise AssertionError(f"the reference runner failed: {output['runnerError']}")
    view: dict[str, Any] = {
        "messages": _messages(output["messages"]),
        "interactions": _interactions(output["callbacks"]),
        "allToolsComplete": output["areAllToolsComplete"],
    }
    after = output.get("afterActions")
    if after is not None:
        view["afterActions"] = {
            "messages": _messages(after["messages"]),
            "allToolsComplete": after["areAllToolsComplete"],
            "interactions": _interactions(after["callbacks"]),
        }
    return view


def diff(reference: Any, ours: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    """Every difference, ``{path: (reference value, streamfold value)}``; ``MISSING`` marks an
    absent key or list item. ``<generated-N>`` ids match any id, consistently."""
    out: dict[str, tuple[Any, Any]] = {}
    _diff(reference, ours, path, out, {})
    return out


def _diff(
    ref: Any, ours: Any, path: str, out: dict[str, tuple[Any, Any]], ids: dict[str, Any]
) -> None:
    if isinstance(ref, str) and _GENERATED.fullmatch(ref) and isinstance(ours, str):
        if ids.setdefault(ref, ours) != ours:
            out[path] = (ref, ours)
        return
    if isinstance(ref, dict) and isinstance(ours, dict):
        for key in sorted(set(ref) | set(ours)):
            _diff(ref.get(key, MISSING), ours.get(key, MISSING), f"{path}.{key}", out, ids)
        return
    if isinstance(ref, list) and isinstance(ours, list):
        for i in range(max(len(ref), len(ours))):
            _diff(
                ref[i] if i < len(ref) else MISSING,
                ours[i] if i < len(ours) else MISSING,
                f"{path}[{i}]",
                out,
                ids,
            )
        return
    if ref != ours or type(ref) is not type(ours):
        out[path] = (ref, ours)


def reference_unavailable() -> str | None:
    """Why the live reference cannot run here, or ``None`` when it can."""
    if shutil.which("node") is None:
        return "node is not installed (the conformance suite runs TanStack's JS reference)"
    if shutil.which("npm") is None:
        return "npm is not installed (needed for `npm ci --prefix conformance`)"
    missing = [
        p
        for p in REFERENCE_PACKAGES
        if not (CONFORMANCE / "node_modules" / p / "package.json").exists()
    ]
    if missing:
        return (
            f"conformance/node_modules lacks {', '.join(missing)}: "
            "run `npm ci --prefix conformance`"
        )
    return None


def conformance_required() -> bool:
    """``STREAMFOLD_REQUIRE_CONFORMANCE`` is set (CI): a missing reference is a failure."""
    value = os.environ.get("STREAMFOLD_REQUIRE_CONFORMANCE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def run_reference(jobs: Sequence[Case], timeout: float = 300) -> dict[str, Any]:
    """Run every case through the live reference in one node process."""
    payload = [{"key": c.key, "version": c.version, "file": str(c.path)} for c in jobs]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(payload, fh)
        jobs_file = fh.name
    try:
        done = subprocess.run(
            ["node", str(RUNNER), "--jobs", jobs_file],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )
    finally:
        os.unlink(jobs_file)
    if done.returncode != 0:
        raise RuntimeError(f"run_reference.mjs failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# ----------------------------------------------------------------------------- the cases

CROSS: Final = (
    # README #14: the 0.58 client on older wires renders era B poorly and era A not at all;
    # streamfold reads all three.
    ("tanstack-eraB-text-tools", "current"),
    ("tanstack-legacy-tools", "current"),
    # ...and what streamfold makes of legacy chunks is what the legacy client makes of them.
    ("current-ignores-legacy-chunks", "legacy"),
    # The cumulative-content fallback streamfold applies is the era-B client's rule.
    ("content-field-ignored", "erab"),
)
CASES: Final = cases(CROSS)


@attrs.frozen
class Divergence:
    label: str
    """A few words for the report."""
    reason: str
    diffs: dict[str, tuple[Any, Any]]
    """``{path: (what the reference does, what streamfold does)}``, exactly."""


_ABSENT = MISSING
DIVERGENCES: Final[dict[str, Divergence]] = {
    "content-field-ignored": Divergence(
        "era-B content fallback",
        "era-B cumulative fallback: an empty delta with a `content` field appends what the "
        "content adds (0.3-0.47 did; 0.48+ ignores `content`). The erab reference agrees: "
        "see content-field-ignored@erab.",
        {".messages[0].parts[0].content": ("delta wins", "cumulative onlydelta wins")},
    ),
    "current-ignores-legacy-chunks": Divergence(
        "#14 era A read",
        "#14: 0.58 silently ignores era-A chunks; streamfold reads every era (it matches the "
        "legacy client on this stream: current-ignores-legacy-chunks@legacy).",
        {
            ".allToolsComplete": (True, False),
            ".messages[0]": (
                _ABSENT,
                {
                    "id": "c1",
                    "role": "assistant",
                    "parts": [
                        {"type": "text", "content": "Hello"},
                        {
                            "type": "tool-call",
                            "id": "call-1",
                            "name": "f",
                            "arguments": "{}",
                            "state": "input-complete",
                            "input": {},
                        },
                    ],
                },
            ),
        },
    ),
    "continue-text-start": Divergence(
        "history text kept on TEXT_MESSAGE_START",
        "A TEXT_MESSAGE_START naming a message of the history (initialMessages) makes 0.58 start "
        "an empty text segment whose first delta replaces the message's last text part: the "
        "history's text is lost. streamfold continues the part (a TEXT_MESSAGE_CONTENT without "
        "the START continues it in 0.58 too; docs/how-to/hydrate.md).",
        {".messages[1].parts[0].content": (" now.", "Sending it now.")},
    ),
    "custom-events": Divergence(
        "#11 CUSTOM.data accepted",
        "#11: a pre-0.6 CUSTOM payload in `data` is accepted as `value` (the notes' mapping); "
        "the reference turns tool-input-available{data} into a generic custom event.",
        {
            ".interactions[0]": (
                _ABSENT,
                {
                    "event": "onToolCall",
                    "args": {"toolCallId": "call-x", "toolName": "old_payload_field", "input": {}},
                },
            )
        },
    ),
    "erab-content-fallback-and-step-thinking": Divergence(
        "#13 args fallback, executed tool complete",
        "#13: the era-B rules are applied to tool calls too: the cumulative `args` fallback, "
        "and an executed tool (TOOL_CALL_END.result) is `complete`.",
        {
            ".messages[0].parts[2].arguments": ('{"q":', '{"q":"x"}'),
            ".messages[0].parts[2].state": ("input-complete", "complete"),
        },
    ),
    "ignored-event-types": Divergence(
        "*_CHUNK, THINKING_*, legacy applied",
        "0.58 ignores the AG-UI convenience events and legacy chunks; streamfold applies "
        "TEXT_MESSAGE_CHUNK, TOOL_CALL_CHUNK, THINKING_* and legacy chunks (STATE_*, RAW and "
        "ACTIVITY_* go to the run's state / custom events / kept frames, not to messages).",
        {
            ".messages[0].id": ("msg-2", "msg-1"),
            ".messages[0].parts[0].content": ("Only this is rendered.", "chunk text"),
            ".messages[0].parts[1]": (
                _ABSENT,
                {
                    "type": "tool-call",
                    "id": "call-1",
                    "name": "x",
                    "arguments": "{}",
                    "state": "input-complete",
                    "input": {},
                },
            ),
            ".messages[0].parts[2]": (_ABSENT, {"type": "thinking", "content": "old thinking"}),
            ".messages[1]": (
                _ABSENT,
                {
                    "id": "msg-2",
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "Only this is rendered."}],
                },
            ),
            ".messages[2]": (
                _ABSENT,
                {
                    "id": "legacy-1",
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "legacy"}],
                },
            ),
        },
    ),
    "legacy-actions-approve-and-result": Divergence(
        "client result completes the call",
        "0.2.2's addToolResult sets the output but leaves the call `input-complete`; streamfold "
        "completes it, as 0.58 does.",
        {".afterActions.messages[0].parts[1].state": ("input-complete", "complete")},
    ),
    "legacy-content-fallback": Divergence(
        "#3 no 'undefined' text",
        "#3: a `content` chunk without `delta` appends the string 'undefined' in 0.2.2 and its "
        "content is lost; streamfold treats a missing delta as empty and uses the fallback.",
        {
            ".messages[0].parts[0].content": (
                "Cumulativeundefinedunrelated",
                "Cumulative onlyunrelated",
            )
        },
    ),
    "legacy-tools-then-text-duplicated-prefix": Divergence(
        "#2 no duplicated prefix; tool_result completes",
        "#2: 0.2.2 repeats the text before the tool call in the segment after it; streamfold "
        "appends only the delta. And a legacy tool_result completes the call with its output "
        "(0.2.2 adds only the tool-result part), so all tools are complete.",
        {
            ".allToolsComplete": (False, True),
            ".messages[0].parts[1].output": (_ABSENT, {"tempC": 18}),
            ".messages[0].parts[1].state": ("input-complete", "complete"),
            ".messages[0].parts[3].content": ("HelloDone!", "Done!"),
        },
    ),
    "reasoning-two-steps-with-step-events": Divergence(
        "#4 no repeated text after reasoning",
        "#4: text after interleaved reasoning repeats the whole segment in 0.58; streamfold "
        "starts a new text part with the new text only.",
        {".messages[0].parts[3].content": ("Partial. Done.", "Done.")},
    ),
    "snapshot-with-tool-message": Divergence(
        "tool message id not kept",
        "The id of a snapshot's role:tool message is not kept on the anchored tool-result part "
        "(the model's ToolResultPart has no message id).",
        {".messages[1].parts[2].id": ("tool-1", _ABSENT)},
    ),
    "step-finished-delta-only": Divergence(
        "STEP_FINISHED thinking (era-B rule)",
        "STEP_FINISHED delta/content is thinking when no REASONING_* event was seen (the era-B "
        "rule, issue #3); 0.58 drops it.",
        {
            ".messages[0].parts[0].content": ("Text.", "Era-B style thinking."),
            ".messages[0].parts[0].stepId": (_ABSENT, "think-1"),
            ".messages[0].parts[0].type": ("text", "thinking"),
            ".messages[0].parts[1]": (_ABSENT, {"type": "text", "content": "Text."}),
        },
    ),
    "tool-call-without-text-then-new-message": Divergence(
        "#5 no message renaming",
        "#5: 0.58 renames the message created for parentMessageId 'msg-tools' to the next "
        "TEXT_MESSAGE_START's id, merging two server messages; streamfold keeps both ids.",
        {
            ".messages[0].id": ("msg-final", "msg-tools"),
            ".messages[0].parts[2]": ({"type": "text", "content": "Final answer."}, _ABSENT),
            ".messages[1]": (
                _ABSENT,
                {
                    "id": "msg-final",
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "Final answer."}],
                },
            ),
        },
    ),
    "whitespace-only-message": Divergence(
        "#8 whitespace message kept",
        "#8: 0.58 deletes a whitespace-only assistant message at the end of the stream (while "
        "its text stays in result.content); streamfold keeps what was streamed.",
        {
            ".messages[0]": (
                _ABSENT,
                {
                    "id": "msg-1",
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "  \n "}],
                },
            )
        },
    ),
    "tanstack-agui-approval": Divergence(
        "#6 snapshot keeps tool metadata",
        "#6 (MESSAGES_SNAPSHOT keeps tool state): the tool call keeps the metadata of its "
        "TOOL_CALL_START across the snapshot; 0.58 rebuilds the part without it.",
        {
            ".messages[1].parts[1].metadata": (
                _ABSENT,
                {"tanstack": {"model": "claude-sonnet-4-5", "index": 0}},
            )
        },
    ),
    "tanstack-agui-client-tool": Divergence(
        "#6 snapshot keeps tool metadata",
        "#6, as tanstack-agui-approval.",
        {
            ".messages[1].parts[1].metadata": (
                _ABSENT,
                {"tanstack": {"model": "claude-sonnet-4-5", "index": 0}},
            )
        },
    ),
    "tanstack-agui-tool-error": Divergence(
        "#5 no message renaming",
        "#5 on a real server: the tool call's message (parentMessageId, no text) and the "
        "answer's message stay two messages.",
        {
            ".messages[0].id": (
                "anthropic-1795235675722-kx58am6jfx",
                "anthropic-1795235675716-dy0ikajcf2e",
            ),
            ".messages[0].metadata": ({"tanstack": {"model": "claude-sonnet-4-5"}}, _ABSENT),
            ".messages[0].parts[2]": (
                {"type": "text", "content": "The stock service is down right now."},
                _ABSENT,
            ),
            ".messages[1]": (
                _ABSENT,
                {
                    "id": "anthropic-1795235675722-kx58am6jfx",
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "The stock service is down right now."}],
                    "metadata": {"tanstack": {"model": "claude-sonnet-4-5"}},
                },
            ),
        },
    ),
    "tanstack-eraB-text-tools": Divergence(
        "#13 executed tool complete",
        "#13: an executed tool (engine TOOL_CALL_END.result) is `complete` with its output; "
        "0.10.3 leaves it `input-complete`.",
        {
            ".messages[0].parts[2].state": ("input-complete", "complete"),
            ".messages[0].parts[3].state": ("input-complete", "complete"),
        },
    ),
    "tanstack-legacy-tools": Divergence(
        "legacy tool_result completes",
        "A legacy tool_result completes its call with the output (0.2.2 adds only the "
        "tool-result part), so all tools are complete.",
        {
            ".allToolsComplete": (False, True),
            ".messages[0].parts[1].output": (
                _ABSENT,
                {"location": "Paris", "tempC": 18, "conditions": "sunny"},
            ),
            ".messages[0].parts[1].state": ("input-complete", "complete"),
            ".messages[0].parts[2].output": (_ABSENT, {"city": "Tokyo", "time": "21:00"}),
            ".messages[0].parts[2].state": ("input-complete", "complete"),
        },
    ),
    "tanstack-eraB-text-tools@current": Divergence(
        "#14 era B on the 0.58 client",
        "#14: the 0.58 client on an era-B wire: STEP_FINISHED thinking is lost, `toolName` is not "
        "mapped so tool calls have no name, and TOOL_CALL_END.result is dropped (no output, no "
        "tool-result parts)",
        {
            ".messages[0].parts[0].content": ("Let me check both.", "Need weather and time."),
            ".messages[0].parts[0].stepId": ("<absent>", "anthropic-1795235675795-c5xsj"),
            ".messages[0].parts[0].type": ("text", "thinking"),
            ".messages[0].parts[1].arguments": ('{"location": "Paris"}', "<absent>"),
            ".messages[0].parts[1].content": ("<absent>", "Let me check both."),
            ".messages[0].parts[1].id": ("toolu_weather_01", "<absent>"),
            ".messages[0].parts[1].input": ({"location": "Paris"}, "<absent>"),
            ".messages[0].parts[1].state": ("input-complete", "<absent>"),
            ".messages[0].parts[1].type": ("tool-call", "text"),
            ".messages[0].parts[2].arguments": ('{"city": "Tokyo"}', '{"location": "Paris"}'),
            ".messages[0].parts[2].id": ("toolu_time_02", "toolu_weather_01"),
            ".messages[0].parts[2].input.city": ("Tokyo", "<absent>"),
            ".messages[0].parts[2].input.location": ("<absent>", "Paris"),
            ".messages[0].parts[2].name": ("<absent>", "get_weather"),
            ".messages[0].parts[2].output": (
                "<absent>",
                {"location": "Paris", "tempC": 18, "conditions": "sunny"},
            ),
            ".messages[0].parts[2].state": ("input-complete", "complete"),
            ".messages[0].parts[3]": (
                "<absent>",
                {
                    "type": "tool-call",
                    "id": "toolu_time_02",
                    "name": "get_time",
                    "arguments": '{"city": "Tokyo"}',
                    "state": "complete",
                    "input": {"city": "Tokyo"},
                    "output": {"city": "Tokyo", "time": "21:00"},
                },
            ),
            ".messages[0].parts[4]": (
                "<absent>",
                {
                    "type": "tool-result",
                    "toolCallId": "toolu_weather_01",
                    "content": '{"location":"Paris","tempC":18,"conditions":"sunny"}',
                    "state": "complete",
                },
            ),
            ".messages[0].parts[5]": (
                "<absent>",
                {
                    "type": "tool-result",
                    "toolCallId": "toolu_time_02",
                    "content": '{"city":"Tokyo","time":"21:00"}',
                    "state": "complete",
                },
            ),
        },
    ),
    "tanstack-legacy-tools@current": Divergence(
        "#14 era A on the 0.58 client",
        "#14: the 0.58 client renders nothing from era-A chunks",
        {
            ".messages[0]": (
                "<absent>",
                {
                    "id": "anthropic-1795235675781-zca973",
                    "role": "assistant",
                    "parts": [
                        {"type": "text", "content": "Let me check both."},
                        {
                            "type": "tool-call",
                            "id": "toolu_weather_01",
                            "name": "get_weather",
                            "arguments": '{"location": "Paris"}',
                            "state": "complete",
                            "input": {"location": "Paris"},
                            "output": {"location": "Paris", "tempC": 18, "conditions": "sunny"},
                        },
                        {
                            "type": "tool-call",
                            "id": "toolu_time_02",
                            "name": "get_time",
                            "arguments": '{"city": "Tokyo"}',
                            "state": "complete",
                            "input": {"city": "Tokyo"},
                            "output": {"city": "Tokyo", "time": "21:00"},
                        },
                        {
                            "type": "tool-result",
                            "toolCallId": "toolu_weather_01",
                            "content": '{"location":"Paris","tempC":18,"conditions":"sunny"}',
                            "state": "complete",
                        },
                        {
                            "type": "tool-result",
                            "toolCallId": "toolu_time_02",
                            "content": '{"city":"Tokyo","time":"21:00"}',
                            "state": "complete",
                        },
                        {
                            "type": "text",
                            "content": "Paris is 18°C and sunny; in Tokyo it is 21:00.",
                        },
                    ],
                },
            ),
        },
    ),
}


# ---------------------------------------------------------------------------------- report


@attrs.define
class _Report:
    """Every compared case, printed at the end of the session (see the module docstring)."""

    rows: dict[tuple[str, str], tuple[str, str, str]] = attrs.field(factory=dict)
    skipped: str | None = None

    def add(self, case: Case, source: str, status: str) -> None:
        divergence = DIVERGENCES.get(case.key)
        note = divergence.label if divergence is not None else ""
        self.rows[(case.key, source)] = (f"{case.version} {VERSIONS[case.version]}", status, note)

    def lines(self) -> list[str]:
        out = ["TanStack conformance: streamfold vs the reference StreamProcessor"]
        if self.skipped:
            out.append(f"  live reference not run: {self.skipped}")
        for source in ("live", "committed"):
            rows = [(k, v) for (k, s), v in self.rows.items() if s == source]
            if not rows:
                continue
            counts = {
                status: sum(1 for _, v in rows if v[1] == status)
                for status in ("match", "deliberate difference", "FAIL")
            }
            summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
            out.append(f"  against the {source} reference ({len(rows)} cases: {summary})")
            for key, (version, status, note) in sorted(rows):
                extra = f"  [{note}]" if note else ""
                out.append(f"    {key:<48} {version:<14} {status}{extra}")
        return out

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.rows and not self.skipped:
            return
        lines = self.lines()
        terminalreporter.section("TanStack conformance report")
        for line in lines:
            terminalreporter.write_line(line)
        target = os.environ.get("STREAMFOLD_CONFORMANCE_REPORT")
        if target:
            Path(target).write_text("\n".join(lines) + "\n")


_REPORT = _Report()


@pytest.fixture(scope="module", autouse=True)
def _register_report(request: pytest.FixtureRequest) -> None:
    manager = request.config.pluginmanager
    if not manager.is_registered(_REPORT):
        manager.register(_REPORT, "streamfold-tanstack-conformance-report")


# ----------------------------------------------------------------------------------- tests


def _check(case: Case, output: Mapping[str, Any], source: str) -> None:
    found = diff(reference_view(output), streamfold_view(case))
    divergence = DIVERGENCES.get(case.key)
    expected = divergence.diffs if divergence is not None else {}
    ok = found == expected
    status = "FAIL" if not ok else "deliberate difference" if expected else "match"
    _REPORT.add(case, source, status)
    if not ok:
        lines = [f"{case.key} ({case.version}) against the {source} reference:"]
        for path in sorted(set(found) | set(expected)):
            if found.get(path) != expected.get(path):
                lines.append(
                    f"  {path}: found {found.get(path)!r}, declared {expected.get(path)!r}"
                )
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(scope="session")
def live_reference() -> dict[str, Any]:
    reason = reference_unavailable()
    if reason is not None:
        _REPORT.skipped = reason
        if conformance_required():
            pytest.fail(f"STREAMFOLD_REQUIRE_CONFORMANCE is set, but {reason}", pytrace=False)
        pytest.skip(reason)
    return run_reference(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.key)
def test_against_live_reference(case: Case, live_reference: dict[str, Any]) -> None:
    _check(case, live_reference[case.key], "live")


@pytest.mark.parametrize("case", [c for c in CASES if c.expected], ids=lambda c: c.key)
def test_against_committed_reference(case: Case) -> None:
    assert case.expected is not None
    _check(case, json.loads(case.expected.read_text()), "committed")


def test_committed_reference_outputs_are_current(live_reference: dict[str, Any]) -> None:
    stale = [
        c.key
        for c in CASES
        if c.expected is not None and json.loads(c.expected.read_text()) != live_reference[c.key]
    ]
    assert not stale, f"regenerate with conformance/regen.sh: {stale}"


def test_declared_divergences_name_real_cases() -> None:
    assert set(DIVERGENCES) <= {c.key for c in CASES}


def test_every_required_scenario_is_compared() -> None:
    # Issue #3's list: what the conformance suite must cover, and on which reference.
    required = {
        "text-plain": "current",
        "reasoning": "current",
        "tools-parallel-interleaved-args": "current",
        "tool-result-error": "current",
        "client-tool-interrupt": "current",
        "approval-interrupt": "current",
        "run-error": "current",
        "messages-snapshot-midstream": "current",
        "legacy-content-done": "legacy",
        "legacy-tool-call-index-ignored": "legacy",
        "legacy-double-done": "legacy",
        "legacy-corpus-text-simple": "legacy",
        "legacy-corpus-tool-call-parallel": "legacy",
        "actions-approve": "current",
        "actions-client-tool-result": "current",
    }
    have = {c.key: c.version for c in CASES}
    assert {k: have.get(k) for k in required} == required
    recordings = {p.name for p in RECORDINGS.glob("tanstack-*") if "manifest" not in p.name}
    assert {c.path.name for c in CASES if c.path.parent == RECORDINGS} == recordings


def test_legacy_corpus_copies_are_the_shared_fixtures() -> None:
    corpus = Path("/work/shared/corpus/tanstack-legacy")
    if not corpus.is_dir():
        pytest.skip("the shared TanStack corpus is not on this machine")
    for name in ("text-simple", "tool-call-parallel"):
        copy = SCENARIOS / f"legacy-corpus-{name}.json"
        assert json.loads(copy.read_text()) == json.loads((corpus / f"{name}.json").read_text())


def test_legacy_corpus_result_matches_the_fixture() -> None:
    """The fixtures carry TanStack's own expected ProcessorResult; streamfold's model agrees."""
    from streamfold.io.sync import fold_file

    fixture = json.loads((SCENARIOS / "legacy-corpus-tool-call-parallel.json").read_text())
    conversation = fold_file(SCENARIOS / "legacy-corpus-tool-call-parallel.json")
    (run,) = conversation.runs
    calls = [
        {
            "id": c.call_id,
            "type": "function",
            "function": {"name": c.name, "arguments": c.arguments},
        }
        for c in run.tool_calls.values()
    ]
    assert calls == fixture["result"]["toolCalls"]
    assert run.finish_reason == fixture["result"]["finishReason"]
    text = json.loads((SCENARIOS / "legacy-corpus-text-simple.json").read_text())
    conversation = fold_file(SCENARIOS / "legacy-corpus-text-simple.json")
    (run,) = conversation.runs
    assert run.text == text["result"]["content"]
    assert run.finish_reason == text["result"]["finishReason"]
