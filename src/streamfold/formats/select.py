"""Which decoder takes a frame, and how a non-JSON line is recorded, when the caller named no
format (``docs/write-a-format.md``, "Detection").

* **Stickiness.** The stream's current decoder keeps every frame its ``detect`` accepts (any
  confidence above 0). The reducer inlines that check on its hot path (one call per frame);
  :func:`select_decoder` is called only for the other frames.
* **Highest confidence.** A frame the current decoder does not accept goes to the format most
  confident it is its own (:func:`~streamfold.formats.detect_format`; ties: name order), which
  becomes the current decoder.
* **Unknown frames stay.** A frame no format accepts goes to the current decoder, so a new event
  type of a known format is kept by that format (as an ``unknown_event_type``) instead of lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..events import Diagnose
from . import FORMATS, Decoder, detect_format

__all__ = ["non_json_rule", "select_decoder"]

Current = tuple[str, Decoder]
"""The stream's current decoder and its format name."""


def select_decoder(
    frame: Mapping[str, Any], current: Current | None, make: Callable[[str], Decoder]
) -> Current | None:
    """The decoder for ``frame`` (and its name): ``current`` while it accepts the frame, else
    the most confident format's (made with ``make(name)``, which may return a decoder made
    earlier), else ``current`` (``None`` when there is none: no format accepts the frame)."""
    if current is not None and current[1].detect(frame):
        return current
    name = detect_format(frame)
    if name is None:
        return current
    return name, make(name)


def non_json_rule(text: str, current: Current | None) -> Diagnose | None:
    """The format's own record of a non-JSON line (:meth:`Decoder.non_json`): the current
    decoder's answer, or before any decoder took the stream the first answer of any format in
    name order; ``None`` for the default ``not_json``."""
    if current is not None:
        return current[1].non_json(text)
    for _name, cls in FORMATS.loaded():
        rule = cls.non_json(text)
        if rule is not None:
            return rule
    return None
