"""What the provider formats (``openai-chat``, ``openai-responses``, ``anthropic``,
``vercel-ui``) share: one stream is one response, folded as one run in the session
``"default"``; run ids come from the provider's response id (made unique by
:func:`issue_id`); a stream that ends before its terminal ends its run
as ``incomplete`` (WARNING ``run_not_finished``, ``docs/diagnostics.md``).

Private to :mod:`streamfold.formats`.
"""

from __future__ import annotations

from typing import Final

from ..events import Diagnose, EndRun, Event
from ..model import RunStatus, Severity

__all__ = ["SESSION_ID", "issue_id", "not_finished"]

SESSION_ID: Final = "default"
"""The session every provider stream's runs belong to (the wire has no session)."""


def not_finished(run_id: str, fmt: str, out: list[Event]) -> None:
    """End ``run_id`` as ``incomplete``: the stream ended before the run's terminal."""
    out.append(
        Diagnose(
            "run_not_finished",
            f"the {fmt} stream ended before the response finished; run is incomplete",
            Severity.WARNING,
            run_id=run_id,
        )
    )
    out.append(EndRun(run_id, RunStatus.INCOMPLETE))


def issue_id(issued: dict[str, int], base: str) -> str:
    """A run id from the wire's ``base``: ``base`` the first time, ``"<base>#n"`` after (the
    smallest free ``n >= 2`` after the last one given for ``base``). ``issued`` maps every id
    given so far to the last ``n`` used for it as a base (1: none yet); plain values, so it
    travels in a snapshot cursor as it is."""
    if base not in issued:
        issued[base] = 1
        return base
    n = issued[base] + 1
    while f"{base}#{n}" in issued:
        n += 1
    issued[base] = n
    candidate = f"{base}#{n}"
    issued[candidate] = 1
    return candidate
