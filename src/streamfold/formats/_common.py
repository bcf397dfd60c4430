"""What every decoder needs and none should copy: diagnostic shorthands, field readers, the
unknown-event-type and unknown-fields fallbacks, and run-id issuing.

Private to :mod:`streamfold.formats` (a third-party format may use it, but its names may change;
``docs/write-a-format.md`` shows the public way). The fallbacks follow ``docs/diagnostics.md``:
a frame of a type the decoder does not know is kept verbatim on its run (INFO
``unknown_event_type`` + :class:`~streamfold.events.KeepUnknown`), never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..events import Diagnose, Event, KeepUnknown
from ..model import Severity

__all__ = [
    "IdMap",
    "drop",
    "int_or_none",
    "keep_unknown_fields",
    "keep_unknown_type",
    "str_or_none",
    "warn",
]


def drop(code: str, message: str, run_id: str | None = None) -> Diagnose:
    """An ERROR diagnostic for a frame that is not applied (``dropped=True``)."""
    return Diagnose(code, message, Severity.ERROR, dropped=True, run_id=run_id)


def warn(
    code: str, message: str, run_id: str | None = None, *, event_id: int | None = None
) -> Diagnose:
    """A WARNING diagnostic for a frame applied as well as it could be."""
    return Diagnose(code, message, Severity.WARNING, run_id=run_id, event_id=event_id)


def str_or_none(value: Any) -> str | None:
    """``value`` if it is a ``str`` (not a subclass), else ``None``."""
    return value if type(value) is str else None


def int_or_none(value: Any) -> int | None:
    """``value`` if it is an ``int`` (not a ``bool``), else ``None``."""
    return value if type(value) is int else None


def keep_unknown_type(
    out: list[Event], run_id: str, frame: Mapping[str, Any], message: str
) -> None:
    """A frame whose type the decoder does not know: INFO ``unknown_event_type`` with
    ``message`` and the frame kept verbatim on the run."""
    out.append(
        Diagnose(
            "unknown_event_type",
            message,
            Severity.INFO,
            run_id=run_id,
        )
    )
    out.append(KeepUnknown(run_id, dict(frame)))


def keep_unknown_fields(
    out: list[Event], run_id: str, frame: Mapping[str, Any], kind: str, allowed: frozenset[str]
) -> None:
    """A known frame type with fields outside ``allowed``: applied, plus INFO ``unknown_fields``
    and the frame kept verbatim on the run. Callers test ``allowed.issuperset(frame)`` first
    (the common case costs one set operation and no call)."""
    extra = ", ".join(sorted(frame.keys() - allowed))
    out.append(
        Diagnose(
            "unknown_fields",
            f"{kind} has fields not in the spec ({extra}); frame kept verbatim",
            Severity.INFO,
            run_id=run_id,
        )
    )
    out.append(KeepUnknown(run_id, dict(frame)))


@attrs.define(slots=True, eq=False)
class IdMap:
    """Canonical ids issued from wire keys (pydantic-ai's ``vendor_part_id`` idea).

    :meth:`issue` returns ``base`` the first time and ``"<base>#n"`` after, with the smallest
    free ``n >= 2`` after the last one given for ``base`` (ids are never freed, so the search
    resumes there: O(1) for the ``#2``, ``#3``, … of a key reused again and again)."""

    issued: set[str] = attrs.field(factory=set)
    """Every id issued so far."""
    suffix: dict[str, int] = attrs.field(factory=dict)
    """base → the last ``n`` given to it."""

    def issue(self, base: str) -> str:
        issued = self.issued
        if base not in issued:
            issued.add(base)
            return base
        n = self.suffix.get(base, 1) + 1
        while f"{base}#{n}" in issued:
            n += 1
        self.suffix[base] = n
        candidate = f"{base}#{n}"
        issued.add(candidate)
        return candidate
