"""The ``streamfold`` command line (docs/cli.md).

* :mod:`.main` — arguments, the commands (``demo``, ``replay``, ``inspect``, ``convert``) and
  exit codes; :func:`main` is the console script;
* :mod:`.replay` — positions, pacing, the replay core (:class:`Player`) and the plain and live
  replay loops; :mod:`.keys` — the live view's keys;
* :mod:`.views` — the live view, the plain log and the ``inspect`` report.

Importing this package does not import rich: ``replay --plain``, ``inspect --json`` and
``convert`` work without it.
"""

from .main import DEMO_RECORDING, build_parser, main
from .replay import (
    MAX_FPS,
    STRUCTURAL_DELAY,
    TEXT_DELAY,
    Pacer,
    Player,
    Position,
    fixed_pacer,
    frame_times,
    instant_pacer,
    replay_live,
    replay_plain,
)

__all__ = [
    "DEMO_RECORDING",
    "MAX_FPS",
    "STRUCTURAL_DELAY",
    "TEXT_DELAY",
    "Pacer",
    "Player",
    "Position",
    "build_parser",
    "fixed_pacer",
    "frame_times",
    "instant_pacer",
    "main",
    "replay_live",
    "replay_plain",
]
