"""Deprecated: moved to :mod:`streamfold.io.sync` and :mod:`streamfold.framing.detect`."""

from .framing.detect import Framing, detect_framing
from .io.sync import CHUNK_SIZE, fold, fold_file

__all__ = ["CHUNK_SIZE", "Framing", "detect_framing", "fold", "fold_file"]
