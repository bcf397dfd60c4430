"""NNRP/1 on the wire (``streamfold.formats.nnrp_wire``): recordings made with the published
runtime, the upstream golden vectors, byte splits and mutations, strict/lenient validation."""

from __future__ import annotations

import json
import os
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamfold.formats.nnrp import NnrpDecoder
from streamfold.formats.nnrp_wire import (
    NnrpWireDecoder,
    NnrpWireStream,
    Packet,
    PacketSplitter,
    WireFault,
    close_wire,
    feed_wire,
    read_packets,
)
from streamfold.formats.nnrp_wire.meta import parse_metadata, parse_typed_body
from streamfold.formats.nnrp_wire.vocab import MESSAGE_TYPE_CODES, MESSAGE_TYPES, flag_names
from streamfold.model import Run, Severity
from streamfold.reducer import Reducer

ROOT = Path(__file__).resolve().parents[3]
RECORDINGS = ROOT / "examples" / "recordings"
EXPECTED = json.loads((RECORDINGS / "nnrp-wire-expected.json").read_text())
SCENARIOS = sorted(EXPECTED["scenarios"])
GOLDENS = Path(
    os.environ.get("STREAMFOLD_NNRP_GOLDENS", ROOT.parent / "shared" / "corpus" / "nnrp-goldens")
)
"""The upstream golden vectors (NNRP conformance, nnrp-cs, nnrp-rs; Apache-2.0), read in place:
``../shared`` beside the checkout, or ``$STREAMFOLD_NNRP_GOLDENS``."""


def fold(chunks: list[bytes] | bytes, decoder: NnrpWireDecoder | None = None) -> Reducer:
    reducer = Reducer(
        format="nnrp-wire", decoders={"nnrp-wire": decoder} if decoder is not None else None
    )
    stream = NnrpWireStream()
    for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
        feed_wire(reducer, stream, chunk)
    close_wire(reducer, stream)
    reducer.close()
    assert reducer.frames_applied + reducer.frames_dropped == reducer.frames_in
    return reducer


def runs(reducer: Reducer) -> dict[str, Run]:
    return {
        run.run_id: run
        for session in reducer.conversation.sessions.values()
        for run in session.runs
    }


def summary(run: Run) -> dict[str, Any]:
    text = "".join(m.text for m in run.messages if m.role == "assistant")
    return {
        "text": text,
        "status": str(run.status),
        "finish_reason": run.finish_reason,
        "error_code": run.error_code,
        "input_text": run.input_text,
        "tool_calls": [
            {"call_id": c.call_id, "name": c.name, "arguments": c.arguments}
            for c in run.tool_calls.values()
        ],
        "usage": (run.usage.prompt_tokens, run.usage.completion_tokens),
    }


def splits(data: bytes, rng: random.Random, n: int) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), min(n, len(data) - 1)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def warnings(reducer: Reducer) -> list[str]:
    return [
        f"{d.code}: {d.message}"
        for d in reducer.conversation.diagnostics
        if d.severity is not Severity.INFO
    ]


# ------------------------------------------------------------------------------ recordings


@pytest.mark.parametrize("name", SCENARIOS)
def test_recording_folds_to_what_the_server_sent(name: str) -> None:
    data = (RECORDINGS / f"nnrp-wire-{name}.nnrp").read_bytes()
    reducer = fold(data)
    assert warnings(reducer) == []
    got = runs(reducer)
    expects = EXPECTED["scenarios"][name]
    assert len(got) == len(expects)
    for expect in expects:
        run = got[f"nnrp:0x{expect['session_id']:08x}:0x{expect['frame_id']:08x}"]
        s = summary(run)
        assert s["text"] == expect["text"]
        assert s["status"] == expect["status"]
        if "error_code" in expect:
            assert s["error_code"] == expect["error_code"]
        if "finish_reason" in expect:
            assert s["finish_reason"] == expect["finish_reason"]
        if "tool_calls" in expect:
            assert s["tool_calls"] == expect["tool_calls"]
        if "usage" in expect:
            assert s["usage"] == (expect["usage"]["input_tokens"], expect["usage"]["output_tokens"])
        assert run.metadata["operation_id"] == expect["operation_id"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_recording_any_split_folds_the_same(name: str) -> None:
    data = (RECORDINGS / f"nnrp-wire-{name}.nnrp").read_bytes()
    whole = {k: summary(r) for k, r in runs(fold(data)).items()}
    assert {
        k: summary(r) for k, r in runs(fold([data[i : i + 1] for i in range(len(data))])).items()
    } == whole
    rng = random.Random(name)
    for n in (2, 7, 40):
        assert {k: summary(r) for k, r in runs(fold(splits(data, rng, n))).items()} == whole


@pytest.mark.parametrize("name", SCENARIOS)
def test_duplex_recording_shows_the_request(name: str) -> None:
    reducer = fold((RECORDINGS / f"nnrp-wire-{name}.duplex.nnrp").read_bytes())
    got = runs(reducer)
    for expect in EXPECTED["scenarios"][name]:
        run = got[f"nnrp:0x{expect['session_id']:08x}:0x{expect['frame_id']:08x}"]
        assert run.input_text
        if "input_text" in expect:
            assert run.input_text == expect["input_text"]
            assert run.messages[0].role == "user"
        assert summary(run)["text"] == expect["text"]
    if name in ("cancel", "abort"):
        # The client's control request ends the run; the runtime's drop comes after it.
        (run,) = got.values()
        assert run.status == "cancelled" and run.error_code == name
        assert [d.code for d in reducer.conversation.diagnostics if d.dropped] == ["late_frame"]


def test_recordings_are_what_the_runtime_sends() -> None:
    """The packets' shapes the decoder relies on, checked on the recorded bytes."""
    seen: dict[str, int] = {}
    for name in SCENARIOS:
        for item in read_packets([(RECORDINGS / f"nnrp-wire-{name}.nnrp").read_bytes()]):
            assert isinstance(item, Packet)
            kind = MESSAGE_TYPES[item.msg_type]
            seen[kind] = seen.get(kind, 0) + 1
            _fields, problems = parse_metadata(kind, item.meta)
            assert problems == [], (kind, problems)
            if kind == "RESULT_PUSH":
                assert len(item.meta) == 64
            if kind == "PARTIAL_RESULT":
                assert len(item.meta) == 40
    assert {"PARTIAL_RESULT", "RESULT_PUSH", "RESULT_DROP_REASON", "SERVER_HELLO_ACK"} <= set(seen)
    assert {"CREDIT_UPDATE", "PROGRESS", "TRACE_CONTEXT", "ERROR_RECOVERABLE"} <= set(seen)


# -------------------------------------------------------------------------------- goldens


def _goldens() -> Path:
    if not GOLDENS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(
                f"golden vectors missing at {GOLDENS} (CI must have shared/ beside the checkout)"
            )
        pytest.skip("upstream golden vectors (../shared/corpus/nnrp-goldens) are not here")
    return GOLDENS


def _case_hex(root: Path, case: dict[str, Any], key: str = "hex_from") -> str:
    ref = case[key]
    data = json.loads((root / ref["file"]).read_text())
    (found,) = [c for c in data["cases"] if c["id"] == ref["case"]]
    value: str = found["parameters"][ref["param"]]
    return value


def _cases(kind: str) -> list[dict[str, Any]]:
    root = _goldens()
    expected = json.loads((root / "expected.json").read_text())
    return [c for c in expected["cases"] if c["kind"] == kind]


def _check(fields: dict[str, Any], expect: dict[str, Any]) -> None:
    """Each expected value equals the decoded field (a name compares with ``<field>_name``)."""
    for key, want in expect.items():
        if key.endswith("flag_names"):
            continue
        if isinstance(want, str) and key + "_name" in fields:
            assert fields[key + "_name"] == want, key
        else:
            assert key in fields, key
            assert fields[key] == want, key


def test_golden_header() -> None:
    (case,) = _cases("header")
    data = bytes.fromhex(_case_hex(_goldens(), case))
    _magic, ver, wf, mt, hl, flags, ml, bl, sid, fid, vid, rid, tid = struct.unpack(
        "<4sBBBBIIIIIHHQ", data
    )
    e = case["expect"]
    assert (ver, wf, MESSAGE_TYPES[mt], hl, flags, ml, bl) == (
        e["version_major"],
        e["wire_format"],
        e["msg_type_name"],
        e["header_len"],
        e["flags"],
        e["meta_len"],
        e["body_len"],
    )
    assert (sid, fid, vid, rid, tid) == (
        e["session_id"],
        e["frame_id"],
        e["view_id"],
        e["route_id"],
        e["trace_id"],
    )
    from streamfold.formats.nnrp_wire.vocab import HEADER_FLAGS

    assert flag_names(flags, HEADER_FLAGS) == e["flag_names"]
    # The splitter takes the header and waits for the 48 + 4096 bytes it announces.
    splitter = PacketSplitter()
    assert splitter.feed(data) == [] and splitter.buffered == 40
    (packet,) = splitter.feed(bytes(48 + 4096))
    assert isinstance(packet, Packet) and packet.trace_id == 123456789


@pytest.mark.parametrize(
    ("kind", "layout"),
    [
        ("result_push_metadata", "RESULT_PUSH"),
        ("frame_submit_metadata", "FRAME_SUBMIT"),
        ("session_open_ack_metadata", "SESSION_OPEN_ACK"),
        ("session_close_ack_metadata", "SESSION_CLOSE_ACK"),
    ],
)
def test_golden_metadata(kind: str, layout: str) -> None:
    cases = _cases(kind)
    assert cases
    for case in cases:
        data = bytes.fromhex(case["hex"] if "hex" in case else _case_hex(_goldens(), case))
        fields, problems = parse_metadata(layout, data)
        assert problems == [], (case["id"], problems)
        _check(fields, case["expect"])
        if "result_flag_names" in case["expect"]:
            from streamfold.formats.nnrp_wire.vocab import RESULT_FLAGS

            assert (
                flag_names(fields["result_flags"], RESULT_FLAGS)
                == case["expect"]["result_flag_names"]
            )


def test_golden_descriptors_and_prelude() -> None:
    root = _goldens()
    (current,) = _cases("descriptor")
    desc = bytes.fromhex(_case_hex(root, current))
    e = current["expect"]
    # A RESULT_PUSH body built around the frozen 24-byte descriptor: prelude, descriptor,
    # a 32-byte frame region whose bytes 8..32 are the token chunk it points at.
    region = b"x" * 8 + "token chunk 24 bytes ✓!".encode()[:24]
    prelude = struct.pack("<8I", 0, 0, 24, len(region), 0, 0, 0, 0)
    typed = parse_typed_body(prelude + desc + region, 1)
    assert typed is not None
    (payload,), problems = typed
    assert problems == []
    assert (payload.profile_id, payload.payload_kind, payload.kind_name) == (
        e["profile_id"],
        e["payload_kind"],
        e["payload_kind_name"],
    )
    assert (payload.descriptor_flags, payload.schema_id, payload.schema_version) == (
        e["descriptor_flags"],
        e["schema_id"],
        e["schema_version"],
    )
    assert payload.stream_semantics == e["stream_semantics"] and payload.data == region[8:32]
    # The preview3 16-byte descriptors (the legacy frame-regions golden): four payloads.
    (legacy,) = _cases("legacy_frame_regions")
    ref = legacy["hex_from"]
    data = json.loads((root / ref["file"]).read_text())
    (found,) = [c for c in data["cases"] if c["id"] == ref["case"]]
    descs = bytes.fromhex(found["parameters"][ref["param"]])
    payload_bytes = bytes.fromhex(found["parameters"][ref["payload_param"]])
    prelude = struct.pack("<8I", 0, 0, len(descs), len(payload_bytes), 0, 0, 0, 0)
    typed = parse_typed_body(prelude + descs + payload_bytes, 4)
    assert typed is not None
    assert [p.data.decode() for p in typed[0]] == legacy["expect"]["payloads"]
    assert [p.kind_name for p in typed[0]] == legacy["expect"]["kinds"]
    (prelude_case,) = _cases("prelude")
    prelude = bytes.fromhex(_case_hex(root, prelude_case))
    values = struct.unpack("<8I", prelude)
    assert values == tuple(prelude_case["expect"].values())


def test_golden_packets() -> None:
    root = _goldens()
    for case in _cases("packet"):
        if "file" in case:
            data = (root / case["file"]).read_bytes()
        elif "hex" in case:
            data = bytes.fromhex(case["hex"])
        else:
            data = bytes.fromhex(_case_hex(root, case))
        (packet,) = read_packets([data])
        assert isinstance(packet, Packet), case["id"]
        kind = MESSAGE_TYPES[packet.msg_type]
        eh = case["expect_header"]
        assert kind == eh["msg_type_name"]
        for key in ("meta_len", "body_len"):
            if key in eh:
                assert len(packet.meta if key == "meta_len" else packet.body) == eh[key]
        for key in ("session_id", "frame_id", "view_id", "route_id", "trace_id", "flags"):
            if key in eh:
                assert getattr(packet, key) == eh[key], (case["id"], key)
        if "flag_names" in eh:
            from streamfold.formats.nnrp_wire.vocab import HEADER_FLAGS

            assert flag_names(packet.flags, HEADER_FLAGS) == eh["flag_names"]
        fields, problems = parse_metadata(kind, packet.meta)
        assert [p for p in problems if p[0] != "reserved_field"] == [], (case["id"], problems)
        em = dict(case.get("expect_metadata", {}))
        if "payload_kinds" in em:
            from streamfold.formats.nnrp_wire.vocab import PAYLOAD_KINDS

            assert flag_names(fields["payload_kind_bitmap"], PAYLOAD_KINDS) == em.pop(
                "payload_kinds"
            )
        if "flow_flag_names" in em:
            from streamfold.formats.nnrp_wire.vocab import FLOW_FLAGS

            assert flag_names(fields["flow_flags"], FLOW_FLAGS) == em.pop("flow_flag_names")
        if "is_fatal" in em:
            assert bool(fields["is_fatal"]) is em.pop("is_fatal")
        _check(fields, em)
        # Every golden packet folds without a crash and is accounted for.
        fold(data)


def test_golden_error_and_drop_end_operations() -> None:
    root = _goldens()
    drop = (root / "nnrp-cs/tests/vectors/result_drop.bin").read_bytes()
    (run,) = runs(fold(drop)).values()
    assert (run.session_id, run.status, run.finish_reason) == ("0x00000064", "failed", "dropped")
    error = (root / "nnrp-cs/tests/vectors/error.bin").read_bytes()
    reducer = fold(error)
    assert runs(reducer) == {}  # a session-scoped fatal ERROR with no open operation
    assert [d.code for d in reducer.conversation.diagnostics] == ["sender_error"]


# ------------------------------------------------------------------------ built packets


def pkt(
    kind: str,
    meta: bytes = b"",
    body: bytes = b"",
    *,
    frame: int = 1,
    flags: int = 0,
    session: int = 7,
    version: int = 1,
    view: int = 0,
) -> bytes:
    return Packet(
        version, 0, MESSAGE_TYPE_CODES[kind], flags, session, frame, view, 0, 0, meta, body
    ).pack()


def partial(
    seq: int, body: bytes, *, frame: int = 1, op: int = 11, flags: int = 0, view: int = 0
) -> bytes:
    return pkt(
        "PARTIAL_RESULT",
        struct.pack("<QQQQII", op, seq, 0, seq, len(body), 0),
        body,
        frame=frame,
        flags=flags,
        view=view,
    )


def push(
    body: bytes = b"",
    status: int = 200,
    *,
    frame: int = 1,
    frames: int = 1,
    bitmap: int = 2,
    result_class: int = 0,
    view: int = 0,
) -> bytes:
    meta = struct.pack(
        "<HHHHHHHHHHIIQQBBHIHHIHH",
        status,
        0,
        0,
        0,
        2,
        0,
        1,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        result_class,
        0,
        0,
        0,
        0,
        0,
        bitmap,
        frames,
        0,
    )
    return pkt("RESULT_PUSH", meta, body, frame=frame, view=view)


def text_of(reducer: Reducer, frame: int = 1) -> str:
    run = runs(reducer)[f"nnrp:0x00000007:0x{frame:08x}"]
    return "".join(m.text for m in run.messages if m.role == "assistant")


def test_reordered_and_repeated_partials_fold_by_result_sequence() -> None:
    data = (
        partial(1, b"a")
        + partial(3, b"c")
        + partial(2, b"b")
        + partial(2, b"b", flags=0x10)  # a retransmit of applied text
        + partial(4, "\xe2\x82".encode("latin-1"))  # € cut in two
        + partial(5, b"\xac!")
        + push()
    )
    reducer = fold(data)
    assert text_of(reducer) == "abc€!"
    (run,) = runs(reducer).values()
    assert run.status == "completed"
    assert [d.code for d in reducer.conversation.diagnostics if d.dropped] == ["duplicate_chunk"]


def test_views_of_one_frame_are_lanes_of_their_own() -> None:
    """Two views of frame 1, interleaved, each ending with a RESULT_PUSH whose raw body is its
    last chunk: each view keeps its own text, sequence and terminal (docs/nnrp.md, lanes)."""
    data = (
        partial(1, b"Hel", view=0)
        + partial(1, b"Bon", view=1)
        + partial(2, b"lo, ", view=0)
        + partial(3, b"wor", view=0)
        + partial(2, b"jour", view=1)
        + push(b"ld", view=0)
        + push(b" monde", view=1)
    )
    reducer = fold(data)
    got = runs(reducer)
    assert sorted(got) == ["nnrp:0x00000007:0x00000001", "nnrp:0x00000007:0x00000001:0x0001"]
    texts = {
        run_id: "".join(m.text for m in run.messages if m.role == "assistant")
        for run_id, run in got.items()
    }
    assert texts == {
        "nnrp:0x00000007:0x00000001": "Hello, world",
        "nnrp:0x00000007:0x00000001:0x0001": "Bonjour monde",
    }
    assert {run.status for run in got.values()} == {"completed"}
    assert warnings(reducer) == []


def test_a_frame_scoped_drop_ends_every_view() -> None:
    drop = pkt("RESULT_DROP", b"", b"gone")
    data = partial(1, b"a", view=0) + partial(1, b"b", view=1) + drop + partial(2, b"c", view=1)
    reducer = fold(data)
    assert {run_id: run.status for run_id, run in runs(reducer).items()} == {
        "nnrp:0x00000007:0x00000001": "failed",
        "nnrp:0x00000007:0x00000001:0x0001": "failed",
    }
    # The view's chunk after the drop is late, reported, not applied.
    assert [d.code for d in reducer.conversation.diagnostics] == ["late_frame"]
    assert text_of(reducer) == "a"


def test_result_push_body_shapes() -> None:
    # Raw: the last chunk (append) or the whole text (replace).
    raw = partial(1, b"Hel") + push(b"lo")
    assert text_of(fold(raw)) == "Hello"
    replace = NnrpWireDecoder(push_body="replace")
    assert text_of(fold(partial(1, b"Hel") + push(b"Hello!"), replace)) == "Hello!"
    # The spec's shape: prelude + two 24-byte token descriptors + the frame region.
    region = b"he" + "llo ✓".encode()
    desc = struct.pack("<HBBIIHHII", 2, 2, 2, 0x1001, 3, 2, 0, 0, 2) + struct.pack(
        "<HBBIIHHII", 2, 2, 1, 0x1001, 3, 2, 0, 2, len(region) - 2
    )
    body = struct.pack("<8I", 0, 0, 48, len(region), 0, 0, 0, 0) + desc + region
    reducer = fold(push(body, frames=2))
    assert text_of(reducer) == "hello ✓" and warnings(reducer) == []
    # A typed structured event: the OpenAI profile's terminal.
    event = b'{"type":"response.error","error":{"code":"boom","message":"bad"}}'
    desc = struct.pack("<HBBIIHHII", 0, 0x10, 1, 0, 0, 0, 0, 0, len(event))
    body = struct.pack("<8I", 0, 0, 24, len(event), 0, 0, 0, 0) + desc + event
    (run,) = runs(fold(push(body, 500, bitmap=0x10))).values()
    assert (run.status, run.error_code, run.error) == ("failed", "boom", "bad")
    # Empty body: status_code decides.
    for status, want in ((200, "completed"), (499, "cancelled"), (503, "failed")):
        (run,) = runs(fold(partial(1, b"x") + push(b"", status))).values()
        assert run.status == want


def test_profile_can_be_forced() -> None:
    body = b'{"type":"not an event"}'
    token = fold(partial(1, body) + push(), NnrpWireDecoder(profile="token"))
    assert text_of(token) == body.decode()
    auto = fold(partial(1, body) + push())
    (run,) = runs(auto).values()
    assert text_of(auto) == "" and run.unknown_events == [{"type": "not an event"}]


def test_strict_and_lenient_validation() -> None:
    meta = struct.pack("<QQQQII", 11, 1, 0, 1, 2, 0)
    bad_flags = pkt("PARTIAL_RESULT", meta, b"hi", flags=0x100)
    bad_reserved = push(b"", frames=1)[:-2] + b"\x01\x00"  # reserved5 = 1
    lenient = fold(bad_flags + bad_reserved)
    assert text_of(lenient) == "hi"
    assert [d.code for d in lenient.conversation.diagnostics if d.severity is Severity.WARNING] == [
        "unknown_flags",
        "reserved_field",
    ]
    (run,) = runs(lenient).values()
    assert run.status == "completed"
    strict = fold(bad_flags + bad_reserved, NnrpWireDecoder(strict=True))
    assert strict.frames_dropped == 2 and runs(strict) == {}
    # Version, unknown msg_type and short metadata are rejected in both modes.
    for data in (
        pkt("PARTIAL_RESULT", meta, b"x", version=2),
        Packet(1, 0, 0x7F, 0, 7, 1, 0, 0, 0, b"", b"").pack(),
        pkt("PARTIAL_RESULT", meta[:20], b"x"),
    ):
        reducer = fold(data)
        assert reducer.frames_dropped == 1 and runs(reducer) == {}


def test_splitter_faults_are_reported_and_resynchronised() -> None:
    good = partial(1, b"ok") + push()
    huge = Packet(1, 0, 0x38, 0, 7, 1, 0, 0, 0, b"", b"").pack()
    huge = huge[:16] + struct.pack("<I", 1 << 30) + huge[20:]  # body_len 1 GiB
    splitter = PacketSplitter(max_packet_bytes=1 << 20)
    items = splitter.feed(b"junk" + good[:50]) + splitter.feed(good[50:] + huge)
    items += splitter.feed(b"\0" * 1000) + splitter.close()
    codes = [i.code if isinstance(i, WireFault) else MESSAGE_TYPES[i.msg_type] for i in items]
    assert codes == ["bad_magic", "PARTIAL_RESULT", "RESULT_PUSH", "packet_too_large"]
    assert splitter.buffered == 0  # the oversized packet was skipped, not buffered
    reducer = fold([b"junk", good, good[:30]])
    assert [d.code for d in reducer.conversation.diagnostics if d.dropped] == [
        "bad_magic",
        "truncated_packet",
    ]
    assert text_of(reducer) == "ok"
    with pytest.raises(ValueError, match="max_packet_bytes"):
        PacketSplitter(max_packet_bytes=10)


def test_packet_round_trip_and_repr() -> None:
    data = partial(1, b"abc")
    packet = Packet.parse(data, 5)
    assert packet.pack() == data and len(packet) == len(data) and packet.offset == 5
    assert data.hex() in repr(packet)
    with pytest.raises(ValueError, match="header says"):
        Packet.parse(data[:-1])


def test_decoder_options_are_checked() -> None:
    with pytest.raises(ValueError, match="profile"):
        NnrpWireDecoder(profile="json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="push_body"):
        NnrpWireDecoder(push_body="x")  # type: ignore[arg-type]
    decoder = NnrpWireDecoder(inner=NnrpDecoder(range_mode="half_open"))
    assert decoder.inner.range_mode == "half_open"
    assert NnrpWireDecoder.detect({"nnrp_packet": 1}) and not NnrpWireDecoder.detect({"type": "x"})
    # Auto-detection picks the format from the frame.
    reducer = Reducer()
    feed_wire(reducer, NnrpWireStream(), partial(1, b"x") + push())
    assert "nnrp-wire" in reducer.decoders


# ------------------------------------------------------------------------ property tests

_ALL = b"".join((RECORDINGS / f"nnrp-wire-{n}.nnrp").read_bytes() for n in ("openai", "utf8-split"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=len(_ALL) - 1), max_size=30, unique=True))
def test_property_any_split_folds_the_same(cuts: list[int]) -> None:
    cuts = sorted(cuts)
    chunks = [_ALL[a:b] for a, b in zip([0, *cuts], [*cuts, len(_ALL)], strict=True)]
    assert {k: summary(r) for k, r in runs(fold(chunks)).items()} == _WHOLE


_WHOLE = {k: summary(r) for k, r in runs(fold(_ALL)).items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(_ALL) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_property_mutated_bytes_never_crash(edits: list[tuple[int, int]], strict: bool) -> None:
    data = bytearray(_ALL)
    for at, value in edits:
        data[at] = value
    reducer = fold(bytes(data), NnrpWireDecoder(strict=strict))  # checks the frame accounting
    assert not any(d.code == "decoder_error" for d in reducer.conversation.diagnostics)


_OFFSETS = [p.offset for p in read_packets([_ALL])]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_OFFSETS),
    st.sampled_from([0, 1, 2, 3, 4, 5, 7]),  # magic, version_major, wire_format, header_len
    st.integers(1, 255),
)
def test_property_mutated_headers_are_reported(packet: int, field: int, xor: int) -> None:
    data = bytearray(_ALL)
    data[packet + field] ^= xor
    reducer = fold(bytes(data))
    codes = {d.code for d in reducer.conversation.diagnostics if d.dropped}
    assert codes & {"bad_magic", "bad_header_len", "unsupported_version"}


# ------------------------------------------------------------------------ CLI and bench


def test_cli_opens_nnrp_captures(capsys: pytest.CaptureFixture[str]) -> None:
    from streamfold.cli import main

    path = str(RECORDINGS / "nnrp-wire-openai.duplex.nnrp")
    assert main(["inspect", "--json", path]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["stats"]["frames_dropped"] == 0
    (session,) = document["sessions"].values()
    assert [run["status"] for run in session["runs"]] == ["completed", "failed", "cancelled"]
    assert main(["convert", "--to", "tanstack-ui-messages", path]) == 0
    assert "get_weather" in capsys.readouterr().out


def test_bench_script_runs() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_nnrp_wire.py"), "300"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("| 300 |") == 2
