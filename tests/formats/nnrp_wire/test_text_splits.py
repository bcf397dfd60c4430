"""The binary NNRP wire's bytes → text path survives any split (issue #17): token bytes cut
at any byte across PARTIAL_RESULT packets, and the packet stream itself cut anywhere, fold
back to the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ...text_splits import cut_bytes, texts
from .test_nnrp_wire import fold, partial, push, text_of


@settings(max_examples=60, deadline=None)
@given(
    text=texts,
    cuts=st.lists(st.integers(0, 200), max_size=12),
    wire_cuts=st.lists(st.integers(0, 2000), max_size=6),
    empty_at=st.integers(0, 12),
)
def test_property_token_bytes_cut_anywhere_fold_back(
    text: str, cuts: list[int], wire_cuts: list[int], empty_at: int
) -> None:
    pieces = cut_bytes(text.encode(), cuts)
    pieces.insert(min(empty_at, len(pieces)), b"")  # an empty packet cuts no character
    data = b"".join(partial(seq + 1, body) for seq, body in enumerate(pieces)) + push()
    reducer = fold(cut_bytes(data, wire_cuts))
    assert text_of(reducer) == text
    assert [d.code for d in reducer.conversation.diagnostics if d.code == "invalid_utf8"] == []
