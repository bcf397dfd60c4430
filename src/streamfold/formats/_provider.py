"""What the provider formats (``openai-chat``, ``openai-responses``, ``anthropic``,
``vercel-ui``) share: one stream is one response, folded as one run in the session
``"default"``; run ids come from the provider's response id (made unique with
:class:`~streamfold.formats._common.IdMap`); a stream that ends before its terminal ends its run
as ``incomplete`` (WARNING ``run_not_finished``, ``docs/diagnostics.md``).

Private to :mod:`streamfold.formats`.
"""

from __future__ import annotations

from typing import Final

from ..events import Diagnose, EndRun, Event
from ..model import RunStatus, Severity

__all__ = ["SESSION_ID", "not_finished"]

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
