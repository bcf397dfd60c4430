"""The OpenAI-compatible profile: ``response.*`` events in NNRP results, deduplicated by
``result_sequence`` and folded by :mod:`streamfold.formats._openai_events`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ...events import (
    Diagnose,
    Event,
    RecordCustom,
)
from ...model import Severity
from .._common import drop, keep_unknown_type
from .._openai_events import HANDLERS, TERMINAL_EVENTS, EventTarget, Handler, Terminal
from .operations import _Operations
from .state import _once, _Op
from .wire import _event_object, _status_terminal

__all__: list[str] = []  # the decoder's internals: nothing here is public API


class _OpenAIProfile(_Operations):
    """OpenAI-style events carried by results."""

    def _event(
        self,
        op: _Op,
        view: str,
        kind: str,
        frame: Mapping[str, Any],
        meta: Mapping[str, Any],
        retransmit: bool,
        out: list[Event],
    ) -> Terminal | None:
        event = _event_object(frame, op, out)
        terminal_message = kind == "RESULT_PUSH"
        if event is None:
            return _status_terminal(meta, op) if terminal_message else None
        etype = event.get("type")
        if not terminal_message:
            seq = meta.get("result_sequence")
            if type(seq) is int:
                last = op.result_sequence
                if last is not None and seq <= last:
                    op.duplicate_results += 1
                    out.append(
                        Diagnose(
                            "duplicate_result",
                            f"result_sequence {seq} <= {last} already applied; dropped",
                            Severity.INFO if retransmit else Severity.WARNING,
                            dropped=True,
                            session_id=op.session_id,
                            run_id=op.run_id,
                        )
                    )
                    return None
                if last is not None and seq > last + 1:
                    out.append(
                        Diagnose(
                            "result_sequence_gap",
                            f"result_sequence jumped from {last} to {seq}",
                            Severity.WARNING,
                            session_id=op.session_id,
                            run_id=op.run_id,
                        )
                    )
                op.result_sequence = seq
            elif seq is not None:
                _once(op, out, "result_sequence", "invalid_field", "result_sequence is not an int")
            elif retransmit:
                op.duplicate_results += 1
                out.append(
                    Diagnose(
                        "duplicate_result",
                        "retransmitted event without result_sequence can't be placed; dropped",
                        Severity.INFO,
                        dropped=True,
                        run_id=op.run_id,
                    )
                )
                return None
        if type(etype) is not str:
            out.append(drop("invalid_field", "event without a string 'type'", op.run_id))
            return None
        handler = _HANDLERS.get(etype)
        if handler is None:
            keep_unknown_type(
                out,
                op.run_id,
                event,
                f"unknown OpenAI-compatible event {etype!r}; kept verbatim on the run",
            )
            return _status_terminal(meta, op) if terminal_message else None
        term = handler(_OpView(self, op, view), event, out)
        if etype in TERMINAL_EVENTS:
            assert term is not None
            if not terminal_message:
                # Carried by a PARTIAL_RESULT: the operation still ends at its RESULT_PUSH.
                op.pending = (term.status, term.finish_reason, term.error, term.error_code)
                return None
            return term
        if terminal_message:
            if op.pending is not None:
                status, finish, error, code = op.pending
                return Terminal(status, finish, op.stop_reason, error, code)
            return _status_terminal(meta, op)
        return None


class _OpView:
    """An operation's view as the :class:`~streamfold.formats._openai_events.EventTarget` of
    one event: its run, its calls, and the view's messages by output index."""

    __slots__ = ("decoder", "op", "view")

    def __init__(self, decoder: _Operations, op: _Op, view: str) -> None:
        self.decoder, self.op, self.view = decoder, op, view

    @property
    def run_id(self) -> str:
        return self.op.run_id

    @property
    def calls(self) -> dict[str, bool]:
        return self.op.calls

    @property
    def text_seen(self) -> bool:
        return self.op.text_seen

    @text_seen.setter
    def text_seen(self, value: bool) -> None:
        self.op.text_seen = value

    @property
    def stop_reason(self) -> str | None:
        return self.op.stop_reason

    def message_id(self, index: int, out: list[Event]) -> str:
        return self.decoder._message(self.op, self.view, index, out)


def _diagnostics(target: EventTarget, event: Mapping[str, Any], out: list[Event]) -> None:
    """``response.diagnostics``, an NNRP extension: kept as a custom event on the run."""
    out.append(RecordCustom(target.run_id, "nnrp.diagnostics", dict(event)))


_HANDLERS: Final[dict[str, Handler]] = {**HANDLERS, "response.diagnostics": _diagnostics}
