"""Transcripts of a folded conversation for a person (``docs/transcript.md``): the structure
(:mod:`.structure`, also the JSON output), Markdown (:mod:`.markdown`) and one self-contained HTML
file with a timeline (:mod:`.html`). Every writer escapes stream text for its medium and writes
one run at a time."""

from __future__ import annotations

from .html import write_html
from .markdown import write_markdown
from .structure import TRANSCRIPT_VERSION, iter_runs, run_tree, write_json

__all__ = [
    "TRANSCRIPT_VERSION",
    "iter_runs",
    "run_tree",
    "write_html",
    "write_json",
    "write_markdown",
]
