"""``python -m streamfold.batch PATH... -o OUT_DIR``: the ``streamfold export`` command."""

from __future__ import annotations

import sys

from .cli import main_export

if __name__ == "__main__":
    sys.exit(main_export())
