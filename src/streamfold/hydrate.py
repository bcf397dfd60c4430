"""Seeding a :class:`~streamfold.reducer.Reducer` with the conversation a new stream continues
(``docs/hydrate.md``): TanStack ``UIMessage[]`` (what TanStack's client passes as
``initialMessages``) or an AG-UI ``RunAgentInput`` (the run's request body).

The history becomes a completed run ``"history"`` (``run.metadata["history"] is True``) in the
session of the thread, applied as canonical events that the TanStack decoder makes
(:meth:`~streamfold.formats.tanstack.TanStackDecoder.seed`), so the decoder knows the history's
messages and tool calls and the stream fed next continues them as TanStack's
``StreamProcessor`` does. :meth:`Reducer.from_ui_messages` and :meth:`Reducer.from_run_input`
are the entry points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .reducer import Reducer

__all__ = ["message_list", "seed", "seed_run_input"]

_REQUEST_KEPT = ("runId", "parentRunId", "protocolVersion", "resume")


def message_list(value: Any) -> list[Any]:
    """The message list of a ``UIMessage[]``, ``{"messages": [...]}`` or ``RunAgentInput``.
    Raises :class:`~streamfold.errors.UsageError` for anything else."""
    if isinstance(value, Mapping):
        value = value.get("messages")
    if not isinstance(value, list):
        raise UsageError("expected a list of messages or an object with a 'messages' list")
    return value


def seed(
    reducer: Reducer,
    messages: list[Any],
    session_id: str | None,
    state: Any = None,
    metadata: dict[str, Any] | None = None,
) -> Reducer:
    """Apply the history to a fresh ``reducer`` and make TanStack its sticky decoder."""
    from .formats.tanstack import TanStackDecoder

    decoder = reducer._decoder_for("tanstack")
    if not isinstance(decoder, TanStackDecoder):
        raise UsageError("the 'tanstack' decoder given cannot be seeded")
    reducer.apply(decoder.seed(messages, session_id=session_id, state=state, metadata=metadata))
    reducer._last_decoder = ("tanstack", decoder)
    return reducer


def seed_run_input(reducer: Reducer, request: Any) -> Reducer:
    """:func:`seed` from a ``RunAgentInput`` (or a bare message list): session ``threadId``,
    its ``state``, and ``runId`` / ``parentRunId`` / ``protocolVersion`` / ``resume`` kept in
    the history run's ``metadata["request"]``."""
    if not isinstance(request, Mapping):
        return seed(reducer, message_list(request), None)
    thread = request.get("threadId")
    kept = {key: request[key] for key in _REQUEST_KEPT if request.get(key) is not None}
    return seed(
        reducer,
        message_list(request),
        thread if isinstance(thread, str) and thread else None,
        request.get("state"),
        {"request": kept} if kept else None,
    )
