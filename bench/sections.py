"""One section of ``bench/results.md`` rewritten in place, the rest of the file kept.

Each bench script that is not ``bench/run.py`` owns a section between two HTML comments
(``<!-- name -->`` … ``<!-- /name -->``); writing it again replaces only what lies between them,
so hand-written notes after a section survive a new run.
"""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, name: str, lines: list[str]) -> None:
    """Put ``lines`` between the ``name`` markers in ``path`` (appended with its markers when
    the file has none; the file is created when missing)."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = "\n".join([begin, *lines, end])
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
