"""The ``openai-responses`` format: OpenAI Responses API streams (``docs/openai-responses.md``)."""

from .decoder import OpenAIResponsesDecoder

__all__ = ["OpenAIResponsesDecoder"]
