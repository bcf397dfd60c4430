"""A toy third-party format, registered in tests through the ``streamfold.formats`` entry-point
group (see ``tests/formats/test_plugins.py`` and ``docs/write-a-format.md``)."""

from .decoder import ToyDecoder

__all__ = ["ToyDecoder"]
