"""Seeding a :class:`~streamfold.reducer.Reducer` with the conversation a new stream continues
(``docs/how-to/hydrate.md``): TanStack ``UIMessage[]`` (what TanStack's client passes as
``initialMessages``) or an AG-UI ``RunAgentInput`` (the run's request body).

The history becomes a completed run ``"history"`` (``run.metadata["history"] is True``) in the
session of the thread, applied as canonical events that the TanStack decoder makes
(:meth:`~streamfold.formats.tanstack.TanStackDecoder.seed`), so the decoder knows the history's
messages and tool calls and the stream fed next continues them as TanStack's
``StreamProcessor`` does. :meth:`Reducer.from_ui_messages` and :meth:`Reducer.from_run_input`
are the entry points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from .core import FoldState
from .errors import UsageError
from .events import Event
from .formats import Decoder
from .notifications import Notification

__all__ = [
    "Seedable",
    "from_run_input",
    "from_ui_messages",
    "message_list",
    "seed",
    "seed_run_input",
]


class Seedable(Protocol):
    """What seeding needs of a :class:`~streamfold.reducer.Reducer` (which is one): its
    decoder by format name, the sticky decoder slot and :meth:`apply`. A protocol, so that
    this module does not import the reducer that imports it."""

    _last_decoder: tuple[str, Decoder] | None

    @property
    def state(self) -> FoldState:
        """The fold's state (:attr:`streamfold.reducer.Reducer.state`)."""
        ...

    def _decoder_for(self, name: str) -> Decoder: ...

    def apply(self, events: Iterable[Event]) -> list[Notification]:
        """Apply canonical events (:meth:`streamfold.reducer.Reducer.apply`)."""
        ...


Reducer = TypeVar("Reducer", bound=Seedable)

_REQUEST_KEPT = ("runId", "parentRunId", "protocolVersion", "resume")


def from_ui_messages(
    cls: Callable[..., Reducer],
    messages: Any,
    /,
    *,
    session_id: str | None = None,
    **options: Any,
) -> Reducer:
    """``Reducer.from_ui_messages``: a reducer seeded with a TanStack ``UIMessage[]`` (or
    ``{"messages": [...]}``), as TanStack's client seeds its ``StreamProcessor``
    (``initialMessages``), so that a stream fed next continues that conversation.

    The messages become a completed run ``"history"`` (``run.metadata["history"]``) of session
    ``session_id`` (default: the object's ``threadId``, else ``"default"``; give the stream's
    ``threadId`` so the stream's runs join it); tool calls answered in them (results, approval
    responses) resolve the stream's frames for those calls. ``options`` are the
    :class:`~streamfold.reducer.Reducer`'s (``format`` must be ``None`` or ``"tanstack"``).
    Raises :class:`~streamfold.errors.UsageError` for input that is not a message list.
    """
    if session_id is None and isinstance(messages, Mapping):
        thread = messages.get("threadId")
        session_id = thread if isinstance(thread, str) and thread else None
    return seed(cls(**_options(options)), message_list(messages), session_id)


def from_run_input(cls: Callable[..., Reducer], request: Any, /, **options: Any) -> Reducer:
    """``Reducer.from_run_input``: a reducer seeded with an AG-UI ``RunAgentInput`` (the
    request body of a run; also echoed as ``RUN_STARTED.input``): its ``messages`` (AG-UI or
    UIMessage shaped) become the history run of session ``threadId``, its ``state`` that run's
    state, and ``resume``, ``runId``, ``parentRunId`` and ``protocolVersion`` are kept in the
    run's ``metadata["request"]``. A bare message list is accepted too. See
    :func:`from_ui_messages`. Raises :class:`~streamfold.errors.UsageError` for other input.
    """
    return seed_run_input(cls(**_options(options)), request)


def _options(options: dict[str, Any]) -> dict[str, Any]:
    if options.get("format") not in (None, "tanstack"):
        raise UsageError("a seeded reducer reads TanStack / AG-UI: format must be 'tanstack'")
    return options


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
    reducer.state.use_decoder(decoder)  # its wire timestamps stamp the model's times
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
