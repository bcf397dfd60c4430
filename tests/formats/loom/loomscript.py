"""A minimal model of Loom's envelope injection, for writing quirk-focused test streams.

It follows ``stream-event/src/envelope.rs`` as ``../shared/notes/loom.md`` §2.2 describes it:
event_id from 1 on every event; node_id ``run-<name>-<seq>`` set at node_enter and sticky;
``run-0`` before the first enter; the reply line takes ``next_event_id`` without advancing it;
payload keys are never overwritten by the envelope; optional fields are explicit nulls.
"""

from __future__ import annotations

from typing import Any

import orjson


class Envelope:
    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.next_event_id = 1
        self.node_seq = 0
        self.node_id = "run-0"
        self.lines: list[bytes] = []

    def event(self, type_: str, **payload: Any) -> bytes:
        if type_ == "node_enter":
            self.node_id = f"run-{payload['id']}-{self.node_seq}"
            self.node_seq += 1
        frame: dict[str, Any] = {"type": type_, **payload}
        for key, value in (
            ("session_id", self.session_id),
            ("node_id", self.node_id),
            ("event_id", self.next_event_id),
        ):
            frame.setdefault(key, value)
        self.next_event_id += 1
        line = orjson.dumps(frame)
        self.lines.append(line)
        return line

    def reply(self, text: str, thread_id: str, **extra: Any) -> bytes:
        frame = {
            "reply": text,
            "session_id": thread_id,
            "node_id": self.node_id,
            "event_id": self.next_event_id,
            **extra,
        }
        line = orjson.dumps(frame)
        self.lines.append(line)
        return line

    # Common shapes -------------------------------------------------------------------

    def node(self, name: str, *inner: tuple[str, dict[str, Any]], err: str | None = None) -> None:
        self.event("node_enter", id=name)
        for type_, payload in inner:
            self.event(type_, **payload)
        self.event("node_exit", id=name, result={"Err": err} if err else "Ok")
        self.event("values", state={"step": self.node_seq})
        self.event("updates", id=name, state={"step": self.node_seq})


def ev(type_: str, **payload: Any) -> tuple[str, dict[str, Any]]:
    return type_, payload
