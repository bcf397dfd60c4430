"""The input files of a batch job: files, directories and glob patterns, in a stable order.

* a file is taken as given;
* a directory gives every regular file under it (recursively), sorted by path, skipping names
  that start with ``.`` or ``_`` (hidden files, our own ``_schema.json``);
* anything else containing ``*``, ``?`` or ``[`` is a glob pattern (``**`` recurses), its
  matches sorted;
* a path that does not exist is kept: the job reports it as a ``file_error`` row.

Duplicates are kept once, at their first place. docs/batch.md "Inputs".
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

__all__ = ["expand_inputs"]

_GLOB_CHARS = frozenset("*?[")


def _directory(path: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found.extend(os.path.join(root, f) for f in files if not f.startswith((".", "_")))
    return sorted(found)


def expand_inputs(paths: Iterable[str]) -> list[str]:
    """The files named by ``paths`` (files, directories, globs), in order, without duplicates."""
    out: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            items = _directory(path)
        elif not os.path.exists(path) and _GLOB_CHARS.intersection(path):
            items = sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
        else:
            items = [path]
        for item in items:
            if item not in seen:
                seen.add(item)
                out.append(item)
    return out
