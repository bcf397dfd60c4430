"""NNRP results (the token profile and the OpenAI-style event profile); see ``docs/nnrp.md``.

Modules, bottom up: ``vocab`` (tables), ``wire`` (pure field access), ``state`` (operations and
the decoder's tables), ``operations`` (ids, the operation table, terminals), then the handlers
``token_profile``, ``openai_profile`` (over :mod:`streamfold.formats._openai_events`) and
``control``, which ``decoder`` combines into :class:`NnrpDecoder`; ``reassembly`` is the
self-contained sequence reassembler of one lane.
"""

from .decoder import NnrpDecoder
from .vocab import DESCRIPTOR_FLAGS, HEADER_FLAGS, MESSAGE_TYPES

__all__ = ["DESCRIPTOR_FLAGS", "HEADER_FLAGS", "MESSAGE_TYPES", "NnrpDecoder"]
