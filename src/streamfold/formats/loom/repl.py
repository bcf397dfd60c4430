"""The Loom REPL's own lines on the stream's stdout (``docs/loom.md``, the input table): its ``>``
prompts and its ``Bye.`` are not frames; they are recorded as INFO ``repl_output`` instead of a
``not_json`` warning. (A prompt *before* a JSON object on the same line is handled generically:
the object is applied with an INFO ``text_before_json``.)"""

from __future__ import annotations

from ...events import Diagnose
from ...model import Severity

__all__ = ["repl_line"]

_PROMPTS = frozenset({">", "Bye."})


def repl_line(text: str) -> Diagnose | None:
    """INFO ``repl_output`` for a REPL prompt or goodbye line, else ``None``."""
    stripped = text.strip()
    if stripped in _PROMPTS or stripped.startswith("> "):
        return Diagnose("repl_output", "line is not JSON", Severity.INFO, dropped=True)
    return None
