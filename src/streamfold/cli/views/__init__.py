"""Views of a conversation for the command line (docs/cli.md).

* :mod:`.live` — the rich live view of ``replay`` / ``demo`` on a terminal;
* :mod:`.plain` — the plain, deterministic replay log (no rich needed);
* :mod:`.inspect` — the ``inspect`` report;
* :mod:`.pieces` (rich-free) and :mod:`.labels` (rich) — what they share.

Nothing is imported here, so that the plain log runs where rich is not installed.
"""

__all__: list[str] = []
