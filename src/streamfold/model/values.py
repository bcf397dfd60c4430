"""Plain values of the model: ``UNSET``, the status enums, :class:`TextBuffer`, :class:`Usage`.

Nothing here knows a conversation's shape (that is :mod:`streamfold.model.tree`) or a wire format.
"""

from __future__ import annotations

import enum
from typing import Any, Final, Literal, TypeVar

import attrs

__all__ = [
    "RUN_TRANSITIONS",
    "UNSET",
    "MissingUnit",
    "RunStatus",
    "Severity",
    "SpanStatus",
    "TextBuffer",
    "Usage",
    "display_value",
]


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
"""Sentinel for "no value" where ``None`` is a legitimate value (e.g. a tool's parsed input)."""


def display_value(text: str) -> Any:
    """What a UI shows for a text that may be JSON (a tool result, a result part's content).

    A JSON string gives its text (``'"18C"'`` → ``'18C'``), a structured JSON value (object,
    array, number, boolean, null) gives the value, and text that is not JSON is returned as it
    is — but a JSON string cut short (a truncated tool result) gives its text so far. So a view
    prints a ``str`` as text and renders anything else as data; it never shows quoted JSON
    (docs/model.md, "What a UI shows").
    """
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    body = text.strip()
    if body.startswith('"'):
        # A JSON string cut short (Loom truncates long tool results and appends "..."): its
        # text so far. A cut inside an escape (``\``, ``\u00``) is trimmed back.
        import jiter

        cut = body.endswith(("...", "…"))
        body = body.removesuffix("...").removesuffix("…")
        for trim in range(7):
            try:
                value = jiter.from_json(
                    body[: len(body) - trim].encode(), partial_mode="trailing-strings"
                )
            except ValueError:
                continue
            if isinstance(value, str):
                return value + "…" if cut else value
            break
    return text


_T = TypeVar("_T")


def _appended(items: list[_T] | None, item: _T) -> list[_T]:
    """``items`` with ``item`` appended, the list created on first use.

    The usually-empty lists of the model (``Run.spans``, ``Span.children``…) are ``None`` until
    something is added: every empty list is one more object the garbage collector walks on each
    full collection (issue #7). Their public names are read-only properties that give ``[]``
    while nothing was added; the reducer appends with ``obj._field = _appended(obj._field, x)``.
    """
    if items is None:
        return [item]
    items.append(item)
    return items


def _list_repr(items: list[Any] | None) -> str:
    return repr([] if items is None else items)


class RunStatus(enum.StrEnum):
    """Lifecycle of a :class:`Run`."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    AWAITING_APPROVAL = "awaiting_approval"
    """The run stopped to ask the user (Loom ``tool_approval``; AG-UI interrupt outcome)."""
    INTERRUPTED = "interrupted"
    """The run stopped for another reason it expects to resume from (e.g. a client tool)."""
    INCOMPLETE = "incomplete"
    """The run ended but parts of its output never arrived (e.g. NNRP sequence gaps)."""

    @property
    def is_terminal(self) -> bool:
        """Whether the run has ended (every status but ``running``; see ``RUN_TRANSITIONS``)."""
        return self is not RunStatus.RUNNING


RUN_TRANSITIONS: Final[dict[RunStatus, frozenset[RunStatus]]] = {
    RunStatus.RUNNING: frozenset(RunStatus) - {RunStatus.RUNNING},
    **{status: frozenset() for status in RunStatus if status is not RunStatus.RUNNING},
}
"""Legal :class:`RunStatus` moves: a running run ends once, in any terminal status; an ended
run never changes status again (a second end is a ``run_already_ended`` diagnostic and is not
applied). ``docs/model.md`` draws this table."""


MissingUnit = Literal["event_id", "token_seq"]
"""What the numbers of a known-missing range count (:attr:`~streamfold.model.Run.missing`):
``"event_id"`` — envelope event ids (Loom); ``"token_seq"`` — token sequence numbers of the
run's output (NNRP). ``docs/model.md``, "Missing ranges"."""


class SpanStatus(enum.StrEnum):
    """Where a span is: ``open``; closed ``ok`` or with an ``error``; or ``unclosed`` (its run or an
    outer span ended first)."""

    OPEN = "open"
    OK = "ok"
    ERROR = "error"
    UNCLOSED = "unclosed"
    """The run ended (or an outer span closed) while this span was still open."""


class Severity(enum.StrEnum):
    """How serious a diagnostic is (docs/diagnostics.md): ``info``, ``warning`` or ``error``. In
    strict mode a ``warning`` or ``error`` raises ``ProtocolError``."""

    INFO = "info"
    """Worth knowing; nothing was wrong (e.g. a REPL prompt line skipped)."""
    WARNING = "warning"
    """The sender did something odd but legal-looking (a gap in event_id, a duplicate)."""
    ERROR = "error"
    """The frame broke its format (not JSON, wrong field types, unmatched ids)."""


_CHUNK_PIECES = 32  # appended pieces a TextBuffer joins into one chunk (see its class)


class TextBuffer:
    """Append-only text kept as pieces and joined on read (cached until the next append).

    ``append`` is O(len(piece)) amortized; ``str(buf)`` / ``.text`` is O(total) only the first
    time after an append. Reading after *every* append brings back O(n²) — read when rendering,
    not per delta.
    """

    __slots__ = ("_cache", "_compact_at", "_pieces", "chars", "dropped")

    # Exactly one of ``_cache`` (the whole text) and ``_pieces`` (pieces to join) is not None: a
    # buffer that is empty or holds one string keeps no list, one object less for the garbage
    # collector to walk (issue #7). The reducer's ``_append_text`` inlines ``append``.
    #
    # ``_pieces`` is ``[chunk, …, chunk, piece, …]``: every _CHUNK_PIECES appended pieces are
    # joined into one chunk (each character is copied once more, amortized O(1) per append).
    # A text delta is a few characters, so a string object per delta costs ~50 bytes of header
    # and one reference for every full collection to visit. Joining them cut the folded model of
    # a 1M-frame stream (RSS after a full collection) from 119 to 78 MB (Loom), 136 to 93 MB
    # (AG-UI) and 137 to 89 MB (NNRP), and the references a full collection visits by 30%, for
    # ~1.6% more instructions per text delta. ``_compact_at`` is the list length at which the
    # pieces after the chunks are joined.

    def __init__(self, text: str = "") -> None:
        self._pieces: list[str] | None = None
        self._cache: str | None = text
        self._compact_at = 0
        self.chars = len(text)
        """Length of the text in characters (what ``len()`` returns, without the call)."""
        self.dropped = 0
        """Characters not kept because the reducer's size limit for this text was reached."""

    def append(self, piece: str) -> None:
        """Add ``piece`` at the end (nothing for ``""``). Amortized O(len(piece)): pieces are joined
        into chunks of 32."""
        if piece:
            pieces = self._pieces
            if pieces is None:
                cache = self._cache
                if cache:  # the text so far counts as the first chunk
                    self._pieces = [cache, piece]
                    self._compact_at = 1 + _CHUNK_PIECES
                else:
                    self._pieces = [piece]
                    self._compact_at = _CHUNK_PIECES
                self._cache = None
            else:
                pieces.append(piece)
                if len(pieces) >= self._compact_at:
                    self._compact()
            self.chars += len(piece)

    def _compact(self) -> None:
        """Join the pieces after the chunks into one chunk (_CHUNK_PIECES of them)."""
        pieces = self._pieces
        assert pieces is not None
        start = self._compact_at - _CHUNK_PIECES
        pieces[start:] = ("".join(pieces[start:]),)
        self._compact_at = start + 1 + _CHUNK_PIECES

    def replace(self, text: str) -> None:
        """Make ``text`` the whole content (a sender's full-text correction); ``dropped`` is
        kept."""
        self._pieces = None
        self._cache = text
        self.chars = len(text)

    def settle(self) -> None:
        """Join the pieces into the one string a read would build, now (O(length) once).

        The reducer calls it when a run ends: a finished text is then one string instead of a
        list of chunks, one object fewer for every full collection to visit
        (docs/performance.md#many-sessions-and-the-collector). Appending later works as before.
        """
        if self._pieces is not None:
            self._cache = "".join(self._pieces)
            self._pieces = None

    @property
    def text(self) -> str:
        """The whole text: O(length) the first time after an append, then cached."""
        cache = self._cache
        if cache is None:
            cache = self._cache = "".join(self._pieces or ())
            self._pieces = None
        return cache

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return self.chars

    def __bool__(self) -> bool:
        return self.chars > 0

    def __repr__(self) -> str:
        text = self.text
        return f"TextBuffer({text[:40] + '…' if len(text) > 40 else text!r})"


@attrs.define(slots=True, eq=False)
class Usage:
    """Token usage. Counts are in tokens; absent counts are 0.

    ``prompt_tokens_details`` / ``completion_tokens_details`` keep provider details (e.g.
    ``cached_tokens``, ``reasoning_tokens``) apart from the three headline counts, summed key-wise.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: dict[str, int] = attrs.field(factory=dict)
    completion_tokens_details: dict[str, int] = attrs.field(factory=dict)
    reports: int = 0
    """How many usage reports were folded into this value."""

    def add(self, other: Usage, sign: int = 1) -> None:
        """Add ``other``'s token counts (and detail counts, key by key) to this one, times ``sign``
        (``-1`` takes a replaced report back out); ``reports`` counts the reports folded in.
        Integers are Python ints: sums past 64 bits stay exact."""
        self.prompt_tokens += sign * other.prompt_tokens
        self.completion_tokens += sign * other.completion_tokens
        self.total_tokens += sign * other.total_tokens
        for mine, theirs in (
            (self.prompt_tokens_details, other.prompt_tokens_details),
            (self.completion_tokens_details, other.completion_tokens_details),
        ):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + sign * value
        self.reports += sign * max(other.reports, 1)

    def copy(self) -> Usage:
        """An independent copy (the detail dicts copied too)."""
        return Usage(
            self.prompt_tokens,
            self.completion_tokens,
            self.total_tokens,
            dict(self.prompt_tokens_details),
            dict(self.completion_tokens_details),
            self.reports,
        )

    def __bool__(self) -> bool:
        return self.reports > 0
