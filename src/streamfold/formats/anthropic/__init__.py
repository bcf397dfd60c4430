"""The ``anthropic`` format: Anthropic Messages streams (``docs/anthropic.md``)."""

from .decoder import AnthropicDecoder

__all__ = ["AnthropicDecoder"]
