"""Folding whole inputs: byte iterables and recording files.

These are thin loops over :class:`~streamfold.reducer.Reducer`; everything they do can be done
by feeding the reducer directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from .model import Conversation
from .reducer import Reducer

__all__ = ["CHUNK_SIZE", "fold", "fold_file"]

CHUNK_SIZE = 64 * 1024


def fold(chunks: Iterable[bytes], reducer: Reducer | None = None, **options: Any) -> Conversation:
    """Fold an NDJSON byte stream given as chunks of any size and return the final model.

    ``options`` are :class:`Reducer` arguments (``format``, ``strict``, limits); pass a
    ``reducer`` instead to keep access to its counters. The reducer is closed at the end, which
    ends runs that never received their terminal frame.
    """
    reducer = reducer if reducer is not None else Reducer(**options)
    for chunk in chunks:
        reducer.feed_bytes(chunk)
    reducer.close()
    return reducer.conversation


def fold_file(
    path: str | os.PathLike[str], reducer: Reducer | None = None, **options: Any
) -> Conversation:
    """Fold a recording file (NDJSON) and return the final model.

    Raises :class:`OSError` when the file cannot be read; the content itself never raises in
    lenient mode.
    """
    with open(path, "rb") as fh:
        return fold(iter(lambda: fh.read(CHUNK_SIZE), b""), reducer, **options)
