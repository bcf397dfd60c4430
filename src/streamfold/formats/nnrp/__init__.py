"""NNRP results (the token profile and the OpenAI-style event profile); see ``docs/nnrp.md``."""

from .decoder import DESCRIPTOR_FLAGS, HEADER_FLAGS, MESSAGE_TYPES, NnrpDecoder

__all__ = ["DESCRIPTOR_FLAGS", "HEADER_FLAGS", "MESSAGE_TYPES", "NnrpDecoder"]
