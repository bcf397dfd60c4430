"""Seeded ids and a fixed clock for the AG-UI recorders.

The published senders mint ids with ``uuid.uuid4`` / ``uuid7`` and stamp events with the wall
clock. ``deterministic(seed)`` replaces those functions *at the source* for the duration of a
recording: every module attribute that is one of the original functions (``uuid.uuid4``,
``pydantic_ai._uuid.uuid7``, ``pydantic_ai._utils.now_utc``, and the names modules imported
them under) is swapped for a seeded or fixed-clock stand-in, and restored on exit. The clock
starts at 2026-01-01T00:00:00Z and advances one millisecond per reading, so event timestamps
stay ordered and identical across re-recordings. Time-ordered uuids (1, 6, 7) carry a serial
number in their top bits, so they sort in the order they were made, as the real ones do.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import random
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

START = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

_TARGETS = (
    ("uuid", "uuid4"),
    ("uuid", "uuid1"),
    ("pydantic_ai._uuid", "uuid7"),
    ("pydantic_ai._utils", "now_utc"),
    ("uuid_utils", "uuid4"),
    ("uuid_utils", "uuid7"),
    ("uuid_utils.compat", "uuid4"),
    ("uuid_utils.compat", "uuid7"),
    ("langchain_core.utils.uuid", "uuid7"),
    ("langgraph.checkpoint.base.id", "uuid6"),
)


@contextmanager
def deterministic(seed: str) -> Iterator[None]:
    rng = random.Random(seed)
    ticks = [0]

    serial = [0]

    def next_uuid(version: int) -> uuid.UUID:
        value = rng.getrandbits(128)
        if version != 4:
            # Time-ordered versions (1, 6, 7) must keep their order: LangGraph finds a thread's
            # latest checkpoint by sorting uuid6 ids. A serial number in the top 48 bits does.
            serial[0] += 1
            value = (value & ((1 << 80) - 1)) | ((0x0190_0000_0000 + serial[0]) << 80)
        value &= ~(0xF000 << 64) & ~(0xC000 << 48)  # clear the version and variant bits
        value |= (version << 76) | (0x8000 << 48)  # RFC 9562 version, variant 10
        return uuid.UUID(int=value)

    def now_utc() -> _dt.datetime:
        ticks[0] += 1
        return START + _dt.timedelta(milliseconds=ticks[0])

    fakes: dict[str, Callable[..., Any]] = {
        "uuid4": lambda *a, **k: next_uuid(4),
        "uuid1": lambda *a, **k: next_uuid(1),
        "uuid6": lambda *a, **k: next_uuid(6),
        "uuid7": lambda *a, **k: next_uuid(7),
        "now_utc": now_utc,
    }
    replace: dict[int, Callable[..., Any]] = {}
    for module_name, attr in _TARGETS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        original = getattr(module, attr, None)
        if original is not None:
            replace[id(original)] = fakes[attr]
    patched: list[tuple[Any, str, Any]] = []
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            fake = replace.get(id(value))
            if fake is not None:
                patched.append((module, name, value))
                setattr(module, name, fake)
    try:
        yield
    finally:
        for module, name, value in reversed(patched):
            setattr(module, name, value)
