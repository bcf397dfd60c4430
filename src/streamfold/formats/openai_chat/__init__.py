"""The ``openai-chat`` format: OpenAI Chat Completions streams (``docs/openai-chat.md``)."""

from .decoder import OpenAIChatDecoder

__all__ = ["OpenAIChatDecoder"]
