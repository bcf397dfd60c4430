"""``python -m streamfold``: the command line (docs/cli.md), as the ``streamfold`` script."""

import sys

from .cli import main

sys.exit(main())
