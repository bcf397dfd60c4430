"""Canonical events of a messages snapshot: a sender's whole message list (AG-UI
``MESSAGES_SNAPSHOT``, a hydrated conversation) as :class:`SnapshotMessage` values with their parts,
applied by :class:`ReplaceMessages` (``docs/concepts/events.md``)."""

from __future__ import annotations

from typing import Any

import attrs

from ..model import UNSET

__all__ = [
    "ReplaceMessages",
    "SnapshotActivity",
    "SnapshotMessage",
    "SnapshotPart",
    "SnapshotReasoning",
    "SnapshotText",
    "SnapshotToolCall",
    "SnapshotToolResult",
]


@attrs.define
class SnapshotText:
    """A text part of a :class:`SnapshotMessage`: the part's whole ``text``."""

    text: str


@attrs.define
class SnapshotReasoning:
    """A reasoning part of a :class:`SnapshotMessage`: its whole ``text``, the provider
    ``signature`` and the reasoning ``step_id`` when the snapshot gives them."""

    text: str
    signature: str | None = None
    step_id: str | None = None
    encrypted: str | None = None
    """The provider's opaque reasoning value (AG-UI ``encryptedValue``)."""


@attrs.define
class SnapshotActivity:
    """The content of an activity message in a snapshot (AG-UI ``role: "activity"``)."""

    activity_type: str
    content: Any


@attrs.define
class SnapshotToolCall:
    """A tool call in a snapshot message. ``arguments=None`` keeps the known call as it is
    (the snapshot only says where it sits); a call the reducer does not know is created with
    state ``input-complete``."""

    call_id: str
    name: str | None = None
    arguments: str | None = None
    metadata: dict[str, Any] | None = None


@attrs.define
class SnapshotToolResult:
    """A tool result in a snapshot message. It completes the call only when the call has no
    result yet (what the client saw before the snapshot wins)."""

    call_id: str
    content: str
    is_error: bool = False
    error: str | None = None
    value: Any = UNSET


SnapshotPart = (
    SnapshotText | SnapshotReasoning | SnapshotToolCall | SnapshotToolResult | SnapshotActivity
)


@attrs.define
class SnapshotMessage:
    """One message of a messages snapshot (:class:`ReplaceMessages`): ``message_id``, ``role`` and
    its ``parts`` in order, decoded from AG-UI ``MESSAGES_SNAPSHOT`` wire messages
    (``docs/tanstack.md``)."""

    message_id: str
    role: str
    parts: tuple[SnapshotPart, ...] = ()
    metadata: dict[str, Any] | None = None
    """Replaces the message's metadata when given; kept otherwise."""


@attrs.define
class ReplaceMessages:
    """A messages snapshot (AG-UI ``MESSAGES_SNAPSHOT``): the session's message list becomes
    ``messages``, in this order.

    Known messages keep their identity and run and get the snapshot's parts; unknown ones are
    created in ``run_id``; messages of the session that the snapshot leaves out are removed
    (reported in the :class:`~streamfold.notifications.MessagesReplaced` notification). Tool
    calls keep their state: a call the snapshot mentions is re-homed into its snapshot message,
    never reset."""

    run_id: str
    messages: tuple[SnapshotMessage, ...]
