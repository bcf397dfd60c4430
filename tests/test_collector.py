"""The collector strategy for long folds (streamfold.collector, docs/performance.md).

What a fold of many sessions has built is frozen out of CPython's full collections while the
fold runs, and unfrozen at its end; the strategy stands aside when the application runs the
collector its own way. The time it saves is measured by ``bench/bench_sessions.py``, not here.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streamfold import Reducer, fold, fold_file
from streamfold.batch.work import SessionFolder, fold_path
from streamfold.collector import FreezeSettled
from streamfold.export.json import to_json
from streamfold.model import TextBuffer, TextPart


def short_sessions(n: int) -> list[bytes]:
    """``n`` finished Loom sessions of 20 frames each (enter, 15 chunks, usage, exit, reply)."""
    lines = []
    for k in range(n):
        sid = f"s{k}"
        base = {"node_id": f"{sid}-think-0", "session_id": sid}
        events: list[dict[str, object]] = [{"type": "node_enter", "id": "think"}]
        events += [{"type": "message_chunk", "content": " word", "id": "think"}] * 15
        events.append(
            {"type": "usage", "prompt_tokens": 100, "completion_tokens": 15, "total_tokens": 115}
        )
        events.append({"type": "node_exit", "id": "think", "result": "Ok"})
        for i, event in enumerate(events, 1):
            lines.append(orjson.dumps({"event_id": i, **base, **event}))
        lines.append(orjson.dumps({"event_id": 20, "session_id": sid, "reply": "w" * 75}))
    return lines


@pytest.fixture
def clean_gc() -> Iterator[None]:
    """The collector enabled and nothing frozen, as in a process that never touched them; the
    test's state is undone afterwards."""
    was_enabled = gc.isenabled()
    gc.unfreeze()
    gc.enable()
    yield
    gc.unfreeze()
    if not was_enabled:
        gc.disable()


def test_freezes_every_n_frames_and_unfreezes_at_the_end(clean_gc: None) -> None:
    keep = []
    with FreezeSettled(every=10) as settle:
        assert settle.active
        settle.reached(9)
        assert gc.get_freeze_count() == 0
        keep.append([object()])  # a tracked object alive at the freeze
        settle.reached(10)
        first = gc.get_freeze_count()
        assert first > 0
        settle.reached(19)  # fewer than 10 frames since the last freeze
        assert gc.get_freeze_count() == first
        keep.append([object()])
        settle.reached(25)
        assert gc.get_freeze_count() > first
    assert gc.get_freeze_count() == 0
    settle.close()  # idempotent
    assert gc.get_freeze_count() == 0


def test_stands_aside_when_the_application_runs_the_collector(clean_gc: None) -> None:
    gc.disable()
    disabled = FreezeSettled(every=1)
    disabled.reached(5)
    assert not disabled.active and gc.get_freeze_count() == 0
    gc.enable()

    gc.freeze()  # the application froze its own objects
    frozen = gc.get_freeze_count()
    with FreezeSettled(every=1) as settle:
        settle.reached(5)
        assert not settle.active
    assert gc.get_freeze_count() == frozen  # its objects stay frozen: nothing unfroze them


def test_never_and_bad_intervals(clean_gc: None) -> None:
    never = FreezeSettled(None)
    never.reached(10**9)
    assert not never.active and gc.get_freeze_count() == 0
    for bad in (0, -5):
        with pytest.raises(ValueError, match="every must be >= 1"):
            FreezeSettled(bad)


def test_fold_freezes_while_it_runs_and_gives_the_same_model(
    clean_gc: None, tmp_path: Path
) -> None:
    lines = short_sessions(300)  # 6,000 frames
    seen: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(lines), 100):
            seen.append(gc.get_freeze_count())
            yield b"\n".join(lines[i : i + 100]) + b"\n"

    settled = fold(chunks(), freeze_every=1_000)
    assert seen[0] == 0 and seen[-1] > seen[11] > 0  # frozen after 1,000 frames, then more
    assert gc.get_freeze_count() == 0  # unfrozen at the end
    plain = fold([b"\n".join(lines) + b"\n"], freeze_every=None)
    assert to_json(settled) == to_json(plain)
    assert len(settled.sessions) == 300

    path = tmp_path / "many.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert to_json(fold_file(path, freeze_every=500)) == to_json(plain)
    assert gc.get_freeze_count() == 0


def test_the_batch_workers_unfreeze_what_they_froze(clean_gc: None, tmp_path: Path) -> None:
    lines = short_sessions(6_000)  # 120,000 frames: more than FREEZE_EVERY
    path = tmp_path / "many.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = fold_path(str(path))
    assert len(result.rows["runs"]) == 6_000
    assert gc.get_freeze_count() == 0

    folder = SessionFolder()
    folder.feed_many(
        (f"s{i % 7}", i, (line, "line", None, None, False)) for i, line in enumerate(lines)
    )
    assert gc.get_freeze_count() > 0  # the sessions it holds are frozen while it folds
    rows = folder.rows("log", len(lines))
    assert gc.get_freeze_count() == 0
    assert sum(len(r) for r in rows.values()) > 0


def chunks(buffer: TextBuffer) -> list[str] | None:
    """The buffer's list of chunks (``None``: it holds one string)."""
    return buffer._pieces


def test_a_finished_runs_texts_are_one_string_each() -> None:
    """What the collector visits per finished session: no list of chunks per text."""
    reducer = Reducer(format="loom")
    lines = short_sessions(2)
    for line in lines[:-1]:  # the second session's reply line still to come
        reducer.feed_line(line)
    first, second = (s.runs[0] for s in reducer.conversation.sessions.values())
    part = first.messages[0].parts[0]
    assert isinstance(part, TextPart)
    settled = part.buffer
    assert chunks(settled) is None
    assert settled.text == " word" * 15
    part = second.messages[0].parts[0]
    assert isinstance(part, TextPart)
    open_buffer = part.buffer
    assert chunks(open_buffer) is not None  # still streaming: appends stay O(1)
    reducer.feed_line(lines[-1])
    assert chunks(open_buffer) is None
    open_buffer.append(" more")  # a text settled can still grow
    assert open_buffer.text.endswith(" more")


@pytest.mark.parametrize("freeze_every", [None, 1_000])
def test_a_dropped_model_is_freed_at_once(
    clean_gc: None, tmp_path: Path, freeze_every: int | None
) -> None:
    """No reference cycle holds a fold's reducer: the model goes when the caller drops it,
    not at some later full collection (nor, after a freeze, never)."""
    path = tmp_path / "many.ndjson"
    path.write_bytes(b"\n".join(short_sessions(100)) + b"\n")
    gc.collect()
    if freeze_every is None:
        gc.disable()  # nothing but reference counting can free it
    # (with freezes the collector stays on: the model was frozen, then unfrozen into the oldest
    # generation, where only a full collection would find a cycle)
    try:
        for how in ("fold", "fold_file"):
            if how == "fold":
                conversation = fold([path.read_bytes()], freeze_every=freeze_every)
            else:
                conversation = fold_file(path, freeze_every=freeze_every)
            assert len(conversation.sessions) == 100
            gone = weakref.ref(conversation)
            session = weakref.ref(next(iter(conversation.sessions.values())))
            del conversation
            assert gone() is None and session() is None
    finally:
        gc.enable()
