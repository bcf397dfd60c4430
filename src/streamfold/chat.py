"""A chat state: one conversation thread as a chat UI holds it (the Python ``useChat``).

:class:`ChatState` owns a :class:`~streamfold.Reducer` and follows its notifications. It gives
what a chat view needs, read from the model when asked:

* :attr:`ChatState.messages` — the thread's messages with render-ready parts (the TanStack
  ``UIMessage`` shape of :mod:`streamfold.export.tanstack`: text, thinking, tool-call with its
  state, arguments, input, approval and output, tool-result);
* :attr:`ChatState.status` — ``"ready"`` (nothing yet), ``"streaming"``, ``"awaiting-client"``
  (the run stopped for an approval or a client tool), ``"done"`` or ``"error"``;
  :attr:`ChatState.error` the last run's error;
* :attr:`ChatState.pending_tool_calls` / :attr:`ChatState.pending_approvals` and the methods
  that answer them (:meth:`ChatState.respond_to_approval`, :meth:`ChatState.add_tool_result`,
  as :mod:`streamfold.actions` records them);
* :meth:`ChatState.stop` — end the stream here (the reducer is closed; open runs end).

Changes go out as deltas, never as the whole list again: every ``feed_*`` call returns the
AG-UI 1.0 events (:mod:`streamfold.export.agui`) that the new frames made, and each subscriber
(:meth:`ChatState.subscribe`) is called with the same list. A web page or a terminal view that
applies them in order holds the same conversation (``docs/agui-out.md`` "Chat state")::

    chat = ChatState()
    chat.subscribe(send_to_browser)                # gets list[dict] of AG-UI events
    for line in upstream:
        chat.feed_line(line)
    chat.stop()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from . import actions
from .export.agui import AGUIEncoder
from .export.tanstack import to_ui_messages
from .model import Conversation, RunStatus, ToolCall, ToolCallState
from .notifications import Notification
from .reducer import Reducer

__all__ = ["ChatState", "ChatStatus", "Subscriber"]

ChatStatus = Literal["ready", "streaming", "awaiting-client", "done", "error"]
Subscriber = Callable[[list[dict[str, Any]]], None]


class ChatState:
    """One conversation thread's chat state, kept up to date from a reducer.

    ``reducer`` is the reducer to follow (a new one by default, detecting the format);
    ``thread_id`` limits :attr:`messages` and :attr:`status` to that thread's runs (by default
    every run of the conversation, for a stream that holds one thread). ``diagnostics`` is
    passed to the AG-UI encoder (diagnostics as ``streamfold.diagnostic`` custom events).
    """

    def __init__(
        self,
        reducer: Reducer | None = None,
        *,
        thread_id: str | None = None,
        diagnostics: bool = True,
    ) -> None:
        self.reducer = reducer if reducer is not None else Reducer()
        self.thread_id = thread_id
        self._encoder = AGUIEncoder(diagnostics=diagnostics)
        self._subscribers: list[Subscriber] = []
        self._stopped = False

    # ------------------------------------------------------------------------ input

    def apply(self, notes: Iterable[Notification]) -> list[dict[str, Any]]:
        """Follow notifications the reducer returned (for callers that feed it themselves);
        returns the AG-UI events they made and sends them to every subscriber."""
        events = self._encoder.encode(notes)
        self._publish(events)
        return events

    def feed_line(self, line: bytes | str) -> list[dict[str, Any]]:
        """Feed one NDJSON line (any format); returns the AG-UI events it made."""
        return self.apply(self.reducer.feed_line(line))

    def feed_bytes(self, data: bytes) -> list[dict[str, Any]]:
        """Feed NDJSON bytes split anywhere."""
        return self.apply(self.reducer.feed_bytes(data))

    def feed_sse(self, data: bytes) -> list[dict[str, Any]]:
        """Feed Server-Sent Events bytes split anywhere."""
        return self.apply(self.reducer.feed_sse(data))

    def stop(self) -> list[dict[str, Any]]:
        """End the stream: close the reducer (runs still open end) and the AG-UI stream.
        Calling it again returns ``[]``."""
        if self._stopped:
            return []
        self._stopped = True
        notes = [] if self.reducer.closed else self.reducer.close()
        events = self._encoder.encode(notes) + self._encoder.close()
        self._publish(events)
        return events

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` ended the stream (reducer closed, AG-UI stream ended)."""
        return self._stopped

    # ------------------------------------------------------------------------ subscribers

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(events)`` with the AG-UI events of every later change; returns a
        function that unsubscribes. A subscriber that raises is not called again (and the
        error is not passed on: one broken view must not stop the others)."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def _publish(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        for subscriber in list(self._subscribers):
            try:
                subscriber(events)
            except Exception:
                self._subscribers.remove(subscriber)

    # ------------------------------------------------------------------------ reading

    @property
    def conversation(self) -> Conversation:
        """The live model of every thread this state has seen (``reducer.conversation``)."""
        return self.reducer.conversation

    def _runs(self) -> list[Any]:
        if self.thread_id is None:
            return self.conversation.runs
        return self.conversation.threads.get(self.thread_id, [])

    def _session_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for run in self._runs():
            seen[run.session_id] = None
        return list(seen)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The thread's messages as render-ready ``UIMessage`` dicts (JSON-safe), in thread
        order. O(the thread's size): read it to render, not per delta."""
        if self.thread_id is None:
            return to_ui_messages(self.conversation)
        out: list[dict[str, Any]] = []
        for session_id in self._session_ids():
            out += to_ui_messages(self.conversation, session_id=session_id)
        return out

    @property
    def status(self) -> ChatStatus:
        """The last run's state as a chat UI shows it."""
        runs = self._runs()
        if not runs:
            return "done" if self._stopped else "ready"
        last = runs[-1]
        if any(run.status is RunStatus.RUNNING for run in runs):
            return "streaming"
        if last.status is RunStatus.FAILED:
            return "error"
        if self.pending_tool_calls:
            return "awaiting-client"
        return "done"

    @property
    def error(self) -> str | None:
        """The last run's error text, if it failed."""
        runs = self._runs()
        if runs and runs[-1].status is RunStatus.FAILED:
            return runs[-1].error or "run failed"
        return None

    @property
    def pending_tool_calls(self) -> list[ToolCall]:
        """Calls the client owes an answer: approvals not answered, client tools without a
        result (:func:`streamfold.actions.pending_tool_calls`), limited to the thread."""
        run_ids = {run.run_id for run in self._runs()}
        return [c for c in actions.pending_tool_calls(self.conversation) if c.run_id in run_ids]

    @property
    def pending_approvals(self) -> list[ToolCall]:
        """The calls of :attr:`pending_tool_calls` waiting for the user's approval (state
        ``approval-requested``); answer them with :meth:`respond_to_approval`."""
        return [c for c in self.pending_tool_calls if c.state is ToolCallState.APPROVAL_REQUESTED]

    # ------------------------------------------------------------------------ answering

    def respond_to_approval(
        self, approval_id: str | None = None, *, approved: bool, call_id: str | None = None
    ) -> list[Notification]:
        """Answer an approval request (:func:`streamfold.actions.respond_to_approval`); raises
        :class:`~streamfold.errors.UsageError` for an unknown id."""
        notes = actions.respond_to_approval(
            self.reducer, approval_id, approved=approved, call_id=call_id
        )
        self._publish_late(notes)
        return notes

    def add_tool_result(
        self, call_id: str, output: Any, *, error: str | None = None
    ) -> list[Notification]:
        """Record a client tool's result (:func:`streamfold.actions.add_tool_result`)."""
        notes = actions.add_tool_result(self.reducer, call_id, output, error=error)
        self._publish_late(notes)
        return notes

    def _publish_late(self, notes: list[Notification]) -> None:
        if not self._stopped:
            self.apply(notes)

    @property
    def all_tools_complete(self) -> bool:
        """Whether the client may send the continuation request
        (:func:`streamfold.actions.all_tools_complete`)."""
        return actions.all_tools_complete(self.conversation)
