"""Every exception streamfold raises on purpose, in one module.

The hierarchy::

    StreamfoldError                 everything below; ``except StreamfoldError`` catches all
    ├── UsageError                  the caller is wrong (every mode)
    │   └── SnapshotError           a snapshot could not be read or written (docs/snapshot.md)
    ├── RecordingError              a recording cannot be read at all (a newer format version)
    └── ProtocolError               the sender is wrong (strict mode only); carries a Diagnostic
        └── FramingError            the bytes could not be cut into frames

streamfold splits errors the way h11 does:

* :class:`ProtocolError` — *the sender is wrong*: a frame broke the wire format's rules. Raised
  only in strict mode (``Reducer(strict=True)``); in the default lenient mode the same problem
  becomes a :class:`~streamfold.model.Diagnostic` and reduction goes on.
* :class:`UsageError` — *the caller is wrong*: the API was misused (feeding after ``close()``,
  an unknown format name, an invalid limit). Raised in every mode. A snapshot it cannot use
  is a :class:`SnapshotError`, a kind of usage error.
* :class:`RecordingError` — *the file is from the future*: a streamfold recording whose header
  has a newer format version than this streamfold reads (docs/recording.md). Anything else
  wrong with a recording is reported, not raised.

All derive from :class:`StreamfoldError`, so ``except StreamfoldError`` catches everything the
library raises on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Diagnostic

__all__ = [
    "FramingError",
    "ProtocolError",
    "RecordingError",
    "SnapshotError",
    "StreamfoldError",
    "UsageError",
]


class StreamfoldError(Exception):
    """Base class of every exception streamfold raises deliberately."""


class UsageError(StreamfoldError):
    """The caller misused the API (h11's ``LocalProtocolError``)."""


class RecordingError(StreamfoldError):
    """A recording cannot be read at all (a header from a newer format version)."""


class SnapshotError(UsageError):
    """A snapshot could not be restored (not a snapshot, an unsupported version, damaged or
    oversized content) or a reducer could not be snapshotted (a decoder of a foreign package, a
    value that is not JSON). Nothing is half-loaded: no reducer is returned (docs/snapshot.md).

    A :class:`UsageError`: handing the library a snapshot it cannot use is a caller's problem,
    never the stream's. ``path`` says where in the snapshot the problem is (``"model.sessions
    ['s'].runs[0].usage.prompt_tokens"``), or is ``""``.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{message} (at {path})" if path else message)
        self.path = path


class ProtocolError(StreamfoldError):
    """A frame violated its wire format; raised in strict mode only.

    ``diagnostic`` carries the same record lenient mode would have kept: its stable ``code``,
    the ``frame_index`` and the ``raw`` frame text.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(
            f"[{diagnostic.code}] frame {diagnostic.frame_index}: {diagnostic.message}"
        )
        self.diagnostic = diagnostic

    @property
    def code(self) -> str:
        """The diagnostic's stable code (``docs/diagnostics.md``), e.g. ``"event_id_gap"``."""
        return self.diagnostic.code


class FramingError(ProtocolError):
    """The byte stream could not be split into frames (bad line, oversized line, bad UTF-8)."""
